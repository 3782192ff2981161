//! Answering a GetObject with `WriteGetObjectResponse` (WGOR).
//!
//! [`Reply`] is what the runtime decided to send; a [`ResponseSink`] delivers it. The real sink
//! is [`S3Sink`] (aws-sdk-s3), tests use an in-memory one. The body streams: an error inside the
//! stream aborts the HTTP request, so the caller sees a broken response, never a short 200.

use aws_sdk_s3::operation::write_get_object_response::builders::WriteGetObjectResponseFluentBuilder;
use aws_sdk_s3::primitives::{ByteStream as SdkByteStream, DateTime};
use aws_sdk_s3::types::{ObjectLockMode, ReplicationStatus, ServerSideEncryption, StorageClass};
use futures::StreamExt;
use futures::future::BoxFuture;
use http::HeaderMap;

use crate::clients::LazyS3;
use crate::error::{ErrorKind, TransformError};
use crate::transform::ByteStream;

/// Object headers copied from the original when they still describe the transformed object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ObjectHeaders {
    /// `Content-Type` of what we send.
    pub content_type: Option<String>,
    /// Exact length of the body, when known.
    pub content_length: Option<u64>,
    /// `Content-Range` for 206.
    pub content_range: Option<String>,
    /// `x-amz-mp-parts-count` for partNumber answers.
    pub parts_count: Option<u64>,
    /// Everything else, as wire names (`last-modified`, `x-amz-meta-*`, ...).
    pub forwarded: Vec<(String, String)>,
}

/// Headers of the original that still hold after any transformation. Content-Length, ETag,
/// checksums and Content-Encoding are decided separately because they describe the bytes.
const KEPT: [&str; 17] = [
    "cache-control",
    "content-disposition",
    "content-language",
    "expires",
    "last-modified",
    "x-amz-storage-class",
    "x-amz-version-id",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
    "x-amz-replication-status",
    "x-amz-tagging-count",
    "x-amz-restore",
    "x-amz-expiration",
];

/// The checksums S3 returns with `x-amz-checksum-mode: ENABLED`, in the order one is picked
/// when an object has several: WriteGetObjectResponse takes one checksum only.
const CHECKSUMS: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

impl ObjectHeaders {
    /// Pick the headers to forward from the original's response. `unchanged` (the whole
    /// original, byte for byte) also keeps its ETag and its stored checksum, which still
    /// describe the bytes sent; any other answer drops them.
    pub(crate) fn forwarded_from(
        upstream: &HeaderMap,
        keep_encoding: bool,
        unchanged: bool,
    ) -> Self {
        let mut forwarded = Vec::new();
        if unchanged
            && let Some((name, value)) = CHECKSUMS.iter().find_map(|n| {
                upstream
                    .get(*n)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (*n, v))
            })
        {
            forwarded.push((name.to_owned(), value.to_owned()));
        }
        for (name, value) in upstream {
            let name = name.as_str();
            let keep = KEPT.contains(&name)
                || name.starts_with("x-amz-meta-")
                || name == "x-amz-missing-meta"
                || (keep_encoding && name == "content-encoding")
                || (unchanged && name == "etag");
            if keep && let Ok(v) = value.to_str() {
                forwarded.push((name.to_owned(), v.to_owned()));
            }
        }
        Self {
            forwarded,
            ..Self::default()
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.forwarded
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to send through WGOR.
pub(crate) struct Reply {
    /// HTTP status for the caller.
    pub status: u16,
    /// Error code and message (only with an error status).
    pub error: Option<(String, String)>,
    /// Object headers.
    pub headers: ObjectHeaders,
    /// Body (only with 200/206).
    pub body: Option<ByteStream>,
}

impl Reply {
    /// An error answer: status, code and message, no body. 304 carries no code (it is not an
    /// error to S3 clients and has no body).
    pub(crate) fn error(err: &TransformError) -> Self {
        let error = (*err.kind() != ErrorKind::NotModified)
            .then(|| (err.code().to_owned(), header_safe(err.message())));
        Self {
            status: err.status(),
            error,
            headers: ObjectHeaders::default(),
            body: None,
        }
    }
}

/// Longest error message sent; it travels in a header.
const MAX_MESSAGE: usize = 1024;

/// Make a message fit for the `x-amz-fwd-error-message` header: visible ASCII and spaces only
/// (other characters become `?`, whitespace runs one space), at most 1024 bytes.
/// Without this a message with a newline or a non-ASCII character fails the whole WGOR.
pub(crate) fn header_safe(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE));
    for c in message.chars() {
        if out.len() >= MAX_MESSAGE {
            break;
        }
        match c {
            ' '..='~' => out.push(c),
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            _ => out.push('?'),
        }
    }
    out.trim().to_owned()
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("error", &self.error)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Delivers a [`Reply`] for one route + token.
pub(crate) trait ResponseSink: Send + Sync + 'static {
    /// Send it. An `Err` means the caller may not have received an answer.
    fn send(
        &self,
        route: &str,
        token: &str,
        reply: Reply,
    ) -> BoxFuture<'static, Result<(), TransformError>>;
}

