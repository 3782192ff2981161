//! The seam between the protocol and a transformation: the [`Transform`] trait and the byte
//! streams it consumes and produces. Nothing here knows about Lambda, S3 or HTTP.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::RequestContext;
use crate::error::TransformError;

/// A stream of object bytes. Errors end the stream; the runtime turns them into S3 errors.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, TransformError>> + Send>>;

/// A transformation of S3 objects, with its own typed configuration.
///
/// `Config` is parsed from the Object Lambda Access Point's payload (a JSON string) on every
/// request; put `#[serde(deny_unknown_fields, default)]` on it so that a misspelt key is refused
/// with an error naming it, and an empty payload means the documented defaults.
///
/// ```no_run
/// use object_lambda::{NoConfig, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError};
///
/// /// Upper-cases text objects.
/// struct Upper;
///
/// impl Transform for Upper {
///     type Config = NoConfig;
///     async fn transform(&self, _: NoConfig, _: RequestContext, input: ObjectInput)
///         -> Result<ObjectOutput, TransformError> {
///         let bytes = object_lambda::collect(input.body, 10 << 20).await?;
///         Ok(ObjectOutput::bytes(input.content_type, bytes.to_ascii_uppercase()))
///     }
/// }
///
/// fn main() { object_lambda::run(Upper) }
/// ```
pub trait Transform: Send + Sync + 'static {
    /// The access point payload, parsed.
    type Config: DeserializeOwned + Default + Send + Sync + 'static;

    /// Checks beyond what serde does (ranges of numbers, conflicting options). The error should
    /// be [`TransformError::invalid_payload`] naming the key.
    fn validate(&self, _config: &Self::Config) -> Result<(), TransformError> {
        Ok(())
    }

    /// Adjust the HeadObject answer. `answer` is the supporting access point's, in the JSON
    /// shape S3 Object Lambda expects (`{"statusCode": 200, "headers": {"Content-Length": n,
    /// "content-type": ...}}`, or `statusCode` + `errorCode` + `errorMessage`). Default: unchanged,
    /// i.e. HEAD describes the original.
    fn head(
        &self,
        _config: &Self::Config,
        _ctx: &RequestContext,
        answer: Value,
    ) -> Result<Value, TransformError> {
        Ok(answer)
    }

    /// Adjust the ListObjects / ListObjectsV2 answer (`{"statusCode": 200, "listResultXml":
    /// "..."}`, or `listBucketResult` instead of the XML). Default: unchanged.
    fn list(
        &self,
        _config: &Self::Config,
        _ctx: &RequestContext,
        answer: Value,
    ) -> Result<Value, TransformError> {
        Ok(answer)
    }

    /// Transform one object. Return quickly with a streaming body where the format allows it;
    /// errors inside the body stream are reported as well as the runtime can (see
    /// [`ObjectOutput::with_commit_after_completion`]).
    fn transform(
        &self,
        config: Self::Config,
        ctx: RequestContext,
        input: ObjectInput,
    ) -> impl Future<Output = Result<ObjectOutput, TransformError>> + Send;

    /// Local mode only (stdin → stdout, no Lambda): transform the whole object on the calling
    /// thread with blocking I/O, reading `input.body` and writing the output to `output`,
    /// instead of [`Transform::transform`]'s streams. No async runtime is running. The output
    /// must be the bytes `transform` produces; on an error, local mode prints it and exits
    /// with status 1 (output already written stays written, as with `transform`).
    ///
    /// Default: `None`, without touching `input` or `output`: local mode then runs
    /// `transform` on an async runtime, as Lambda does. A transform implements this when the
    /// hand-over between its converting thread and the runtime's shows in a local run's
    /// time: for xml-to-json on 6 MB it was about 2 ms of 26
    /// (functions/xml-to-json/bench/runs/2026-12-06-intel-xeon-vm.md).
    fn transform_blocking(
        &self,
        _config: &Self::Config,
        _ctx: &RequestContext,
        _input: BlockingInput,
        _output: BlockingOutput,
    ) -> Option<Result<(), TransformError>> {
        None
    }
}

/// The original object for [`Transform::transform_blocking`]: standard input in local mode.
pub struct BlockingInput {
    /// `--content-type`.
    pub content_type: Option<String>,
    /// The length of standard input when it is a regular file; `None` for a pipe.
    pub content_length: Option<u64>,
    /// The original's bytes, unbuffered (each `read` is a system call): read in chunks of a
    /// few tens of KiB.
    pub body: Box<dyn std::io::Read + Send>,
}

/// Where [`Transform::transform_blocking`] writes: standard output in local mode,
/// unbuffered (each `write` is a system call: write big pieces, or wrap it in a
/// `BufWriter` and flush it). Owned, so that a transform can hand it to a callback of its own.
pub type BlockingOutput = Box<dyn std::io::Write + Send>;

