//! The HTTP front: WriteGetObjectResponse is intercepted before s3s; everything else goes
//! to the s3s service (plain S3, and OLAP requests through [`crate::olap::OlapRoute`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use s3s::service::S3Service;
use s3s::{Body, HttpResponse};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::backend::Backend;
use crate::config::Config;
use crate::function::Function;
use crate::gateway::route::{Destination, Routes};
use crate::wgor::{self, Tokens};

/// State shared by the OLAP route and the WGOR handler.
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// Bucket, access point, Object Lambda Access Point and identity policies.
    pub(crate) policies: Arc<crate::authz::Policies>,
    pub(crate) functions: HashMap<String, Arc<dyn Function>>,
    /// `http://IP:PORT` of this emulator (the gateway: its `public_url`).
    pub(crate) endpoint: String,
    /// Where the originals live (the store seam).
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) tokens: Tokens,
    /// Reserved concurrency: one semaphore per limited function (see
    /// [`Config::reserved_concurrency`]).
    pub(crate) concurrency: HashMap<String, Arc<Semaphore>>,
    /// Replicas (the gateway): signed `outputRoute`s naming this replica, and forwarding of
    /// WGORs meant for another. `None`: one process, random routes.
    pub(crate) routes: Option<Routes>,
    /// Whether a WGOR's SigV4 signature must be by a configured credential (the emulator), or
    /// its single-use token alone authenticates it (the gateway).
    pub(crate) verify_wgor_signature: bool,
    /// Serve Lambda's Invoke API for the registered functions (the emulator).
    pub(crate) invoke_api: bool,
    /// Server access logs (the emulator; `None` in the gateway, whose S3 keeps its own).
    pub(crate) access_log: Option<Arc<crate::accesslog::AccessLog>>,
}

impl Shared {
    /// A fresh `outputRoute` for a GET whose token is `token`.
    pub(crate) fn new_route(&self, token: &str) -> String {
        match &self.routes {
            Some(r) => r.route_for(token),
            None => format!("io-{}", crate::event::random_id(12)),
        }
    }
}

pub(crate) async fn dispatch(
    shared: Arc<Shared>,
    public: S3Service,
    req: http::Request<hyper::body::Incoming>,
) -> Result<HttpResponse, Infallible> {
    if wgor::is_wgor(&req) {
        if let Some(routes) = &shared.routes {
            match routes.destination(&req) {
                Destination::Here => {}
                Destination::Replica(url) => return Ok(routes.forward(&url, req).await),
                Destination::Refused(resp) => return Ok(*resp),
            }
        }
        let credentials = shared
            .verify_wgor_signature
            .then_some(shared.config.credentials.as_slice());
        return Ok(wgor::handle(&shared.tokens, credentials, req).await);
    }
    if shared.invoke_api && crate::invoke::api::is_invoke(&req) {
        return Ok(crate::invoke::api::handle(&shared, req).await);
    }
    // Server access logs: noted before routing, completed as the response is sent.
    let logged = crate::accesslog::hook::begin(&shared, &req);
    let resp = route_s3(public, req).await;
    Ok(crate::accesslog::hook::finish(logged, resp))
}

/// Plain S3 and Object Lambda requests: the early checks, then s3s.
async fn route_s3(public: S3Service, req: http::Request<hyper::body::Incoming>) -> HttpResponse {
    if let Err(e) =
        crate::precheck::check_auth(&req).and_then(|()| crate::precheck::check_body_size(&req))
    {
        return e.to_http_response().unwrap_or_else(|_| {
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::BAD_REQUEST;
            r
        });
    }
    match public.call(req.map(Body::from)).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = ?e, "s3s failed");
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// How long to wait before accepting again after `accept` failed (e.g. out of file
/// descriptors): retrying at once would spin.
pub(crate) const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

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
        let (shared, public) = (shared.clone(), public.clone());
        let svc =
            hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(crate::authz::Peer {
                    ip: peer.ip(),
                    tls: false,
                });
                dispatch(shared.clone(), public.clone(), req)
            });
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