/// The real sink: `WriteGetObjectResponse` with aws-sdk-s3.
#[derive(Clone, Debug)]
pub(crate) struct S3Sink {
    client: LazyS3,
}

impl S3Sink {
    /// Send through a client that is built on first use.
    pub(crate) fn lazy(client: LazyS3) -> Self {
        Self { client }
    }
}

impl ResponseSink for S3Sink {
    fn send(
        &self,
        route: &str,
        token: &str,
        reply: Reply,
    ) -> BoxFuture<'static, Result<(), TransformError>> {
        let (lazy, route, token) = (self.client.clone(), route.to_owned(), token.to_owned());
        Box::pin(async move {
            let client = lazy.get().await?;
            wgor_request(&client, &route, &token, reply)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    let detail = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
                    tracing::error!(error = %detail, "WriteGetObjectResponse failed");
                    TransformError::internal("WriteGetObjectResponse failed")
                })
        })
    }
}

/// The WriteGetObjectResponse request for `reply`.
fn wgor_request(
    client: &aws_sdk_s3::Client,
    route: &str,
    token: &str,
    reply: Reply,
) -> WriteGetObjectResponseFluentBuilder {
    let mut req = client
        .write_get_object_response()
        .request_route(route)
        .request_token(token)
        .status_code(i32::from(reply.status));
    if let Some((code, message)) = reply.error {
        req = req.error_code(code).error_message(message);
    }
    let h = &reply.headers;
    if let Some(v) = &h.content_type {
        req = req.content_type(v);
    }
    if let Some(v) = h.content_length {
        req = req.content_length(i64::try_from(v).unwrap_or(i64::MAX));
    }
    if let Some(v) = &h.content_range {
        req = req.content_range(v);
    }
    if let Some(v) = h.parts_count {
        req = req.parts_count(i32::try_from(v).unwrap_or(i32::MAX));
    }
    if reply.body.is_some() {
        req = req.accept_ranges("bytes");
    }
    for (name, value) in &h.forwarded {
        if let Some(meta) = name.strip_prefix("x-amz-meta-") {
            req = req.metadata(meta, value);
        }
    }
    let date = |name| {
        h.get(name)
            .and_then(|v| DateTime::from_str(v, aws_smithy_types::date_time::Format::HttpDate).ok())
    };
    req = req
        .set_cache_control(h.get("cache-control").map(Into::into))
        .set_content_disposition(h.get("content-disposition").map(Into::into))
        .set_content_language(h.get("content-language").map(Into::into))
        .set_content_encoding(h.get("content-encoding").map(Into::into))
        .set_e_tag(h.get("etag").map(Into::into))
        .set_checksum_crc32(h.get("x-amz-checksum-crc32").map(Into::into))
        .set_checksum_crc32_c(h.get("x-amz-checksum-crc32c").map(Into::into))
        .set_checksum_crc64_nvme(h.get("x-amz-checksum-crc64nvme").map(Into::into))
        .set_checksum_sha1(h.get("x-amz-checksum-sha1").map(Into::into))
        .set_checksum_sha256(h.get("x-amz-checksum-sha256").map(Into::into))
        .set_expires(date("expires"))
        .set_last_modified(date("last-modified"))
        .set_version_id(h.get("x-amz-version-id").map(Into::into))
        .set_storage_class(h.get("x-amz-storage-class").map(StorageClass::from))
        .set_server_side_encryption(
            h.get("x-amz-server-side-encryption")
                .map(ServerSideEncryption::from),
        )
        .set_ssekms_key_id(
            h.get("x-amz-server-side-encryption-aws-kms-key-id")
                .map(Into::into),
        )
        .set_bucket_key_enabled(
            h.get("x-amz-server-side-encryption-bucket-key-enabled")
                .map(|v| v.eq_ignore_ascii_case("true")),
        )
        .set_object_lock_mode(h.get("x-amz-object-lock-mode").map(ObjectLockMode::from))
        .set_object_lock_retain_until_date(h.get("x-amz-object-lock-retain-until-date").and_then(
            |v| DateTime::from_str(v, aws_smithy_types::date_time::Format::DateTime).ok(),
        ))
        .set_replication_status(
            h.get("x-amz-replication-status")
                .map(ReplicationStatus::from),
        )
        .set_tag_count(h.get("x-amz-tagging-count").and_then(|v| v.parse().ok()))
        .set_restore(h.get("x-amz-restore").map(Into::into))
        .set_expiration(h.get("x-amz-expiration").map(Into::into))
        .set_missing_meta(h.get("x-amz-missing-meta").and_then(|v| v.parse().ok()));
    if let Some(body) = reply.body {
        req = req.body(to_sdk_stream(body));
    }
    req
}

