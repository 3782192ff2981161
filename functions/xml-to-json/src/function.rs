//! The S3 Object Lambda function: glue between the pure converter and the `object-lambda`
//! runtime (feature `lambda`). The binary and the emulator run [`XmlToJson`].

use crate::{Config, Converter, Error, ErrorKind};
use object_lambda::{
    ChunkProcessor, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError,
    map_chunks,
};

/// The `xml-to-json` transform: streams the object through a [`Converter`].
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlToJson;

impl Transform for XmlToJson {
    type Config = Config;

    fn validate(&self, config: &Config) -> Result<(), TransformError> {
        config.validate().map_err(|e| to_transform_error(&e))
    }

    async fn transform(
        &self,
        config: Config,
        _ctx: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        if let Some(encoding) = input
            .content_encoding
            .as_deref()
            .filter(|e| !e.eq_ignore_ascii_case("identity"))
        {
            return Err(TransformError::unsupported_content_type(format!(
                "objects stored with Content-Encoding {encoding} are not supported"
            )));
        }
        let content_type = config.content_type().to_owned();
        let mut converter = Converter::new(config).map_err(|e| to_transform_error(&e))?;
        converter.set_pipelined(pipelined());
        let body = map_chunks(input.body, Processor(converter));
        // Tree mode produces its output at the end, so malformed or truncated XML is always a
        // clean 400. NDJSON (item_depth) streams: an error within the runtime's commit window
        // is a 400, a later one aborts the response (never a clean, short 200) — holding a
        // multi-GB dump's output back would defeat the point of item_depth.
        Ok(ObjectOutput::streaming(Some(content_type), body))
    }
}

/// Memory (MB) from which a Lambda function gets two vCPUs' worth of CPU time: Lambda
/// gives CPU time in proportion to memory, one vCPU's worth at 1 769 MB.
const TWO_VCPUS_MB: u32 = 2 * 1769;

/// Whether to convert on two threads (see [`threads`]).
fn pipelined() -> bool {
    threads(
        std::env::var("XML_TO_JSON_THREADS").ok().as_deref(),
        std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
            .ok()
            .as_deref(),
        crate::second_core_available(),
    )
}

/// `XML_TO_JSON_THREADS=1` or `2` decides. Otherwise two threads when there is a second
/// core and, on Lambda, the function's memory buys two vCPUs' worth of time: below that
/// both threads share less than that, and the pipeline's extra 10–20 % of CPU time makes
/// the conversion slower, not faster.
fn threads(forced: Option<&str>, lambda_memory_mb: Option<&str>, second_core: bool) -> bool {
    match forced {
        Some("1") => return false,
        Some("2") => return true,
        _ => {}
    }
    let memory_allows = lambda_memory_mb
        .and_then(|mb| mb.trim().parse::<u32>().ok())
        .is_none_or(|mb| mb >= TWO_VCPUS_MB);
    memory_allows && second_core
}

struct Processor(Converter);

impl ChunkProcessor for Processor {
    fn process(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError> {
        self.0.feed(chunk, out).map_err(|e| to_transform_error(&e))
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TransformError> {
        self.0.finish(out).map_err(|e| to_transform_error(&e))
    }
}

/// Maps converter errors to the runtime's S3 error classes.
fn to_transform_error(e: &Error) -> TransformError {
    if let Error::InvalidConfig { key, message } = e {
        return TransformError::invalid_payload(key, message);
    }
    match e.kind() {
        ErrorKind::InvalidContent => TransformError::invalid_content(e.to_string()),
        ErrorKind::UnsupportedContentType => {
            TransformError::unsupported_content_type(e.to_string())
        }
        ErrorKind::TooLarge => TransformError::too_large(e.to_string()),
        ErrorKind::InvalidPayload => {
            TransformError::invalid_payload(e.payload_key().unwrap_or("payload"), e)
        }
        ErrorKind::Internal => TransformError::internal(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_threads_only_with_a_second_core_and_enough_lambda_memory() {
        assert!(threads(None, None, true));
        assert!(!threads(None, None, false));
        assert!(!threads(None, Some("1024"), true));
        assert!(!threads(None, Some("3537"), true));
        assert!(threads(None, Some("3538"), true));
        assert!(threads(None, Some("10240"), true));
        assert!(!threads(Some("1"), Some("10240"), true));
        assert!(threads(Some("2"), Some("128"), false));
        // Unreadable values change nothing.
        assert!(threads(Some("x"), Some("lots"), true));
    }

    async fn run(
        payload: &str,
        body: &'static [u8],
    ) -> Result<(Option<String>, Vec<u8>), TransformError> {
        let config: Config = object_lambda::config::parse_payload(payload)?;
        XmlToJson.validate(&config)?;
        let input = ObjectInput::from_bytes(Some("application/xml".to_owned()), body);
        let ctx = RequestContext::new(
            "req-1",
            "doc.xml",
            Vec::new(),
            http::HeaderMap::new(),
            object_lambda::CallerIdentity::default(),
        );
        let output = XmlToJson.transform(config, ctx, input).await?;
        let bytes = object_lambda::collect(output.body, 1 << 20).await?;
        Ok((output.content_type, bytes.to_vec()))
    }

    #[tokio::test]
    async fn converts_and_sets_content_type() {
        let (ct, body) = run("", b"<a x=\"1\"><b>t</b></a>").await.unwrap();
        assert_eq!(ct.as_deref(), Some("application/json"));
        assert_eq!(body, b"{\"a\":{\"@x\":\"1\",\"b\":\"t\"}}\n");
        let (ct, body) = run(r#"{"item_depth":2}"#, b"<r><a>1</a><a>2</a></r>")
            .await
            .unwrap();
        assert_eq!(ct.as_deref(), Some("application/x-ndjson"));
        assert_eq!(body, b"{\"a\":\"1\"}\n{\"a\":\"2\"}\n");
    }

    #[tokio::test]
    async fn errors_map_to_s3_codes() {
        let err = run("", b"<a><b></a>").await.unwrap_err();
        assert_eq!(err.code(), "InvalidObjectContent");
        let err = run(
            "",
            include_bytes!("../testdata/real/billion_laughs_classic.xml"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "InvalidObjectContent");
        let err = run(r#"{"max_depth":2}"#, b"<a><b><c/></b></a>")
            .await
            .unwrap_err();
        assert_eq!(err.code(), "EntityTooLarge");
        let err = run(r#"{"bogus":1}"#, b"<a/>").await.unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().contains("bogus"), "{}", err.message());
        let err = run(r#"{"pretty":true,"item_depth":1}"#, b"<a/>")
            .await
            .unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().contains("`pretty`"), "{}", err.message());
    }
}
