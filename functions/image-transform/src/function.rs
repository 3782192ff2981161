//! The Lambda/CLI adapter (feature `lambda`): request context → [`crate::transform`] → S3
//! response. The rest of the library has no runtime, AWS or async types; this module is public
//! so the emulator can run the function in-process.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{CallerInfo, Config, Error, ErrorKind, apply_request_overrides, utc_date};
use object_lambda::{ObjectInput, ObjectOutput, RequestContext, Transform, TransformError};

/// Largest overlay object read from the supporting access point.
const MAX_OVERLAY_OBJECT_BYTES: u64 = 4 << 20;

/// The `image-transform` function: `object_lambda::run(ImageTransform)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageTransform;

/// The library's errors as S3 errors, so `?` works.
impl From<Error> for TransformError {
    fn from(error: Error) -> Self {
        let kind = error.kind();
        match error {
            Error::InvalidPayload { key, message } => Self::invalid_payload(&key, message),
            other => {
                let message = other.to_string();
                match kind {
                    ErrorKind::InvalidObjectContent => Self::invalid_content(message),
                    ErrorKind::UnsupportedContentType => Self::unsupported_content_type(message),
                    ErrorKind::EntityTooLarge => Self::too_large(message),
                    ErrorKind::InvalidPayload => Self::invalid_payload("payload", message),
                    ErrorKind::InternalError => Self::internal(message),
                }
            }
        }
    }
}

/// A missing or forbidden overlay is the access point's misconfiguration, not the caller's
/// object: answer `InvalidPayload` rather than relaying e.g. `NoSuchKey` for the image itself.
/// Outages (503, timeouts) pass through unchanged.
fn overlay_error(error: TransformError) -> TransformError {
    match error.kind() {
        object_lambda::ErrorKind::Upstream { code, .. } => TransformError::invalid_payload(
            "watermark.image.key",
            format!("the overlay object could not be read ({code})"),
        ),
        object_lambda::ErrorKind::EntityTooLarge => TransformError::invalid_payload(
            "watermark.image.key",
            "the overlay object is over 4 MiB",
        ),
        _ => error,
    }
}

fn caller_info(ctx: &RequestContext) -> CallerInfo {
    let identity = ctx.identity();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CallerInfo {
        principal_id: identity.principal_id.clone(),
        arn: identity.arn.clone(),
        account_id: identity.account_id.clone(),
        user_name: identity.user_name.clone(),
        key: ctx.key().to_owned(),
        date: utc_date(now),
    }
}

impl Transform for ImageTransform {
    type Config = Config;

    fn validate(&self, config: &Config) -> Result<(), TransformError> {
        Ok(config.validate()?)
    }

    async fn transform(
        &self,
        config: Config,
        ctx: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        let config = apply_request_overrides(&config, ctx.query())?;
        config.validate()?;
        if input
            .content_length
            .is_some_and(|len| len > config.max_input_bytes)
        {
            return Err(TransformError::too_large(format!(
                "the object is larger than max_input_bytes ({})",
                config.max_input_bytes
            )));
        }
        let bytes = input.into_bytes(config.max_input_bytes).await?;
        let overlay_key = config
            .watermark
            .as_ref()
            .and_then(|wm| wm.image.as_ref())
            .and_then(|image| image.key.clone());
        let overlay = match overlay_key {
            Some(key) => Some(
                ctx.get_supporting_object(&key, MAX_OVERLAY_OBJECT_BYTES)
                    .await
                    .map_err(overlay_error)?,
            ),
            None => None,
        };
        let caller = caller_info(&ctx);
        let output = object_lambda::blocking(move || {
            crate::transform(&bytes, &config, &caller, overlay.as_deref())
                .map_err(TransformError::from)
        })
        .await?;
        Ok(ObjectOutput::bytes(
            Some(output.content_type.to_owned()),
            output.bytes,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use futures::StreamExt;
    use futures::future::BoxFuture;
    use object_lambda::CallerIdentity;
    use object_lambda::SupportingObjects;

    use super::*;

    fn jpeg() -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/jpeg_progressive.jpg");
        std::fs::read(path).expect("testdata")
    }

    fn ctx(query: &[(&str, &str)]) -> RequestContext {
        let identity = CallerIdentity {
            principal_id: "AIDAALICE".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            account_id: "123456789012".into(),
            user_name: Some("alice".into()),
            ..CallerIdentity::default()
        };
        let query = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        RequestContext::new(
            "req",
            "photos/a.jpg",
            query,
            http::HeaderMap::new(),
            identity,
        )
    }

    async fn body(output: ObjectOutput) -> Vec<u8> {
        let mut body = output.body;
        let mut out = Vec::new();
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.expect("chunk"));
        }
        out
    }

