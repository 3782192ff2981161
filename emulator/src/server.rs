//! The HTTP front: WriteGetObjectResponse is intercepted before s3s; everything else goes
//! to the s3s service (plain S3, and OLAP requests through [`crate::olap::OlapRoute`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use s3s::service::S3Service;
use s3s::{Body, HttpResponse};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

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
    /// Server access logs: into the emulator's store, or (the gateway) into the backend's
    /// target buckets; `None` in a gateway whose `[[buckets]]` name no `logging`.
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
    Ok(serve_s3(shared, public, req.map(Body::from)).await)
}

/// Plain S3 and Object Lambda requests, from the wire or from an in-process function
/// (`local_endpoint.rs`): access logs, the early checks, then s3s.
pub(crate) async fn serve_s3(
    shared: Arc<Shared>,
    public: S3Service,
    req: http::Request<Body>,
) -> HttpResponse {
    // Server access logs: noted before routing, completed as the response is sent.
    let logged = crate::accesslog::hook::begin(&shared, &req);
    let resp = route_s3(public, req).await;
    crate::accesslog::hook::finish(logged, resp)
}

async fn route_s3(public: S3Service, req: http::Request<Body>) -> HttpResponse {
    if let Err(e) = crate::precheck::check_auth(&req)
        .and_then(|()| crate::precheck::check_body_size(&req))
        .and_then(|()| crate::precheck::check_sse_c_transport(&req))
    {
        return e.to_http_response().unwrap_or_else(|_| {
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::BAD_REQUEST;
            r
        });
    }
    match public.call(req).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = ?e, "s3s failed");
            let mut r = HttpResponse::new(Body::empty());
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// Serves S3 (and WGOR, and the Invoke API) on `listener` until `stop` turns true; open
/// connections are then dropped. The connection limit and header-read timeout come from
/// [`Config::max_connections`] and [`Config::header_read_timeout_ms`] through `limits`
/// (shared by the plain and the TLS listener).
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: crate::accept::Limits,
    shared: Arc<Shared>,
    public: S3Service,
    stop: watch::Receiver<bool>,
) {
    let service = move |req: http::Request<hyper::body::Incoming>| {
        dispatch(shared.clone(), public.clone(), req)
    };
    crate::accept::serve(listener, tls, limits, service, stop).await;
}