/// Stream a body as `Transfer-Encoding: chunked` (or with the length set above). The SDK wants a
/// `Sync` body: [`SyncBody`] makes the transform's stream one without a task or channel in
/// between; an error in the stream aborts the request.
fn to_sdk_stream(body: ByteStream) -> SdkByteStream {
    SdkByteStream::from_body_1_x(SyncBody {
        stream: std::sync::Mutex::new(body),
        failed: false,
    })
}

/// A [`ByteStream`] as an HTTP body that is `Sync`: the stream sits behind a mutex that is
/// never locked (polling goes through `get_mut`). Ends after the first error.
struct SyncBody {
    stream: std::sync::Mutex<ByteStream>,
    failed: bool,
}

impl http_body::Body for SyncBody {
    type Data = bytes::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if this.failed {
            return std::task::Poll::Ready(None);
        }
        let stream = this
            .stream
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stream.poll_next_unpin(cx).map(|item| {
            item.map(|chunk| {
                chunk.map(http_body::Frame::data).map_err(|e| {
                    this.failed = true;
                    std::io::Error::other(e.to_string())
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_what_still_holds() {
        let mut up = HeaderMap::new();
        for (k, v) in [
            ("content-length", "10"),
            ("etag", "\"abc\""),
            ("content-type", "text/csv"),
            ("content-encoding", "gzip"),
            ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-amz-meta-owner", "team"),
            ("x-amz-checksum-crc32", "AAAA"),
            ("x-amz-version-id", "v1"),
            ("cache-control", "max-age=60"),
        ] {
            up.insert(http::HeaderName::from_static(k), v.parse().unwrap());
        }
        let h = ObjectHeaders::forwarded_from(&up, false, false);
        let mut names: Vec<_> = h.forwarded.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "cache-control",
                "last-modified",
                "x-amz-meta-owner",
                "x-amz-version-id"
            ]
        );
        let h = ObjectHeaders::forwarded_from(&up, true, true);
        assert_eq!(h.get("etag"), Some("\"abc\""));
        assert_eq!(h.get("content-encoding"), Some("gzip"));
        assert_eq!(h.get("x-amz-checksum-crc32"), Some("AAAA"));
    }

    #[test]
    fn one_checksum_is_forwarded_and_only_for_unchanged_bytes() {
        let mut up = HeaderMap::new();
        up.insert("x-amz-checksum-sha256", "S".parse().unwrap());
        up.insert("x-amz-checksum-crc32c", "C".parse().unwrap());
        let h = ObjectHeaders::forwarded_from(&up, false, true);
        let sums: Vec<_> = h
            .forwarded
            .iter()
            .filter(|(k, _)| k.starts_with("x-amz-checksum-"))
            .collect();
        assert_eq!(
            sums,
            [&("x-amz-checksum-crc32c".to_owned(), "C".to_owned())]
        );
        let h = ObjectHeaders::forwarded_from(&up, false, false);
        assert!(
            h.forwarded
                .iter()
                .all(|(k, _)| !k.starts_with("x-amz-checksum-"))
        );
    }

    #[test]
    fn error_messages_are_header_safe() {
        assert_eq!(
            header_safe("bad\nline 3,\tcol 4: «é»"),
            "bad line 3, col 4: ???"
        );
        assert_eq!(header_safe(&"x".repeat(5000)).len(), MAX_MESSAGE);
        let r = Reply::error(&TransformError::invalid_content("line 1\r\nline 2"));
        assert_eq!(r.error.unwrap().1, "line 1 line 2");
    }

    #[test]
    fn not_modified_has_no_error_code() {
        let r = Reply::error(&TransformError::new(ErrorKind::NotModified, "x"));
        assert_eq!((r.status, r.error.is_none()), (304, true));
        let r = Reply::error(&TransformError::too_large("x"));
        assert_eq!(r.error.unwrap().0, "EntityTooLarge");
    }
}