    fn run<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn resizes_with_query_overrides() {
        let config: Config =
            serde_json::from_str(r#"{"width":300,"allow_request_overrides":true,"max_width":120}"#)
                .expect("payload");
        let output = run(ImageTransform.transform(
            config,
            ctx(&[("width", "5000"), ("format", "png")]),
            ObjectInput::from_bytes(Some("image/jpeg".into()), jpeg()),
        ))
        .expect("transform");
        assert_eq!(output.content_type.as_deref(), Some("image/png"));
        let bytes = run(body(output));
        let info = crate::probe(&bytes).expect("png");
        assert_eq!((info.width, info.height), (120, 87));
    }

    #[test]
    fn errors_map_to_s3_codes() {
        let err = run(ImageTransform.transform(
            Config::default(),
            ctx(&[]),
            ObjectInput::from_bytes(None, b"not an image".to_vec()),
        ))
        .err()
        .expect("error");
        assert_eq!(err.code(), "UnsupportedContentType");
        let config: Config = serde_json::from_str(r#"{"max_input_bytes":10}"#).expect("payload");
        let err =
            run(ImageTransform.transform(config, ctx(&[]), ObjectInput::from_bytes(None, jpeg())))
                .err()
                .expect("error");
        assert_eq!(err.code(), "EntityTooLarge");
        let config: Config = serde_json::from_str(r#"{"quality":0}"#).expect("payload");
        let err = ImageTransform.validate(&config).expect_err("invalid");
        assert!(err.message().contains("quality"), "{}", err.message());
    }

    struct Logos;
    impl SupportingObjects for Logos {
        fn get(&self, key: &str, _max: u64) -> BoxFuture<'static, Result<Bytes, TransformError>> {
            let found = key == "logo.png";
            Box::pin(async move {
                if found {
                    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/png_rgba_8bit.png");
                    Ok(Bytes::from(std::fs::read(path).expect("testdata")))
                } else {
                    Err(TransformError::new(
                        object_lambda::ErrorKind::Upstream {
                            status: 404,
                            code: "NoSuchKey".into(),
                        },
                        "no such key",
                    ))
                }
            })
        }
    }

    #[test]
    fn overlay_read_through_the_supporting_access_point() {
        let config: Config = serde_json::from_str(
            r#"{"watermark":{"image":{"key":"logo.png"},"text":"{user_name}"}}"#,
        )
        .expect("payload");
        let output = run(ImageTransform.transform(
            config,
            ctx(&[]).with_supporting_objects(Arc::new(Logos)),
            ObjectInput::from_bytes(None, jpeg()),
        ))
        .expect("transform");
        assert_eq!(output.content_type.as_deref(), Some("image/jpeg"));
        assert!(!run(body(output)).is_empty());

        let config: Config =
            serde_json::from_str(r#"{"watermark":{"image":{"key":"missing.png"}}}"#)
                .expect("payload");
        let err = run(ImageTransform.transform(
            config,
            ctx(&[]).with_supporting_objects(Arc::new(Logos)),
            ObjectInput::from_bytes(None, jpeg()),
        ))
        .err()
        .expect("error");
        assert_eq!(err.kind(), &object_lambda::ErrorKind::InvalidPayload);
        assert!(
            err.message().contains("watermark.image.key"),
            "{}",
            err.message()
        );
    }
}
