//! The S3 Object Lambda function: glue between the pure converter and the `object-lambda`
//! runtime (feature `lambda`). The binary and the emulator run [`XmlToJson`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use futures::StreamExt;
use object_lambda::{
    BlockingInput, BlockingOutput, ByteStream, ObjectInput, ObjectOutput, RequestContext,
    Transform, TransformError,
};
use tokio::sync::mpsc;

use crate::{Config, Converter, Error, ErrorKind};

/// Output pieces queued for the response: memory for the output stays a few pieces, not
/// the document.
const OUT_QUEUE: usize = 4;
/// Output is handed on once this much is ready. Each hand-over may wake the thread that
/// sends the response (a context switch each way): 256 KiB pieces take a quarter of the
/// wake-ups of 64 KiB ones (bench/runs/2026-12-05-amd-epyc-2.md).
const PIECE: usize = 256 << 10;

/// The `xml-to-json` transform: streams the object through a [`Converter`].
#[derive(Debug, Clone, Copy, Default)]
pub struct XmlToJson;

impl Transform for XmlToJson {
    type Config = Config;

    fn validate(&self, config: &Config) -> Result<(), TransformError> {
        Ok(config.validate()?)
    }

    async fn transform(
        &self,
        config: Config,
        _ctx: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        refuse_encoded(input.content_encoding.as_deref())?;
        let content_type = config.content_type().to_owned();
        let converter = converter(config, input.content_length)?;
        // Tree mode produces its output when the root closes, so malformed or truncated
        // XML is a clean 400. NDJSON (item_depth) streams: an error within the runtime's
        // commit window is a 400, a later one aborts the response (never a clean, short
        // 200) — holding a multi-GB dump's output back would defeat the point of item_depth.
        Ok(ObjectOutput::streaming(
            Some(content_type),
            convert_on_thread(converter, input.body),
        ))
    }

    /// Local mode converts on the main thread and writes standard output itself
    /// (`crate::local`), as `examples/convert_file` does: no hand-over of 256 KiB pieces
    /// to the runtime's thread, no thread or async runtime started.
    fn transform_blocking(
        &self,
        config: &Config,
        _ctx: &RequestContext,
        input: BlockingInput,
        output: BlockingOutput,
    ) -> Option<Result<(), TransformError>> {
        Some(
            converter(config.clone(), input.content_length)
                .and_then(|converter| crate::local::convert(converter, input.body, output)),
        )
    }
}

/// Objects stored compressed are refused: the converter reads XML, not gzip.
fn refuse_encoded(content_encoding: Option<&str>) -> Result<(), TransformError> {
    match content_encoding.filter(|e| !e.eq_ignore_ascii_case("identity")) {
        Some(encoding) => Err(TransformError::unsupported_content_type(format!(
            "objects stored with Content-Encoding {encoding} are not supported"
        ))),
        None => Ok(()),
    }
}

/// A converter for an object of `object_len` bytes (when known), on one or two threads.
fn converter(config: Config, object_len: Option<u64>) -> Result<Converter, TransformError> {
    let mut converter = Converter::new(config)?;
    converter.set_expected_len(object_len);
    converter.set_pipelined(pipelined(object_len));
    Ok(converter)
}

type Sender = mpsc::Sender<Result<Bytes, TransformError>>;

/// Capacity of a piece's buffer: a piece and the last write that filled it.
const PIECE_CAPACITY: usize = PIECE + (64 << 10);

/// Buffers of pieces the response has sent, for the next pieces.
type Pool = Arc<Mutex<Vec<Vec<u8>>>>;

/// A piece's buffer, back to the pool once the response is done with it: the few buffers
/// in flight are reused instead of fresh heap memory per piece (page faults).
struct Pooled {
    buf: Vec<u8>,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        lock(&self.pool).push(buf);
    }
}

/// Gathers output (tree mode's serialiser hands it over in 64 KiB pieces through the
/// converter's sink, NDJSON records come in `feed`'s output) and sends it on in pieces of
/// about [`PIECE`], in order. Shared by the sink and the converting thread.
struct Pieces {
    buf: Vec<u8>,
    tx: Sender,
    pool: Pool,
}

impl Pieces {
    /// Appends `bytes`, sends a piece once there is one; `false` when nobody listens any
    /// more (the request was abandoned).
    fn add(&mut self, bytes: &[u8]) -> bool {
        self.buf.extend_from_slice(bytes);
        self.buf.len() < PIECE || self.send()
    }

    /// Sends what is gathered (the buffer itself: no copy).
    fn send(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let next = lock(&self.pool)
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(PIECE_CAPACITY));
        let piece = Pooled {
            buf: std::mem::replace(&mut self.buf, next),
            pool: Arc::clone(&self.pool),
        };
        self.tx.blocking_send(Ok(Bytes::from_owner(piece))).is_ok()
    }
}

