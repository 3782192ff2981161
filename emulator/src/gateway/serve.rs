//! The gateway's serving: optional TLS (rustls), one log line and metrics per request, and
//! graceful shutdown (stop accepting, let in-flight requests finish within a bound).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::Frame;
use s3s::service::S3Service;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::server::Shared;

pub(super) struct Serve {
    pub(super) listener: TcpListener,
    pub(super) tls: Option<TlsAcceptor>,
    pub(super) shared: Arc<Shared>,
    pub(super) public: S3Service,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) grace: Duration,
}

/// Accepts until `stop` (the emulator's accept loop, `crate::accept`: connection limit,
/// header-read and TLS handshake timeouts, accept back-off); then in-flight connections
/// finish their current request (at most `grace`) and close.
pub(super) async fn serve(s: Serve) {
    let Serve {
        listener,
        tls,
        shared,
        public,
        stop,
        grace,
    } = s;
    let limits = crate::accept::Limits::new(
        shared.config.max_connections,
        shared.config.header_read_timeout_ms,
        grace,
    );
    let service = move |req: http::Request<hyper::body::Incoming>| {
        observe(shared.clone(), public.clone(), req)
    };
    crate::accept::serve(listener, tls, limits, service, stop).await;
}

/// The first path segment, if it is an Object Lambda Access Point (a bounded metrics label).
fn access_point_of(shared: &Shared, path: &str) -> String {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    match shared.config.olap(first) {
        Some(o) => o.name.clone(),
        None if path == "/WriteGetObjectResponse" => "WriteGetObjectResponse".to_owned(),
        None => "-".to_owned(),
    }
}

async fn observe(
    shared: Arc<Shared>,
    public: S3Service,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Counted>, std::convert::Infallible> {
    let started = Instant::now();
    let method = req.method().clone();
    let access_point = access_point_of(&shared, req.uri().path());
    let resp = crate::server::dispatch(shared, public, req).await?;
    let status = resp.status().as_u16();
    let request_id = resp
        .headers()
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    tracing::info!(
        request_id,
        %method,
        access_point,
        status,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    metrics::counter!("object_lambda_requests_total", "access_point" => access_point.clone(), "status" => status.to_string()).increment(1);
    let bytes = metrics::counter!("object_lambda_bytes_out_total", "access_point" => access_point);
    Ok(resp.map(|body| Counted { inner: body, bytes }))
}

/// A response body that counts the bytes it sends.
pub(super) struct Counted {
    inner: s3s::Body,
    bytes: metrics::Counter,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.bytes.increment(data.len() as u64);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
