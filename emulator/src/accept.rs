//! The one accept loop of the emulator and the gateway: plain HTTP or TLS, a connection
//! limit, a header-read timeout, a pause after a failed accept, and shutdown with an optional
//! grace period.
//!
//! Each request gets a [`Peer`] in its extensions: the client's IP (`aws:SourceIp`) and
//! whether it came over TLS (`aws:SecureTransport`); over TLS also a [`TlsSession`], the
//! negotiated version and cipher suite (server access logs).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::authz::Peer;

/// How long to wait before accepting again after `accept` failed (e.g. out of file
/// descriptors): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a TLS connection negotiated, as S3's server access logs write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TlsSession {
    /// `TLSv1.2`, `TLSv1.3`.
    pub(crate) version: &'static str,
    /// OpenSSL's name for a TLS 1.2 suite (`ECDHE-RSA-AES128-GCM-SHA256`), the IANA name for
    /// a TLS 1.3 one (`TLS_AES_128_GCM_SHA256`).
    pub(crate) cipher: &'static str,
}

impl TlsSession {
    /// The session of a connection whose handshake is done (`None` before).
    pub(crate) fn of(conn: &tokio_rustls::rustls::ServerConnection) -> Option<Self> {
        use tokio_rustls::rustls::{CipherSuite as C, ProtocolVersion as V};
        let version = match conn.protocol_version()? {
            V::TLSv1_2 => "TLSv1.2",
            V::TLSv1_3 => "TLSv1.3",
            _ => return None,
        };
        let cipher = match conn.negotiated_cipher_suite()?.suite() {
            C::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
            C::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
            C::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
            C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
            C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
            C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
            C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
            C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
            C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
            // The suites the aws-lc-rs provider offers are all above; another would be a new
            // provider's, written as rustls names it rather than guessed.
            other => other.as_str().unwrap_or("-"),
        };
        Some(Self { version, cipher })
    }
}

/// Limits shared by every listener of one server (plain and TLS draw on the same
/// connection slots).
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    slots: Arc<Semaphore>,
    /// A connection must finish its TLS handshake, and then send each request head, within
    /// this time (an idle keep-alive connection is closed after it too).
    header_read_timeout: Duration,
    /// After stop: how long open connections may take to finish their current request.
    grace: Duration,
}

impl Limits {
    /// At most `max_connections` at once (the rest wait in the listen backlog).
    pub(crate) fn new(
        max_connections: usize,
        header_read_timeout_ms: u64,
        grace: Duration,
    ) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            header_read_timeout: Duration::from_millis(header_read_timeout_ms.max(1)),
            grace,
        }
    }
}

/// Accepts on `listener` (TLS when `tls` is set) until `stop` turns true, serving each
/// request with `service`; then open connections get `limits.grace` to finish their current
/// request and are cut.
pub(crate) async fn serve<S, F, B>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    service: S,
    mut stop: watch::Receiver<bool>,
) where
    S: Fn(http::Request<hyper::body::Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<http::Response<B>, Infallible>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut conns = JoinSet::new();
    loop {
        let slot = tokio::select! {
            _ = stop.changed() => break,
            slot = limits.slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let accepted = loop {
            tokio::select! {
                _ = stop.changed() => break None,
                a = listener.accept() => break Some(a),
                // Reap finished connections while waiting.
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        };
        let Some(accepted) = accepted else { break };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; backing off");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Small responses go out at once rather than waiting on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let (service, tls, stop, timeout) = (
            service.clone(),
            tls.clone(),
            stop.clone(),
            limits.header_read_timeout,
        );
        conns.spawn(async move {
            let _slot = slot;
            let ip = peer.ip();
            // Plain and TLS streams are served by separate (monomorphised) connection tasks:
            // no dynamic dispatch on the plain path's reads and writes.
            match tls {
                None => {
                    let peer = Peer { ip, tls: false };
                    connection(stream, peer, None, service, timeout, stop).await;
                }
                Some(acceptor) => {
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => {
                            let peer = Peer { ip, tls: true };
                            let session = TlsSession::of(s.get_ref().1);
                            connection(s, peer, session, service, timeout, stop).await;
                        }
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    if !limits.grace.is_zero() && !conns.is_empty() {
        tracing::info!(
            in_flight = conns.len(),
            "shutting down: draining connections"
        );
        let drained = tokio::time::timeout(limits.grace, async {
            while conns.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                cut = conns.len(),
                "shutdown grace period over; cutting connections"
            );
        }
    }
    conns.shutdown().await;
}

async fn connection<I, S, F, B>(
    io: I,
    peer: Peer,
    session: Option<TlsSession>,
    service: S,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: Fn(http::Request<hyper::body::Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<http::Response<B>, Infallible>> + Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let svc = hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(peer);
        if let Some(s) = session {
            req.extensions_mut().insert(s);
        }
        service(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), svc);
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
