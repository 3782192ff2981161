//! The flow, in one place: event → fetch → transform → respond.
//!
//! [`Handler::handle`] is what Lambda (or the emulator) calls with the raw event. For GetObject
//! it parses the payload, fetches the original, runs the transform, applies Range/partNumber to
//! the transformed bytes and answers with WriteGetObjectResponse; every failure on the way becomes
//! a WGOR error answer from the table in [`crate::error`]. HEAD and LIST answer with the JSON
//! return values S3 expects ([`crate::defaults`]).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use tokio::time::Instant;
use tracing::Instrument;

use crate::clients::{ClientSettings, LazyS3};
use crate::config::{RuntimeSettings, parse_payload};
use crate::context::{RequestContext, SupportingObjects};
use crate::error::{ErrorKind, TransformError};
use crate::event::{Invocation, Operation};
use crate::fetch::Fetcher;
use crate::local_endpoint::LocalSink;
use crate::range::Selection;
use crate::respond::{ObjectHeaders, Reply, ResponseSink, S3Sink};
use crate::spool::Spool;
use crate::transform::{ByteStream, Commit, ObjectOutput, Transform};

/// Runs one [`Transform`] for S3 Object Lambda events. Build it once per process.
pub struct Handler<T: Transform> {
    transform: Arc<T>,
    fetcher: Fetcher,
    sink: Arc<dyn ResponseSink>,
    supporting: Option<LazyS3>,
    local_endpoint: bool,
    settings: RuntimeSettings,
}

/// Builder for [`Handler`].
pub struct HandlerBuilder<T: Transform> {
    transform: T,
    clients: ClientSettings,
    sink: Option<Arc<dyn ResponseSink>>,
    settings: Option<RuntimeSettings>,
    local: Option<Arc<dyn crate::LocalEndpoint>>,
}

impl<T: Transform> HandlerBuilder<T> {
    /// Send WGOR (and read supporting objects) through this endpoint instead of AWS's.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.clients.endpoint_url = Some(url.into());
        self
    }
    /// Static credentials for WGOR instead of the environment's.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.clients.credentials = Some((access_key_id.into(), secret.into()));
        self
    }
    /// Verify the endpoint's HTTPS certificate with this PEM bundle instead of the system's
    /// roots, for the `inputS3Url` fetch and WriteGetObjectResponse (default: `AWS_CA_BUNDLE`).
    pub fn ca_bundle(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.clients.ca_bundle = Some(path.into());
        self
    }
    /// Requests for `endpoint`'s origin (the `inputS3Url` fetch) and the answers
    /// (WriteGetObjectResponse) go to the host in this process instead of over the wire; see
    /// [`LocalEndpoint`](crate::LocalEndpoint). For hosts that run the transform themselves.
    pub fn local_endpoint(mut self, endpoint: Arc<dyn crate::LocalEndpoint>) -> Self {
        self.local = Some(endpoint);
        self
    }
    /// Region for the S3 client.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.clients.region = Some(region.into());
        self
    }
    /// Deliver answers through another sink (the webhook captures them).
    pub(crate) fn sink(mut self, sink: Arc<dyn ResponseSink>) -> Self {
        self.sink = Some(sink);
        self
    }
    /// Runtime settings instead of the environment's.
    pub fn settings(mut self, settings: RuntimeSettings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Build the handler. Its S3 client and its HTTP client for `inputS3Url` are built on first
    /// use, so that a cold start asks for its first event sooner.
    pub async fn build(self) -> Result<Handler<T>, TransformError> {
        let settings = match self.settings {
            Some(s) => s,
            None => RuntimeSettings::from_env()?,
        };
        let s3 = LazyS3::new(self.clients.clone());
        let endpoint = self
            .clients
            .endpoint_url
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok());
        let sink = match (self.sink, &self.local) {
            (Some(sink), _) => sink,
            (None, Some(local)) => Arc::new(LocalSink(local.clone())),
            (None, None) => Arc::new(S3Sink::lazy(s3.clone())),
        };
        Ok(Handler {
            transform: Arc::new(self.transform),
            fetcher: Fetcher::new(self.clients.ca_bundle.clone(), self.local),
            sink,
            supporting: Some(s3),
            local_endpoint: endpoint.is_some(),
            settings,
        })
    }
}