/// The original object as fetched from the supporting access point.
pub struct ObjectInput {
    /// The original's `Content-Type`.
    pub content_type: Option<String>,
    /// The original's `Content-Length`, when known.
    pub content_length: Option<u64>,
    /// The original's `Content-Encoding` (e.g. `gzip`), when set.
    pub content_encoding: Option<String>,
    /// The original's bytes.
    pub body: ByteStream,
}

impl ObjectInput {
    /// An input from bytes in memory (tests, local mode).
    pub fn from_bytes(content_type: Option<String>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            content_type,
            content_length: Some(bytes.len() as u64),
            content_encoding: None,
            body: Box::pin(futures::stream::once(async move { Ok(bytes) })),
        }
    }

    /// The whole body in memory, at most `limit` bytes (else `EntityTooLarge`), for transforms
    /// whose format needs all of it. A declared `content_length` over the limit fails before
    /// anything is read, and one within it sizes the buffer up front (one allocation, no
    /// copies as it grows).
    pub async fn into_bytes(self, limit: u64) -> Result<Bytes, TransformError> {
        if self.content_length.is_some_and(|len| len > limit) {
            return Err(too_large(limit));
        }
        let capacity = self.content_length.unwrap_or(0).min(limit);
        collect_into(self.body, limit, usize::try_from(capacity).unwrap_or(0)).await
    }
}

/// When the runtime may commit to a success status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Start answering once a first window of output is ready (or the output is complete).
    /// An error after that aborts the response instead of finishing it cleanly.
    Streaming,
    /// Hold the whole output (in memory up to a bound, then on disk) until the transform has
    /// finished, so that any error still becomes a clean 4xx. Used by checks that can only
    /// decide at the end, such as deny mode.
    AfterCompletion,
}

/// The transformed object.
pub struct ObjectOutput {
    /// `Content-Type` of the output; `None` keeps the original's.
    pub content_type: Option<String>,
    /// Exact output length, when known before the body is produced.
    pub content_length: Option<u64>,
    /// The output bytes.
    pub body: ByteStream,
    /// Whether the original's `Content-Encoding` still applies to the output.
    pub keeps_content_encoding: bool,
    /// The bytes are the original's, unchanged, so ETag and checksums still hold.
    pub unchanged: bool,
    /// When the runtime may commit to success.
    pub commit: Commit,
}

impl ObjectOutput {
    /// A streaming output of unknown length.
    pub fn streaming(content_type: Option<String>, body: ByteStream) -> Self {
        Self {
            content_type,
            content_length: None,
            body,
            keeps_content_encoding: false,
            unchanged: false,
            commit: Commit::Streaming,
        }
    }

    /// An output already in memory.
    pub fn bytes(content_type: Option<String>, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        Self {
            content_length: Some(len),
            ..Self::streaming(
                content_type,
                Box::pin(futures::stream::once(async move { Ok(bytes) })),
            )
        }
    }

    /// The original object, unchanged (what `passthrough` returns).
    pub fn unchanged(input: ObjectInput) -> Self {
        Self {
            content_type: input.content_type,
            content_length: input.content_length,
            body: input.body,
            keeps_content_encoding: true,
            unchanged: true,
            commit: Commit::Streaming,
        }
    }

    /// Hold the whole output until the transform is done (see [`Commit::AfterCompletion`]).
    pub fn with_commit_after_completion(mut self) -> Self {
        self.commit = Commit::AfterCompletion;
        self
    }
}

/// A streaming transformation written as push/finish over byte chunks.
pub trait ChunkProcessor: Send + 'static {
    /// Consume one chunk of input, appending any output that is ready to `out`.
    fn process(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError>;
    /// The input has ended: append the remaining output.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TransformError>;
}

/// Run a [`ChunkProcessor`] over a stream. Memory stays what the processor keeps plus one chunk.
pub fn map_chunks<P: ChunkProcessor>(input: ByteStream, processor: P) -> ByteStream {
    struct State<P> {
        input: ByteStream,
        processor: P,
        done: bool,
    }
    let state = State {
        input,
        processor,
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            let mut out = Vec::new();
            let step = match st.input.next().await {
                Some(Ok(chunk)) => st.processor.process(&chunk, &mut out),
                Some(Err(e)) => Err(e),
                None => {
                    st.done = true;
                    st.processor.finish(&mut out)
                }
            };
            match step {
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                Ok(()) if !out.is_empty() => return Some((Ok(Bytes::from(out)), st)),
                Ok(()) => {}
            }
        }
    }))
}

