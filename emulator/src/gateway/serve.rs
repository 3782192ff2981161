//! The gateway's accept loop: optional TLS (rustls), one log line and metrics per request, and
//! graceful shutdown (stop accepting, let in-flight requests finish within a bound).

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::Frame;
use hyper_util::rt::TokioIo;
use s3s::service::S3Service;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::Error;
use crate::server::Shared;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A rustls acceptor from PEM files.
pub(super) fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, Error> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        Error::Config(crate::ConfigError::Invalid(format!("{what}: {e}")))
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| bad(&format!("tls_cert {}", cert.display()), &e))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(&format!("tls_key {}", key.display()), &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS certificate/key", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

pub(super) struct Serve {
    pub(super) listener: TcpListener,
    pub(super) tls: Option<TlsAcceptor>,
    pub(super) shared: Arc<Shared>,
    pub(super) public: S3Service,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) grace: Duration,
}

/// Accepts until `stop`; then in-flight connections finish their current request (at most
/// `grace`) and close.
pub(super) async fn serve(s: Serve) {
    let Serve {
        listener,
        tls,
        shared,
        public,
        mut stop,
        grace,
    } = s;
    let mut conns = JoinSet::new();
    // The emulator's limits (`crate::server`): at most `max_connections` at once (the rest
    // wait in the backlog), and a pause after a failed accept instead of a spin.
    let slots = Arc::new(tokio::sync::Semaphore::new(
        shared.config.max_connections.max(1),
    ));
    loop {
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tokio::select! {
                _ = stop.changed() => break,
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
            continue;
        };
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed; backing off");
                        tokio::time::sleep(crate::server::ACCEPT_BACKOFF).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (shared, public, tls, stop) = (shared.clone(), public.clone(), tls.clone(), stop.clone());
                conns.spawn(async move {
                    let _slot = slot;
                    match tls {
                        Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(s)) => connection(TokioIo::new(s), crate::authz::Peer { ip: peer.ip(), tls: true }, shared, public, stop).await,
                            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                            Err(_) => tracing::debug!("TLS handshake timed out"),
                        },
                        None => connection(TokioIo::new(stream), crate::authz::Peer { ip: peer.ip(), tls: false }, shared, public, stop).await,
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    tracing::info!(
        in_flight = conns.len(),
        "shutting down: draining connections"
    );
    let drained =
        tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            cut = conns.len(),
            "shutdown grace period over; cutting connections"
        );
    }
    conns.shutdown().await;
}

async fn connection<I>(
    io: TokioIo<I>,
    peer: crate::authz::Peer,
    shared: Arc<Shared>,
    public: S3Service,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(peer);
        let (shared, public) = (shared.clone(), public.clone());
        observe(shared, public, req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(io, svc);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
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