impl<T: Transform> Handler<T> {
    /// Start building a handler for `transform`.
    pub fn builder(transform: T) -> HandlerBuilder<T> {
        HandlerBuilder {
            transform,
            clients: ClientSettings::default(),
            sink: None,
            settings: None,
            local: None,
        }
    }

    /// Handle one raw event. `Err` only when the event is unreadable or the answer could not be
    /// delivered; every other failure is answered to the caller through S3.
    pub async fn handle(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> Result<Value, lambda_runtime::Error> {
        let inv = Invocation::from_value(event)?;
        let span = tracing::info_span!("object_lambda", xAmzRequestId = %inv.request_id, operation = ?op_name(&inv.operation));
        let deadline = deadline_of(&ctx, self.settings.deadline_margin);
        async move {
            match &inv.operation {
                Operation::Get {
                    output_route,
                    output_token,
                } => {
                    let reply = self.get_object(&inv, deadline).await;
                    let status = reply.status;
                    tracing::info!(
                        status,
                        error = reply.error.as_ref().map(|e| e.0.as_str()),
                        "answering with WriteGetObjectResponse"
                    );
                    self.sink.send(output_route, output_token, reply).await?;
                    Ok(json!({ "statusCode": status }))
                }
                Operation::Head => Ok(self.with_deadline(deadline, self.head_object(&inv)).await),
                Operation::List | Operation::ListV2 => {
                    Ok(self.with_deadline(deadline, self.list_objects(&inv)).await)
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn with_deadline(
        &self,
        deadline: Option<Instant>,
        work: impl Future<Output = Value>,
    ) -> Value {
        match deadline {
            Some(d) => tokio::time::timeout_at(d, work).await.unwrap_or_else(|_| {
                let e = timeout_error();
                json!({"statusCode": e.status(), "errorCode": e.code(), "errorMessage": e.message()})
            }),
            None => work.await,
        }
    }

    /// GetObject: everything up to the first byte of the answer runs under the deadline guard.
    async fn get_object(&self, inv: &Invocation, deadline: Option<Instant>) -> Reply {
        let prepared = match deadline {
            Some(d) => tokio::time::timeout_at(d, self.prepare_get(inv))
                .await
                .unwrap_or_else(|_| Err(timeout_error())),
            None => self.prepare_get(inv).await,
        };
        match prepared {
            Ok(mut reply) => {
                // Without a deadline (webhook mode) the body must stay where it is.
                if let Some(d) = deadline
                    && let Some(body) = reply.body.take()
                {
                    reply.body = Some(guard_deadline(body, d));
                }
                reply
            }
            Err(e) => {
                tracing::info!(code = e.code(), status = e.status(), "request failed");
                Reply::error(&e)
            }
        }
    }

    async fn prepare_get(&self, inv: &Invocation) -> Result<Reply, TransformError> {
        let config: T::Config = parse_payload(&inv.payload)?;
        self.transform.validate(&config)?;
        let query = inv.query();
        let range_header = inv.user_headers.get("range").and_then(|v| v.to_str().ok());
        let selection = Selection::from_request(range_header, &query)?;

        let (input, upstream) = self
            .fetcher
            .get(&inv.input_s3_url, &inv.user_headers)
            .await?;
        let original_type = input.content_type.clone();
        let ctx = self.request_context(inv, query);
        let output = self.transform.transform(config, ctx, input).await?;

        let mut headers = ObjectHeaders::forwarded_from(
            &upstream,
            output.keeps_content_encoding,
            output.unchanged && selection.is_all(),
        );
        headers.content_type = output.content_type.clone().or(original_type);
        let shaped = shape_body(output, selection, &self.settings).await?;
        headers.content_length = shaped.content_length;
        headers.content_range = shaped.content_range;
        headers.parts_count = shaped.parts_count;
        Ok(Reply {
            status: shaped.status,
            error: None,
            headers,
            body: Some(shaped.body),
        })
    }

    fn request_context(&self, inv: &Invocation, query: Vec<(String, String)>) -> RequestContext {
        let ctx = RequestContext::new(
            inv.request_id.clone(),
            inv.key(),
            query,
            inv.user_headers.clone(),
            inv.identity.clone(),
        );
        match &self.supporting {
            Some(client) => ctx.with_supporting_objects(Arc::new(SupportingAccessPoint {
                client: client.clone(),
                bucket: supporting_bucket(&inv.supporting_access_point_arn, self.local_endpoint),
            })),
            None => ctx,
        }
    }

    async fn head_object(&self, inv: &Invocation) -> Value {
        let answer = crate::defaults::head(&self.fetcher, inv).await;
        self.adjust(inv, answer, |t, config, ctx, answer| {
            t.head(config, ctx, answer)
        })
    }

    async fn list_objects(&self, inv: &Invocation) -> Value {
        let answer = crate::defaults::list(&self.fetcher, inv).await;
        self.adjust(inv, answer, |t, config, ctx, answer| {
            t.list(config, ctx, answer)
        })
    }

    /// Let the transform adjust a HEAD/LIST answer, with its configuration parsed as for GET.
    fn adjust(
        &self,
        inv: &Invocation,
        answer: Value,
        hook: impl FnOnce(&T, &T::Config, &RequestContext, Value) -> Result<Value, TransformError>,
    ) -> Value {
        let result = parse_payload::<T::Config>(&inv.payload).and_then(|config| {
            self.transform.validate(&config)?;
            let ctx = self.request_context(inv, inv.query());
            hook(&self.transform, &config, &ctx, answer)
        });
        result.unwrap_or_else(|e| crate::defaults::error_value(&e))
    }
}

fn op_name(op: &Operation) -> &'static str {
    match op {
        Operation::Get { .. } => "GetObject",
        Operation::Head => "HeadObject",
        Operation::List => "ListObjects",
        Operation::ListV2 => "ListObjectsV2",
    }
}

fn timeout_error() -> TransformError {
    TransformError::new(
        ErrorKind::Timeout,
        "The transformation did not finish before the function's deadline",
    )
}

/// Deadlines below this (2001-09-09 in epoch milliseconds) cannot be epoch times.
const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;

/// The instant at which unfinished work is abandoned (`None` without a deadline).
///
/// Lambda sends `Lambda-Runtime-Deadline-Ms` as epoch milliseconds. Some local hosts send a
/// relative budget instead (cargo lambda 1.9.2 sends `600000`); read as an epoch time that is
/// long past, and every invocation would time out at once. A value that cannot be an epoch
/// time in milliseconds is therefore taken as milliseconds from now (with one warning).
fn deadline_of(ctx: &lambda_runtime::Context, margin: Duration) -> Option<Instant> {
    if ctx.deadline == 0 {
        return None;
    }
    let left = if ctx.deadline < EPOCH_MS_FLOOR {
        static WARNED: std::sync::Once = std::sync::Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                deadline_ms = ctx.deadline,
                "the runtime's deadline is not an epoch time; treating it as milliseconds from now"
            );
        });
        Duration::from_millis(ctx.deadline)
    } else {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_millis() as u64;
        Duration::from_millis(ctx.deadline.saturating_sub(now_ms))
    };
    Some(Instant::now() + left.saturating_sub(margin))
}

/// A body that ends in an error (aborting the response) instead of running into the deadline.
fn guard_deadline(body: ByteStream, deadline: Instant) -> ByteStream {
    let sleep = Box::pin(tokio::time::sleep_until(deadline));
    Box::pin(futures::stream::unfold(
        (body, sleep, false),
        |(mut body, mut sleep, done)| async move {
            if done {
                return None;
            }
            tokio::select! {
                item = body.next() => item.map(|i| (i, (body, sleep, false))),
                () = &mut sleep => {
                    tracing::warn!("deadline reached while streaming; aborting the response");
                    Some((Err(timeout_error()), (body, sleep, true)))
                }
            }
        },
    ))
}

/// The body and the length headers, once the selection is applied.
struct Shaped {
    status: u16,
    body: ByteStream,
    content_length: Option<u64>,
    content_range: Option<String>,
    parts_count: Option<u64>,
}

/// Decide status and length, and cut the selection out of the transformed bytes.
///
/// The first `commit_window` bytes are always read before answering, so that failures early in
/// the transform still become clean error answers. If the output ends within that window, or
/// its length was declared, the answer has an exact length; Range/partNumber on output of unknown
/// length, and commit-after-completion transforms, spool the whole output first.
async fn shape_body(
    output: ObjectOutput,
    selection: Selection,
    settings: &RuntimeSettings,
) -> Result<Shaped, TransformError> {
    let ObjectOutput {
        content_length,
        mut body,
        commit,
        ..
    } = output;
    // The window is kept as the chunks that came (no copy into one buffer).
    let mut window: Vec<bytes::Bytes> = Vec::new();
    let mut windowed = 0_usize;
    let mut ended = false;
    while windowed < settings.commit_window {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                if !chunk.is_empty() {
                    windowed += chunk.len();
                    window.push(chunk);
                }
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let must_hold =
        commit == Commit::AfterCompletion || (!selection.is_all() && content_length.is_none());
    if ended || must_hold {
        let mut spool = Spool::new(settings.spool_memory.max(windowed), settings.spool_limit);
        for chunk in &window {
            spool.push(chunk).await?;
        }
        if !ended {
            // Polling a finished stream again is not allowed (unfold-based streams panic).
            spool.drain(&mut body).await?;
        }
        let resolved = selection.resolve(spool.len())?;
        return Ok(Shaped {
            status: if resolved.partial { 206 } else { 200 },
            content_length: Some(resolved.len),
            content_range: resolved.content_range(),
            parts_count: resolved.parts_count,
            body: spool.slice(resolved.start, resolved.len).await?,
        });
    }
    // Still streaming: what is buffered goes first, then the rest as it comes.
    let head = futures::stream::iter(window.into_iter().map(Ok));
    let rest: ByteStream = Box::pin(head.chain(body));
    match content_length {
        Some(declared) => {
            let resolved = selection.resolve(declared)?;
            let checked = check_length(rest, declared);
            Ok(Shaped {
                status: if resolved.partial { 206 } else { 200 },
                content_length: Some(resolved.len),
                content_range: resolved.content_range(),
                parts_count: resolved.parts_count,
                body: slice_stream(checked, resolved.start, resolved.len),
            })
        }
        None => Ok(Shaped {
            status: 200,
            content_length: None,
            content_range: None,
            parts_count: None,
            body: rest,
        }),
    }
}

/// Fail the stream if it does not carry exactly `declared` bytes (a short original must not
/// become a short 200).
fn check_length(body: ByteStream, declared: u64) -> ByteStream {
    let mismatch = move |seen: u64| {
        TransformError::new(
            ErrorKind::ServiceUnavailable,
            format!("the object ended after {seen} of {declared} bytes"),
        )
    };
    Box::pin(futures::stream::unfold(
        (body, 0u64, false),
        move |(mut body, seen, done)| async move {
            if done {
                return None;
            }
            match body.next().await {
                Some(Ok(chunk)) => {
                    let seen = seen + chunk.len() as u64;
                    if seen > declared {
                        return Some((Err(mismatch(seen)), (body, seen, true)));
                    }
                    Some((Ok(chunk), (body, seen, false)))
                }
                Some(Err(e)) => Some((Err(e), (body, seen, true))),
                None if seen != declared => Some((Err(mismatch(seen)), (body, seen, true))),
                None => None,
            }
        },
    ))
}

/// Skip `start` bytes, then pass on `len` bytes.
fn slice_stream(body: ByteStream, start: u64, len: u64) -> ByteStream {
    Box::pin(futures::stream::unfold(
        (body, start, len),
        |(mut body, mut skip, mut left)| async move {
            loop {
                if left == 0 {
                    return None;
                }
                let mut chunk: Bytes = match body.next().await? {
                    Ok(c) => c,
                    Err(e) => return Some((Err(e), (body, 0, 0))),
                };
                if skip >= chunk.len() as u64 {
                    skip -= chunk.len() as u64;
                    continue;
                }
                let _ = chunk.split_to(skip as usize);
                skip = 0;
                if chunk.len() as u64 > left {
                    chunk.truncate(left as usize);
                }
                left -= chunk.len() as u64;
                return Some((Ok(chunk), (body, skip, left)));
            }
        },
    ))
}

/// On AWS the supporting access point's ARN is the bucket; a local endpoint is addressed
/// path-style by the access point's name.
fn supporting_bucket(arn: &str, local: bool) -> String {
    if local {
        arn.rsplit('/').next().unwrap_or(arn).to_owned()
    } else {
        arn.to_owned()
    }
}

struct SupportingAccessPoint {
    client: LazyS3,
    bucket: String,
}

impl SupportingObjects for SupportingAccessPoint {
    fn get(&self, key: &str, max_bytes: u64) -> BoxFuture<'static, Result<Bytes, TransformError>> {
        let (client, bucket, key) = (self.client.clone(), self.bucket.clone(), key.to_owned());
        Box::pin(async move {
            let req = client.get().await?.get_object().bucket(bucket).key(key);
            let resp = req.send().await.map_err(|e| {
                let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(503);
                let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&e)
                    .unwrap_or_default()
                    .to_owned();
                crate::fetch::error_from_status(status, format!("<Code>{code}</Code>").as_bytes())
            })?;
            if resp.content_length().is_some_and(|l| l as u64 > max_bytes) {
                return Err(TransformError::too_large(format!(
                    "the supporting object is larger than {max_bytes} bytes"
                )));
            }
            let stream: ByteStream =
                Box::pin(futures::stream::unfold(resp.body, |mut body| async move {
                    body.next().await.map(|r| {
                        (
                            r.map_err(|_| {
                                TransformError::new(
                                    ErrorKind::ServiceUnavailable,
                                    "reading a supporting object failed",
                                )
                            }),
                            body,
                        )
                    })
                }));
            crate::transform::collect(stream, max_bytes).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(parts: Vec<&'static [u8]>) -> ByteStream {
        Box::pin(futures::stream::iter(
            parts.into_iter().map(|p| Ok(Bytes::from_static(p))),
        ))
    }

    async fn read(s: ByteStream) -> Result<Vec<u8>, TransformError> {
        crate::collect(s, u64::MAX).await.map(|b| b.to_vec())
    }

    #[tokio::test]
    async fn slice_stream_cuts_across_chunks() {
        let got = read(slice_stream(stream(vec![b"abc", b"defg", b"hij"]), 2, 6))
            .await
            .unwrap();
        assert_eq!(got, b"cdefgh");
    }

    #[tokio::test]
    async fn check_length_fails_short_and_long_bodies() {
        assert!(read(check_length(stream(vec![b"abc"]), 3)).await.is_ok());
        assert_eq!(
            read(check_length(stream(vec![b"ab"]), 3))
                .await
                .unwrap_err()
                .code(),
            "ServiceUnavailable"
        );
        assert!(read(check_length(stream(vec![b"abcd"]), 3)).await.is_err());
    }

    fn settings(window: usize) -> RuntimeSettings {
        RuntimeSettings {
            commit_window: window,
            spool_memory: window,
            ..RuntimeSettings::default()
        }
    }

    #[tokio::test]
    async fn small_output_gets_exact_length() {
        let out = ObjectOutput::streaming(None, stream(vec![b"hello ", b"world"]));
        let s = shape_body(out, Selection::All, &settings(1024))
            .await
            .unwrap();
        assert_eq!((s.status, s.content_length), (200, Some(11)));
        assert_eq!(read(s.body).await.unwrap(), b"hello world");
    }

    #[tokio::test]
    async fn range_on_unknown_length_output_is_spooled() {
        let out = ObjectOutput::streaming(None, stream(vec![b"0123", b"4567", b"89"]));
        let sel = Selection::Suffix(3);
        let s = shape_body(out, sel, &settings(2)).await.unwrap();
        assert_eq!(
            (s.status, s.content_range.as_deref()),
            (206, Some("bytes 7-9/10"))
        );
        assert_eq!(read(s.body).await.unwrap(), b"789");
    }

    struct Echo;
    impl crate::ChunkProcessor for Echo {
        fn process(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), TransformError> {
            out.extend_from_slice(chunk);
            Ok(())
        }
        fn finish(&mut self, _out: &mut Vec<u8>) -> Result<(), TransformError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn finished_streams_are_not_polled_again() {
        // map_chunks is unfold-based: polling it after its end panics.
        for selection in [Selection::All, Selection::Suffix(2)] {
            let body = crate::map_chunks(stream(vec![b"ab", b"cd"]), Echo);
            let s = shape_body(
                ObjectOutput::streaming(None, body),
                selection,
                &settings(1024),
            )
            .await
            .unwrap();
            assert!(!read(s.body).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn large_unknown_output_streams_without_length() {
        let out = ObjectOutput::streaming(None, stream(vec![b"0123", b"4567", b"89"]));
        let s = shape_body(out, Selection::All, &settings(4)).await.unwrap();
        assert_eq!((s.status, s.content_length), (200, None));
        assert_eq!(read(s.body).await.unwrap(), b"0123456789");
    }

    #[tokio::test]
    async fn errors_inside_the_window_fail_cleanly() {
        let body: ByteStream = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"ab")),
            Err(TransformError::invalid_content("broken at byte 2")),
        ]));
        let err = shape_body(
            ObjectOutput::streaming(None, body),
            Selection::All,
            &settings(1024),
        )
        .await
        .err()
        .unwrap();
        assert_eq!(err.code(), "InvalidObjectContent");
    }

    #[tokio::test]
    async fn commit_after_completion_reports_late_errors() {
        let body: ByteStream = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"abcdef")),
            Err(TransformError::access_denied("found")),
        ]));
        let out = ObjectOutput::streaming(None, body).with_commit_after_completion();
        let err = shape_body(out, Selection::All, &settings(2))
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "AccessDenied");
    }

    #[tokio::test]
    async fn declared_length_streams_ranges_without_spooling() {
        let mut out = ObjectOutput::streaming(None, stream(vec![b"0123", b"4567", b"89"]));
        out.content_length = Some(10);
        let s = shape_body(
            out,
            Selection::FromTo {
                start: 3,
                end: Some(8),
            },
            &settings(2),
        )
        .await
        .unwrap();
        assert_eq!(
            (s.status, s.content_length, s.content_range.as_deref()),
            (206, Some(6), Some("bytes 3-8/10"))
        );
        assert_eq!(read(s.body).await.unwrap(), b"345678");
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_guard_aborts_a_stalled_body() {
        let body: ByteStream = Box::pin(futures::stream::pending());
        let guarded = guard_deadline(body, Instant::now() + Duration::from_millis(50));
        assert_eq!(read(guarded).await.unwrap_err().code(), "TransformTimeout");
    }

    #[test]
    fn relative_deadlines_are_budgets() {
        let margin = Duration::from_millis(2000);
        let mut ctx = lambda_runtime::Context::default();
        // cargo lambda's Runtime API: a relative 600 000 ms.
        ctx.deadline = 600_000;
        let d = deadline_of(&ctx, margin).unwrap();
        let left = d - Instant::now();
        assert!(
            left > Duration::from_secs(590) && left <= Duration::from_secs(598),
            "{left:?}"
        );
        // Lambda: epoch milliseconds 30 s from now.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        ctx.deadline = now + 30_000;
        let left = deadline_of(&ctx, margin).unwrap() - Instant::now();
        assert!(
            left > Duration::from_secs(26) && left <= Duration::from_secs(28),
            "{left:?}"
        );
        // An epoch deadline already past leaves nothing.
        ctx.deadline = now - 1000;
        assert!(deadline_of(&ctx, margin).unwrap() <= Instant::now());
    }

    #[test]
    fn supporting_bucket_by_endpoint() {
        let arn = "arn:aws:s3:us-east-1:1:accesspoint/demo-ap";
        assert_eq!(supporting_bucket(arn, true), "demo-ap");
        assert_eq!(supporting_bucket(arn, false), arn);
    }
}
