//! `AWS_CA_BUNDLE`: the standard AWS variable naming a PEM file of certificates to verify
//! HTTPS endpoints with, as the AWS CLI and boto3 use it. The Rust SDK does not read it, so
//! the runtime does, for both of its HTTPS clients: the `inputS3Url` fetch
//! ([`crate::fetch::Fetcher`]) and the S3 client of WriteGetObjectResponse
//! ([`crate::clients::s3_client`]).
//!
//! As in the AWS CLI, the bundle *replaces* the system's roots: set it only for an endpoint
//! with a private or self-signed certificate (the local emulator over HTTPS sets it for its
//! functions). A bundle that cannot be read, or holds no certificate, is an error, never a
//! silent fall back to the system roots.

use std::path::{Path, PathBuf};

use crate::error::TransformError;

/// The environment variable.
pub(crate) const AWS_CA_BUNDLE: &str = "AWS_CA_BUNDLE";

/// The bundle to use: `explicit`, else `AWS_CA_BUNDLE` when set and not empty.
pub(crate) fn bundle_path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit.map(Path::to_owned).or_else(|| {
        std::env::var_os(AWS_CA_BUNDLE)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// The PEM bytes of `path`, checked to hold at least one certificate.
pub(crate) fn read_bundle(path: &Path) -> Result<Vec<u8>, TransformError> {
    let pem = std::fs::read(path).map_err(|e| {
        TransformError::internal(format!("{AWS_CA_BUNDLE} {}: {e}", path.display()))
    })?;
    if reqwest_certificates(&pem, path)?.is_empty() {
        return Err(TransformError::internal(format!(
            "{AWS_CA_BUNDLE} {}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(pem)
}

fn reqwest_certificates(
    pem: &[u8],
    path: &Path,
) -> Result<Vec<reqwest::Certificate>, TransformError> {
    reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| TransformError::internal(format!("{AWS_CA_BUNDLE} {}: {e}", path.display())))
}

/// `builder` verifying servers with the bundle only, if one is configured.
pub(crate) fn configure_reqwest(
    builder: reqwest::ClientBuilder,
    explicit: Option<&Path>,
) -> Result<reqwest::ClientBuilder, TransformError> {
    let Some(path) = bundle_path(explicit) else {
        return Ok(builder);
    };
    let pem = read_bundle(&path)?;
    Ok(builder.tls_certs_only(reqwest_certificates(&pem, &path)?))
}

/// The SDK's HTTPS client verifying servers with the bundle only, if one is configured
/// (`None`: keep the SDK's default client and its system roots).
pub(crate) fn sdk_http_client(
    explicit: Option<&Path>,
) -> Result<Option<aws_smithy_runtime_api::client::http::SharedHttpClient>, TransformError> {
    use aws_smithy_http_client::tls;
    let Some(path) = bundle_path(explicit) else {
        return Ok(None);
    };
    let pem = read_bundle(&path)?;
    let store = tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let context = tls::TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| {
            TransformError::internal(format!("{AWS_CA_BUNDLE} {}: {e}", path.display()))
        })?;
    Ok(Some(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .tls_context(context)
            .build_https(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_and_bad_bundles_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bundle.pem");
        assert_eq!(bundle_path(Some(&p)).as_deref(), Some(p.as_path()));
        std::fs::write(&p, "not a certificate").unwrap();
        let e = read_bundle(&p).unwrap_err();
        assert!(
            e.message().contains("no PEM certificate"),
            "{}",
            e.message()
        );
        let missing = dir.path().join("missing.pem");
        let e = read_bundle(&missing).unwrap_err();
        assert!(e.message().contains("missing.pem"), "{}", e.message());
        assert!(configure_reqwest(reqwest::Client::builder(), Some(&missing)).is_err());
        assert!(sdk_http_client(Some(&missing)).is_err());
    }
}
