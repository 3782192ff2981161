//! The HTTP front: WriteGetObjectResponse is intercepted before s3s; everything else goes
//! to the s3s service (plain S3, and OLAP requests through [`crate::olap::OlapRoute`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use s3s::access::{S3Access, S3AccessContext};
use s3s::service::S3Service;
use s3s::{Body, HttpResponse, S3Request, S3Response, S3Result};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::function::Function;
use crate::store::Store;
use crate::wgor::{self, Tokens};

/// State shared by the OLAP route and the WGOR handler.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) functions: HashMap<String, Arc<dyn Function>>,
    /// `http://IP:PORT` of this emulator.
    pub(crate) endpoint: String,
    pub(crate) store: Store,
    /// The same storage without authentication, for requests already authenticated on an
    /// OLAP and passed through to the supporting bucket. Never exposed on the socket.
    pub(crate) internal: S3Service,
    pub(crate) tokens: Tokens,
    /// Reserved concurrency: one semaphore per limited function (see
    /// [`Config::reserved_concurrency`]).
    pub(crate) concurrency: HashMap<String, Arc<Semaphore>>,
}

/// Access control of the internal service: the caller was authenticated on the OLAP.
struct Authenticated;

#[async_trait::async_trait]
impl S3Access for Authenticated {
    async fn check(&self, _cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        Ok(())
    }
}

pub(crate) fn internal_service(store: Store) -> S3Service {
    let mut b = s3s::service::S3ServiceBuilder::new(store);
    b.set_access(Authenticated);
    b.build()
}

impl Shared {
    /// Sends an authenticated OLAP request on to the supporting bucket unchanged.
    pub(crate) async fn passthrough(
        &self,
        req: S3Request<Body>,
        bucket: &str,
        raw_rest: &str,
    ) -> S3Result<S3Response<Body>> {
        let query: Vec<&str> = req
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| {
                let name = p.split('=').next().unwrap_or_default();
                !p.is_empty() && !crate::event::is_auth_param(name)
            })
            .collect();
        let mut uri = format!("/{bucket}{raw_rest}");
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&query.join("&"));
        }
        let mut builder = http::Request::builder().method(req.method.clone()).uri(uri);
        for (name, value) in &req.headers {
            if name != http::header::AUTHORIZATION {
                builder = builder.header(name, value);
            }
        }
        let http_req = builder
            .body(req.input)
            .map_err(|e| crate::errors::error(500, "InternalError", e.to_string()))?;
        let resp = self
            .internal
            .call(http_req)
            .await
            .map_err(|e| crate::errors::error(500, "InternalError", format!("{e:?}")))?;
        let (parts, body) = resp.into_parts();
        let mut out = S3Response::new(body);
        out.status = Some(parts.status);
        out.headers = parts.headers;
        Ok(out)
    }
}

async fn dispatch(
    shared: Arc<Shared>,
    public: S3Service,
    req: http::Request<hyper::body::Incoming>,
) -> Result<HttpResponse, Infallible> {
    if wgor::is_wgor(&req) {
        return Ok(wgor::handle(&shared.tokens, &shared.config.credentials, req).await);
    }
    if let Err(e) =
        crate::precheck::check_auth(&req).and_then(|()| crate::precheck::check_body_size(&req))
    {
        return Ok(e.to_http_response().unwrap_or_else(|_| {
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::BAD_REQUEST;
            r
        }));
    }
    match public.call(req.map(Body::from)).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            tracing::error!(error = ?e, "s3s failed");
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            Ok(r)
        }
    }
}

/// How long to wait before accepting again after `accept` failed (e.g. out of file
/// descriptors): retrying at once would spin.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

/// Accepts connections until `stop` turns true; open connections are then dropped. At most
/// `config.max_connections` are served at once, and each must send its request head within
/// `config.header_read_timeout_ms`.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    public: S3Service,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(shared.config.max_connections.max(1)));
    let header_timeout =
        std::time::Duration::from_millis(shared.config.header_read_timeout_ms.max(1));
    let mut conns = JoinSet::new();
    loop {
        let slot = tokio::select! {
            _ = stop.changed() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let accepted = loop {
            tokio::select! {
                _ = stop.changed() => {
                    conns.shutdown().await;
                    return;
                }
                a = listener.accept() => break a,
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; backing off");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Small responses go out at once rather than waiting on Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let (shared, public) = (shared.clone(), public.clone());
        let svc =
            hyper::service::service_fn(move |req| dispatch(shared.clone(), public.clone(), req));
        conns.spawn(async move {
            let _slot = slot;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    conns.shutdown().await;
}
