//! Hosts that run a function in their own process and serve its endpoint themselves (the
//! emulator's built-in functions) can take the function's requests without a wire.
//!
//! A function on Lambda talks to S3 over HTTP twice per GET: it fetches `inputS3Url` and it
//! answers with WriteGetObjectResponse. When the host runs the transform in-process, both
//! would cross the host's own loopback socket, and on a small machine those two extra
//! crossings (a copy into and out of the kernel each way, the wake-ups between threads) cost
//! more than the GET itself (`emulator/bench/runs/`). With [`HandlerBuilder::local_endpoint`]
//! the handler instead hands requests for the endpoint's origin to the host as
//! `http::Request`s, and its answers as the headers and body a WGOR would carry; the host
//! runs them through the same checks as requests off the wire (presigned signature, policies,
//! the WGOR's single-use token). The object's bytes go through as the same `Bytes` chunks.
//!
//! [`HandlerBuilder::local_endpoint`]: crate::HandlerBuilder::local_endpoint

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::HeaderMap;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};

use crate::error::TransformError;
use crate::respond::{Reply, ResponseSink};

/// The error type of [`LocalBody`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A request or response body between a function and its host.
pub type LocalBody = UnsyncBoxBody<Bytes, BoxError>;

/// The host side of a function's endpoint, in the host's process.
pub trait LocalEndpoint: Send + Sync + 'static {
    /// The endpoint's origin (`http://127.0.0.1:9000`): requests for it come here.
    fn origin(&self) -> &str;

    /// Answers a request the function would have sent to the endpoint (the presigned GET,
    /// HEAD or LIST of `inputS3Url`): the URI is the full URL, the headers are the ones it
    /// would have sent (`Host` included).
    fn request(&self, req: http::Request<()>) -> BoxFuture<'static, http::Response<LocalBody>>;

    /// Takes a WriteGetObjectResponse: the headers it would have carried
    /// (`x-amz-request-route`, `x-amz-request-token`, `x-amz-fwd-*`, `content-length`) and its
    /// body. Resolves once the body has gone to the caller; `Err` is why it was refused.
    fn write_get_object_response(
        &self,
        headers: HeaderMap,
        body: LocalBody,
    ) -> BoxFuture<'static, Result<(), String>>;
}

/// Answers through [`LocalEndpoint::write_get_object_response`].
pub(crate) struct LocalSink(pub(crate) std::sync::Arc<dyn LocalEndpoint>);

impl ResponseSink for LocalSink {
    fn send(
        &self,
        route: &str,
        token: &str,
        reply: Reply,
    ) -> BoxFuture<'static, Result<(), TransformError>> {
        let (parts, body) = as_wgor(reply, route, token).into_parts();
        let sent = self.0.write_get_object_response(parts.headers, body);
        Box::pin(async move {
            sent.await.map_err(|e| {
                tracing::error!(error = %e, "WriteGetObjectResponse refused by the host");
                TransformError::internal("WriteGetObjectResponse failed")
            })
        })
    }
}

/// A [`Reply`] as the headers and body a WriteGetObjectResponse carries on the wire (also
/// MinIO's webhook answer): `x-amz-request-route`/`-token`, `x-amz-fwd-status`,
/// `x-amz-fwd-error-*`, `x-amz-fwd-header-*`, `content-length`; the status is the answer's.
pub(crate) fn as_wgor(reply: Reply, route: &str, token: &str) -> http::Response<LocalBody> {
    let mut headers: Vec<(String, String)> = vec![
        ("x-amz-request-route".into(), route.to_owned()),
        ("x-amz-request-token".into(), token.to_owned()),
        ("x-amz-fwd-status".into(), reply.status.to_string()),
    ];
    if let Some((code, message)) = &reply.error {
        headers.push(("x-amz-fwd-error-code".into(), code.clone()));
        headers.push(("x-amz-fwd-error-message".into(), message.clone()));
    }
    let h = &reply.headers;
    let fwd = |name: &str| format!("x-amz-fwd-header-{name}");
    if let Some(v) = &h.content_type {
        headers.push((fwd("Content-Type"), v.clone()));
    }
    if let Some(v) = &h.content_range {
        headers.push((fwd("Content-Range"), v.clone()));
    }
    if let Some(v) = h.parts_count {
        headers.push((fwd("x-amz-mp-parts-count"), v.to_string()));
    }
    if reply.body.is_some() {
        headers.push((fwd("Accept-Ranges"), "bytes".into()));
        if let Some(v) = h.content_length {
            headers.push(("content-length".into(), v.to_string()));
        }
    }
    for (name, value) in &h.forwarded {
        headers.push((fwd(name), value.clone()));
    }
    let body: LocalBody = match reply.body {
        Some(stream) => BodyExt::boxed_unsync(StreamBody::new(stream.map(|chunk| {
            chunk
                .map(http_body::Frame::data)
                .map_err(|e| Box::new(e) as BoxError)
        }))),
        None => Full::new(Bytes::new())
            .map_err(|e| match e {})
            .boxed_unsync(),
    };
    let mut resp = http::Response::new(body);
    *resp.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
