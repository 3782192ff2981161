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

/// Accepts connections until `stop` turns true; open connections are then dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    public: S3Service,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                // Small responses go out at once rather than waiting on Nagle's algorithm.
                let _ = stream.set_nodelay(true);
                let (shared, public) = (shared.clone(), public.clone());
                let svc = hyper::service::service_fn(move |req| dispatch(shared.clone(), public.clone(), req));
                conns.spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.shutdown().await;
}
