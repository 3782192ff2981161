//! The store seam: where the originals live, how a request that is not transformed reaches
//! them, and how the presigned `inputS3Url` handed to a function is made.
//!
//! - [`LocalBackend`]: the emulator's own store; `inputS3Url` points at the emulator and is
//!   signed with the caller's credential, as AWS signs with the caller's.
//! - [`RemoteBackend`]: any S3-compatible endpoint through `aws-sdk-s3` with the gateway's own
//!   credentials (AWS's default chain); `inputS3Url` points at that store, so functions read
//!   originals straight from it.

mod local;
mod remote;

use std::time::Duration;

use s3s::service::S3Service;
use s3s::{Body, S3Request, S3Response, S3Result};

use crate::config::{Action, Credential};

pub(crate) use local::LocalBackend;
#[cfg(test)]
pub(crate) use local::presign_with_caller;
pub(crate) use remote::RemoteBackend;
pub use remote::RemoteSettings;

/// The request a function makes with `inputS3Url`.
#[derive(Debug)]
pub(crate) struct InputRequest<'a> {
    pub(crate) action: Action,
    pub(crate) bucket: &'a str,
    /// Decoded object key (empty for LIST).
    pub(crate) key: &'a str,
    /// Decoded query parameters kept on the URL (`versionId`; LIST's parameters).
    pub(crate) query: Vec<(String, String)>,
    /// Headers of the caller that are signed into the URL (lower-case names).
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    pub(crate) caller: &'a Credential,
    pub(crate) expires: Duration,
}

impl InputRequest<'_> {
    pub(crate) fn method(&self) -> &'static str {
        if self.action == Action::HeadObject {
            "HEAD"
        } else {
            "GET"
        }
    }
}

/// Where the originals live.
#[async_trait::async_trait]
pub(crate) trait Backend: Send + Sync {
    /// Sends a request authenticated on an Object Lambda Access Point, that its function does
    /// not handle, on to the supporting bucket unchanged.
    async fn passthrough(
        &self,
        req: S3Request<Body>,
        bucket: &str,
        raw_rest: &str,
    ) -> S3Result<S3Response<Body>>;

    /// The presigned `inputS3Url` for `input`.
    async fn presign(&self, input: &InputRequest<'_>) -> S3Result<String>;

    /// Whether the object was written with SSE-C (Object Lambda refuses those); only the local
    /// store knows.
    fn stored_with_sse_c(&self, _bucket: &str, _key: &str) -> bool {
        false
    }

    /// Whether `inputS3Url` carries a grant that the emulator's own policy check reads (only
    /// the local store: a remote store checks its own policies).
    fn wants_grant(&self) -> bool {
        false
    }
}

/// Rebuilds an authenticated request for `/<bucket><raw_rest>` without its auth data and runs
/// it on `internal`, an s3s service without authentication that is never exposed on a socket.
pub(crate) async fn forward(
    internal: &S3Service,
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
    let resp = internal
        .call(http_req)
        .await
        .map_err(|e| crate::errors::error(500, "InternalError", format!("{e:?}")))?;
    let (parts, body) = resp.into_parts();
    let mut out = S3Response::new(body);
    out.status = Some(parts.status);
    out.headers = parts.headers;
    Ok(out)
}

/// Access control of an internal service: the caller was authenticated on the OLAP.
struct Authenticated;

#[async_trait::async_trait]
impl s3s::access::S3Access for Authenticated {
    async fn check(&self, _cx: &mut s3s::access::S3AccessContext<'_>) -> S3Result<()> {
        Ok(())
    }
}

/// An s3s service over `s3` without authentication, for [`forward`].
pub(crate) fn internal_service<T: s3s::S3>(s3: T) -> S3Service {
    let mut b = s3s::service::S3ServiceBuilder::new(s3);
    b.set_access(Authenticated);
    b.build()
}
