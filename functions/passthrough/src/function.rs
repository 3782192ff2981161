//! The S3 Object Lambda function (feature `lambda`): the [`Transform`] the runtime calls. A
//! function with a pure library maps its `Error` here with `impl From<Error> for
//! TransformError` (see `pii-redactor`, `xml-to-json`, `image-transform`).

use object_lambda::{
    NoConfig, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError,
};

/// Passthrough takes no options; an empty payload (or `{}`) is the only valid one. A function
/// with options declares a `#[serde(deny_unknown_fields, default)]` struct instead.
pub type Config = NoConfig;

/// Returns the original object unchanged. Because the bytes are unchanged, the original's
/// Content-Length and ETag still hold, so Range and partNumber stream without buffering.
#[derive(Debug, Default, Clone, Copy)]
pub struct Passthrough;

impl Transform for Passthrough {
    type Config = Config;

    async fn transform(
        &self,
        _config: Config,
        _ctx: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        Ok(ObjectOutput::unchanged(input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_the_object_unchanged() {
        let ctx = RequestContext::new("r", "k", vec![], Default::default(), Default::default());
        let input = ObjectInput::from_bytes(Some("text/csv".into()), &b"a,b\n1,2\n"[..]);
        let out = Passthrough
            .transform(NoConfig {}, ctx, input)
            .await
            .unwrap();
        assert_eq!(out.content_type.as_deref(), Some("text/csv"));
        assert!(out.unchanged && out.keeps_content_encoding);
        let bytes = object_lambda::collect(out.body, 1 << 20).await.unwrap();
        assert_eq!(&bytes[..], b"a,b\n1,2\n");
    }

    #[test]
    fn rejects_unknown_payload_keys() {
        let err = object_lambda::parse_payload::<Config>(r#"{"mode":"x"}"#).unwrap_err();
        assert!(err.message().contains("`mode`"));
    }
}