/// A lock that a panic elsewhere does not poison for us.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the conversion on a blocking thread, which pulls the body chunk by chunk and hands
/// output on in pieces of about [`PIECE`] as soon as it is final, tree mode's document
/// included (through the converter's sink, while it is serialised), through a bounded
/// queue. The whole JSON document never sits in memory: it used to be collected in one
/// buffer (and copied once more from the worker thread when pipelined), which on a 6 MB
/// object was thousands of page faults of freshly touched memory. The pieces' buffers are
/// reused once the response has sent them ([`Pooled`]), and each input chunk
/// is dropped before the next is asked for, so the body's reader can reuse its buffer too.
fn convert_on_thread(mut converter: Converter, mut body: ByteStream) -> ByteStream {
    let (out_tx, out_rx) = mpsc::channel::<Result<Bytes, TransformError>>(OUT_QUEUE);
    let pieces = Arc::new(Mutex::new(Pieces {
        buf: Vec::with_capacity(PIECE_CAPACITY),
        tx: out_tx.clone(),
        pool: Pool::default(),
    }));
    let sink_pieces = Arc::clone(&pieces);
    converter.set_sink(Box::new(move |piece| {
        if lock(&sink_pieces).add(piece) {
            Ok(())
        } else {
            Err(std::io::Error::other("the response went away"))
        }
    }));
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        // A blocking thread may wait for the runtime's futures.
        while let Some(chunk) = runtime.block_on(body.next()) {
            let fed =
                chunk.and_then(|c| converter.feed(&c, &mut out).map_err(TransformError::from));
            if let Err(e) = fed {
                let _ = out_tx.blocking_send(Err(e));
                return;
            }
            // Nobody listens any more (the request was abandoned): stop.
            if !out.is_empty() && !lock(&pieces).add(&out) {
                return;
            }
            out.clear();
        }
        match converter.finish(&mut out) {
            Ok(()) => {
                let mut pieces = lock(&pieces);
                if pieces.add(&out) {
                    pieces.send();
                }
            }
            Err(e) => {
                let _ = out_tx.blocking_send(Err(e.into()));
            }
        }
    });
    Box::pin(futures::stream::unfold(out_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Whether to convert on two threads (see [`threads`]).
fn pipelined(object_len: Option<u64>) -> bool {
    threads(
        std::env::var("XML_TO_JSON_THREADS").ok().as_deref(),
        object_lambda::second_vcpu,
        object_len,
    )
}

/// `XML_TO_JSON_THREADS=1` or `2` decides. Otherwise two threads when the object is big
/// enough to pay for the second thread ([`crate::pipeline_pays_off`]) and a second vCPU's
/// worth of time is there ([`object_lambda::second_vcpu`]: without it the pipeline's extra
/// 10–20 % of CPU time makes the conversion slower, not faster). `second_vcpu` is asked
/// last: it reads the cgroup's CPU quota (files in /proc and /sys), which a small object
/// need not wait for.
fn threads(
    forced: Option<&str>,
    second_vcpu: impl FnOnce() -> bool,
    object_len: Option<u64>,
) -> bool {
    match forced {
        Some("1") => return false,
        Some("2") => return true,
        _ => {}
    }
    crate::pipeline_pays_off(object_len) && second_vcpu()
}

/// Converter errors as the runtime's S3 error classes, so `?` works.
impl From<Error> for TransformError {
    fn from(e: Error) -> Self {
        if let Error::InvalidConfig { key, message } = &e {
            return Self::invalid_payload(key, message);
        }
        match e.kind() {
            ErrorKind::InvalidContent => Self::invalid_content(e.to_string()),
            ErrorKind::UnsupportedContentType => Self::unsupported_content_type(e.to_string()),
            ErrorKind::TooLarge => Self::too_large(e.to_string()),
            ErrorKind::InvalidPayload => {
                Self::invalid_payload(e.payload_key().unwrap_or("payload"), &e)
            }
            ErrorKind::Internal => Self::internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The Lambda memory rule is `object_lambda::second_vcpu`'s, tested there.
    fn two_threads_only_with_a_second_vcpu_and_a_big_object() {
        let big = Some(1 << 30);
        assert!(threads(None, || true, big));
        assert!(threads(None, || true, None));
        assert!(!threads(None, || false, big));
        assert!(!threads(Some("1"), || true, big));
        assert!(threads(Some("2"), || false, Some(10)));
        // Small objects: the second thread costs more than it saves.
        assert!(!threads(None, || true, Some(100_000)));
        // ... and they do not wait for the cgroup files to be read.
        assert!(!threads(None, || unreachable!(), Some(100_000)));
        // Unreadable values change nothing.
        assert!(threads(Some("x"), || true, big));
    }

    async fn run(
        payload: &str,
        body: &'static [u8],
    ) -> Result<(Option<String>, Vec<u8>), TransformError> {
        let config: Config = object_lambda::parse_payload(payload)?;
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
    async fn tree_output_leaves_in_pieces_while_serialised() {
        // About 4.5 MB of JSON: sent in pieces of about 256 KiB, not as one buffer.
        let mut xml = String::from("<r>");
        for i in 0..100_000 {
            xml.push_str(&format!("<n id=\"{i}\" v=\"value number {i}\"/>"));
        }
        xml.push_str("</r>");
        let expected = crate::convert(xml.as_bytes(), &Config::default()).unwrap();
        let config: Config = object_lambda::parse_payload("").unwrap();
        let input = ObjectInput::from_bytes(Some("application/xml".to_owned()), xml);
        let ctx = RequestContext::new(
            "req-1",
            "doc.xml",
            Vec::new(),
            http::HeaderMap::new(),
            object_lambda::CallerIdentity::default(),
        );
        let output = XmlToJson.transform(config, ctx, input).await.unwrap();
        let pieces: Vec<Bytes> = output
            .body
            .map(|piece| piece.unwrap())
            .collect::<Vec<_>>()
            .await;
        assert!(pieces.len() > 10, "{} pieces", pieces.len());
        assert!(pieces.iter().all(|p| p.len() <= 2 * PIECE));
        assert_eq!(pieces.concat(), expected);
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
