//! `AWS_CA_BUNDLE`: the standard AWS variable naming a PEM file of certificates to verify
//! HTTPS endpoints with, as the AWS CLI and boto3 use it. The Rust SDK does not read it, so
//! the runtime does, for its one HTTPS client ([`crate::http`]), which serves both the
//! `inputS3Url` fetch and the S3 client of WriteGetObjectResponse.
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
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|e| {
        TransformError::internal(format!("{AWS_CA_BUNDLE} {}: {e}", path.display()))
    })?;
    if CertificateDer::pem_slice_iter(&pem).next().is_none() {
        return Err(TransformError::internal(format!(
            "{AWS_CA_BUNDLE} {}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(pem)
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
    }
}
