//! The one HTTP client of a function: HTTP/1.1 over rustls with the *ring* crypto provider,
//! used for the `inputS3Url` fetch ([`crate::fetch::Fetcher`]) and, through [`SdkHttpClient`],
//! by the AWS SDK (WriteGetObjectResponse, credentials).
//!
//! Why not the SDK's default HTTPS client: it is a second HTTP stack next to reqwest, with
//! HTTP/2 (`h2`) and aws-lc, and made up a third of a function binary (issue 13,
//! `bench/runs/2026-12-05-amd-epyc-vm.md`). A function speaks HTTP/1.1 to S3 either way: the
//! presigned GET and the one streaming PUT of WGOR. Hosts that link the SDK's default client
//! for their own use (the emulator) keep it; the runtime's clients always use this one.
//!
//! Trust: the system's roots through `rustls-platform-verifier` (loaded on the first
//! handshake, not at start), or, when a bundle is configured (`AWS_CA_BUNDLE`, see
//! [`crate::ca_bundle`]), that bundle only.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as SdkResponse;
use aws_smithy_types::body::SdkBody;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;

use crate::ca_bundle::{AWS_CA_BUNDLE, bundle_path, read_bundle};
use crate::error::TransformError;

/// How long a connection attempt may take (S3 and the Runtime API answer in milliseconds).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle pooled connections are closed after this (S3 closes its side after about 20 s).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP/1.1 client verifying HTTPS with `explicit`, else `AWS_CA_BUNDLE`, else the
/// system's roots.
pub(crate) fn client(explicit: Option<&Path>) -> Result<reqwest::Client, TransformError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(explicit)?)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build()
        .map_err(|e| TransformError::internal(format!("cannot build HTTP client: {e}")))
}

fn tls_config(explicit: Option<&Path>) -> Result<rustls::ClientConfig, TransformError> {
    let tls_error = |e: rustls::Error| TransformError::internal(format!("TLS setup: {e}"));
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(tls_error)?;
    let mut config = match bundle_path(explicit) {
        None => builder
            .with_platform_verifier()
            .map_err(tls_error)?
            .with_no_client_auth(),
        Some(path) => {
            let pem = read_bundle(&path)?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let added = cert
                    .map_err(|e| e.to_string())
                    .and_then(|c| roots.add(c).map_err(|e| e.to_string()));
                added.map_err(|e| {
                    TransformError::internal(format!("{AWS_CA_BUNDLE} {}: {e}", path.display()))
                })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The AWS SDK's HTTP client seam filled with [`client`]: requests and bodies are handed over
/// as they are (streaming both ways), transport failures become the SDK's connector errors so
/// that its retry rules still apply.
#[derive(Clone, Debug)]
pub(crate) struct SdkHttpClient {
    client: reqwest::Client,
}

impl SdkHttpClient {
    /// The SDK's client over `client`.
    pub(crate) fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

impl HttpClient for SdkHttpClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // The SDK's connect timeout (3.1 s) is close to ours; read timeouts are not set by the
        // SDK for S3, and its operation timeouts apply above this layer.
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for SdkHttpClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?
                .map(reqwest::Body::wrap);
            let request = reqwest::Request::try_from(request)
                .map_err(|e| ConnectorError::user(e.without_url().into()))?;
            let response = client.execute(request).await.map_err(connector_error)?;
            let response = http::Response::<reqwest::Body>::from(response);
            SdkResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// reqwest's failure as the SDK's: timeouts and I/O failures are transient (retried).
fn connector_error(e: reqwest::Error) -> ConnectorError {
    // The URL may hold a presigned query; keep it out of errors and logs.
    let timeout = e.is_timeout();
    let io = e.is_connect() || e.is_request() || e.is_body();
    let e = e.without_url();
    if timeout {
        ConnectorError::timeout(e.into())
    } else if io {
        ConnectorError::io(e.into())
    } else {
        ConnectorError::other(e.into(), None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_replaces_the_system_roots_and_bad_ones_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(client(Some(&missing)).is_err());
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        assert!(client(Some(&bad)).is_err());
        assert!(client(None).is_ok());
    }
}