/// Read a whole stream into memory, refusing more than `limit` bytes with `EntityTooLarge`.
pub async fn collect(input: ByteStream, limit: u64) -> Result<Bytes, TransformError> {
    collect_into(input, limit, 0).await
}

async fn collect_into(
    mut input: ByteStream,
    limit: u64,
    capacity: usize,
) -> Result<Bytes, TransformError> {
    let mut buf = Vec::with_capacity(capacity);
    while let Some(chunk) = input.next().await {
        let chunk = chunk?;
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

fn too_large(limit: u64) -> TransformError {
    TransformError::too_large(format!(
        "the object is larger than this function's limit of {limit} bytes"
    ))
}

/// Run CPU-heavy work off the async worker threads.
pub async fn blocking<T, F>(work: F) -> Result<T, TransformError>
where
    F: FnOnce() -> Result<T, TransformError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| TransformError::internal(format!("transform task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Upper;
    impl ChunkProcessor for Upper {
        fn process(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError> {
            if chunk.contains(&b'!') {
                return Err(TransformError::invalid_content("bang"));
            }
            out.extend(chunk.iter().map(u8::to_ascii_uppercase));
            Ok(())
        }
        fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), TransformError> {
            out.extend_from_slice(b".");
            Ok(())
        }
    }

    fn chunks(parts: &[&'static str]) -> ByteStream {
        let items: Vec<Result<Bytes, TransformError>> = parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        Box::pin(futures::stream::iter(items))
    }

    /// Without a blocking form of its own, local mode runs `transform` (the default
    /// `transform_blocking` declines without reading or writing anything).
    #[test]
    fn transform_blocking_declines_by_default() {
        struct Unchanged;
        impl Transform for Unchanged {
            type Config = crate::NoConfig;
            async fn transform(
                &self,
                _: crate::NoConfig,
                _: RequestContext,
                input: ObjectInput,
            ) -> Result<ObjectOutput, TransformError> {
                Ok(ObjectOutput::unchanged(input))
            }
        }
        struct Untouched;
        impl std::io::Read for Untouched {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                panic!("read")
            }
        }
        impl std::io::Write for Untouched {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                panic!("written")
            }
            fn flush(&mut self) -> std::io::Result<()> {
                panic!("flushed")
            }
        }
        let ctx = RequestContext::new(
            "local",
            "key",
            Vec::new(),
            http::HeaderMap::new(),
            crate::CallerIdentity::default(),
        );
        let input = BlockingInput {
            content_type: None,
            content_length: None,
            body: Box::new(Untouched),
        };
        let declined =
            Unchanged.transform_blocking(&crate::NoConfig {}, &ctx, input, Box::new(Untouched));
        assert!(declined.is_none());
    }

    #[tokio::test]
    async fn map_chunks_processes_and_finishes() {
        let out = collect(map_chunks(chunks(&["ab", "", "c"]), Upper), 100)
            .await
            .unwrap();
        assert_eq!(&out[..], b"ABC.");
    }

    #[tokio::test]
    async fn map_chunks_stops_at_first_error() {
        let mut s = map_chunks(chunks(&["ab", "!", "c"]), Upper);
        assert!(s.next().await.unwrap().is_ok());
        assert_eq!(
            s.next().await.unwrap().unwrap_err().code(),
            "InvalidObjectContent"
        );
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn collect_enforces_limit() {
        let err = collect(chunks(&["abc", "def"]), 5).await.unwrap_err();
        assert_eq!(err.code(), "EntityTooLarge");
        assert_eq!(
            &collect(chunks(&["abc", "de"]), 5).await.unwrap()[..],
            b"abcde"
        );
    }

    #[tokio::test]
    async fn into_bytes_trusts_a_declared_length_only_to_refuse_early() {
        // Declared over the limit: refused without polling the body (which would fail).
        let never: ByteStream = Box::pin(futures::stream::once(async {
            Err(TransformError::internal("the body was read"))
        }));
        let input = ObjectInput {
            content_type: None,
            content_length: Some(6),
            content_encoding: None,
            body: never,
        };
        assert_eq!(
            input.into_bytes(5).await.unwrap_err().code(),
            "EntityTooLarge"
        );
        // Declared within the limit but the body is longer: the limit still holds.
        let input = ObjectInput {
            content_type: None,
            content_length: Some(3),
            content_encoding: None,
            body: chunks(&["abc", "def"]),
        };
        assert_eq!(
            input.into_bytes(5).await.unwrap_err().code(),
            "EntityTooLarge"
        );
        let input = ObjectInput {
            content_type: None,
            content_length: None,
            content_encoding: None,
            body: chunks(&["abc", "de"]),
        };
        assert_eq!(&input.into_bytes(5).await.unwrap()[..], b"abcde");
    }
}
