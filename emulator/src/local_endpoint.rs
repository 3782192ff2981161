//! The emulator's side of [`object_lambda::LocalEndpoint`]: its built-in (in-process)
//! functions hand their `inputS3Url` requests and their WriteGetObjectResponse answers to the
//! emulator directly instead of through its own socket.
//!
//! The requests get the same treatment as off the wire: the presigned signature, the early
//! checks, policies and access logs for the fetch (as a client on the loopback address, over
//! TLS when the endpoint is HTTPS), the single-use token and header validation for the answer.
//! What is skipped is the HTTP framing and the loopback copies, which made a GET through the
//! in-process `passthrough` cost 1.6–1.7× the direct GET (`emulator/bench/runs/`). Functions
//! run as binaries still speak HTTP over the socket, as on Lambda.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Weak};

use futures::future::BoxFuture;
use http::HeaderMap;
use http_body_util::BodyExt;
use object_lambda::{LocalBody, LocalEndpoint};
use s3s::service::S3Service;

use crate::authz::Peer;
use crate::server::Shared;

/// What a local request is served with. The running emulator holds the only strong
/// reference, so that functions (held by [`Shared`]) do not keep it alive.
pub(crate) struct Served {
    pub(crate) shared: Arc<Shared>,
    pub(crate) public: S3Service,
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served").finish_non_exhaustive()
    }
}

/// [`LocalEndpoint`] of one emulator.
pub(crate) struct InProcessEndpoint {
    origin: String,
    served: Weak<Served>,
}

impl InProcessEndpoint {
    pub(crate) fn new(served: &Arc<Served>) -> Self {
        Self {
            origin: served.shared.endpoint.clone(),
            served: Arc::downgrade(served),
        }
    }
}

impl LocalEndpoint for InProcessEndpoint {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn request(&self, req: http::Request<()>) -> BoxFuture<'static, http::Response<LocalBody>> {
        let served = self.served.upgrade();
        let tls = self.origin.starts_with("https://");
        Box::pin(async move {
            let Some(served) = served else {
                return stopped();
            };
            let mut req = req.map(|()| s3s::Body::empty());
            req.extensions_mut().insert(Peer {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                tls,
            });
            let resp =
                crate::server::serve_s3(served.shared.clone(), served.public.clone(), req).await;
            resp.map(BodyExt::boxed_unsync)
        })
    }

    fn write_get_object_response(
        &self,
        headers: HeaderMap,
        body: LocalBody,
    ) -> BoxFuture<'static, Result<(), String>> {
        let served = self.served.upgrade();
        Box::pin(async move {
            let served = served.ok_or("the emulator has stopped")?;
            crate::wgor::deliver(&served.shared.tokens, &headers, body)
                .await
                .map_err(|e| e.message().unwrap_or(e.code().as_str()).to_owned())
        })
    }
}

/// 503, as a stopped server's socket would refuse the connection.
fn stopped() -> http::Response<LocalBody> {
    let mut r = http::Response::new(
        http_body_util::Empty::new()
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
    r
}
