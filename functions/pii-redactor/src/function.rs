//! The S3 Object Lambda function (feature `lambda`): request → [`crate::StreamRedactor`] over
//! the body stream → S3 response. The core modules have no runtime, AWS or async types.

use std::sync::Mutex;

use crate::{Config, Error, ErrorKind, Mode, Redactor, StreamRedactor, UnsupportedContent};
use object_lambda::{
    ChunkProcessor, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError,
};

/// Redactors built for earlier invocations of this process, oldest first. An access point
/// sends the same payload with every request, so a warm Lambda reuses the compiled patterns
/// (~3.5 ms) and the DFA states earlier objects built (on a 5 MB object ~30 % of the work)
/// instead of starting cold on every request.
static REDACTORS: Mutex<Vec<(Config, Redactor)>> = Mutex::new(Vec::new());
/// How many payloads are remembered: one function may serve several access points. Each
/// entry holds its compiled automata and at most a few idle DFA caches (≈ 1 MB together).
const CACHED_REDACTORS: usize = 4;

/// The redactor for `config`, from [`REDACTORS`] or built (and remembered).
fn redactor_for(config: &Config) -> Result<Redactor, Error> {
    if let Ok(cache) = REDACTORS.lock()
        && let Some((_, redactor)) = cache.iter().find(|(c, _)| c == config)
    {
        return Ok(redactor.clone());
    }
    // Built outside the lock: concurrent first requests may each build one, which is fine.
    let redactor = Redactor::new(config)?;
    if let Ok(mut cache) = REDACTORS.lock()
        && !cache.iter().any(|(c, _)| c == config)
    {
        if cache.len() >= CACHED_REDACTORS {
            cache.remove(0);
        }
        cache.push((config.clone(), redactor.clone()));
    }
    Ok(redactor)
}

/// The `pii-redactor` function.
#[derive(Debug, Clone, Copy, Default)]
pub struct PiiRedactor;

/// The library's errors as S3 errors (the message never holds object content), so `?` works.
impl From<Error> for TransformError {
    fn from(error: Error) -> Self {
        match (error.kind(), &error) {
            (_, Error::InvalidConfig { key, message }) => Self::invalid_payload(key, message),
            (ErrorKind::UnsupportedContentType, _) => {
                Self::unsupported_content_type(error.to_string())
            }
            (ErrorKind::AccessDenied, _) => Self::access_denied(error.to_string()),
            _ => Self::internal(error.to_string()),
        }
    }
}

struct Processor(StreamRedactor);

impl ChunkProcessor for Processor {
    fn process(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError> {
        Ok(self.0.push(chunk, out)?)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TransformError> {
        Ok(self.0.finish(out)?)
    }
}

impl Transform for PiiRedactor {
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
        let redactor = redactor_for(&config)?;
        // Compressed bytes are never UTF-8 text: apply `unsupported_content` up front so a
        // passed-through object keeps its Content-Encoding.
        let encoded = input
            .content_encoding
            .as_deref()
            .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
        if encoded {
            return match config.unsupported_content {
                UnsupportedContent::Pass => Ok(ObjectOutput::unchanged(input)),
                UnsupportedContent::Fail => Err(TransformError::unsupported_content_type(
                    "the object has a Content-Encoding; only plain UTF-8 text can be redacted",
                )),
            };
        }
        let format = redactor.format_for(input.content_type.as_deref(), Some(ctx.key()));
        let stream =
            redactor.stream_sized(format, input.content_length, object_lambda::second_vcpu());
        let body = object_lambda::map_chunks(input.body, Processor(stream));
        let output = ObjectOutput::streaming(input.content_type, body);
        // Deny mode can only decide at the end of the object: hold the output so finding PII
        // late still answers a clean 403.
        Ok(if config.mode == Mode::Deny {
            output.with_commit_after_completion()
        } else {
            output
        })
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use object_lambda::CallerIdentity;

    use super::*;

    fn ctx(key: &str) -> RequestContext {
        RequestContext::new(
            "req",
            key,
            Vec::new(),
            http::HeaderMap::new(),
            CallerIdentity::default(),
        )
    }

    fn run(
        payload: &str,
        key: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Vec<u8>, TransformError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let config: Config = serde_json::from_str(payload)
                .map_err(|e| TransformError::invalid_payload("payload", e))?;
            PiiRedactor.validate(&config)?;
            let input = ObjectInput::from_bytes(content_type.map(str::to_owned), body.to_vec());
            let mut out = PiiRedactor.transform(config, ctx(key), input).await?.body;
            let mut bytes = Vec::new();
            while let Some(chunk) = out.next().await {
                bytes.extend_from_slice(&chunk?);
            }
            Ok(bytes)
        })
    }

    #[test]
    fn redacts_by_format_from_content_type_and_key() {
        let out = run("{}", "a.txt", Some("text/plain"), b"mail bob@example.com").expect("ok");
        assert_eq!(out, b"mail ***************");
        let p = r#"{"redact_fields":["name"],"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#;
        let out = run(
            p,
            "x/users.jsonl",
            None,
            b"{\"name\":\"Al\",\"ip\":\"10.0.0.1\"}\n",
        )
        .expect("ok");
        assert_eq!(out, b"{\"name\":\"[NAME]\",\"ip\":\"[IP_ADDRESS]\"}\n");
        let out = run(p, "x/users", Some("text/csv"), b"name,n\nAl,1\n").expect("ok");
        assert_eq!(out, b"name,n\n[NAME],1\n");
    }

    #[test]
    fn invocations_with_the_same_payload_share_one_redactor() {
        let parse = |p: &str| serde_json::from_str::<Config>(p).expect("config");
        let payload = r##"{"entity_types":["EMAIL"],"mask_character":"#"}"##;
        let first = redactor_for(&parse(payload)).expect("build");
        // An equal payload of a later request (parsed anew) finds it.
        let again = redactor_for(&parse(payload)).expect("cached");
        assert!(std::sync::Arc::ptr_eq(&first.engine, &again.engine));
        let other = redactor_for(&parse(r#"{"entity_types":["SSN"]}"#)).expect("build");
        assert!(!std::sync::Arc::ptr_eq(&first.engine, &other.engine));
        // The cached redactor still redacts per its own payload.
        let out = run(
            r##"{"entity_types":["EMAIL"],"mask_character":"#"}"##,
            "a.txt",
            None,
            b"bob@example.com 536-22-8765",
        )
        .expect("ok");
        assert_eq!(out, b"############### 536-22-8765");
    }

    #[test]
    fn errors_map_to_s3_codes() {
        let e = run(r#"{"mode":"deny"}"#, "a.txt", None, b"ssn 536-22-8765").expect_err("deny");
        assert_eq!((e.status(), e.code()), (403, "AccessDenied"));
        let e = run("{}", "a.bin", None, b"\xff\xfe\x00binary").expect_err("binary");
        assert_eq!((e.status(), e.code()), (400, "UnsupportedContentType"));
        let e = run(r#"{"mask_character":"xx"}"#, "a.txt", None, b"").expect_err("payload");
        assert_eq!(e.status(), 400);
        assert!(e.message().contains("mask_character"), "{}", e.message());
        let out = run(
            r#"{"unsupported_content":"pass"}"#,
            "a.bin",
            None,
            b"\xff\xfe 536-22-8765",
        )
        .expect("pass");
        assert_eq!(out, b"\xff\xfe 536-22-8765");
    }
}
