//! TLS for the emulator and the gateway: a rustls acceptor from PEM files, and the emulator's
//! self-signed certificate when only `tls_listen` is configured.
//!
//! The generated certificate names `localhost`, `127.0.0.1`, `::1` and the TLS listen address's
//! IP (when it is a specific one); it is written once to `<data-dir>/tls/cert.pem` and
//! `key.pem` (mode 0600) and reused by the next start, so clients can keep trusting the same
//! file. Delete the directory to get a new one.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use crate::{ConfigError, Error};

fn bad(what: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Config(ConfigError::Invalid(format!("{what}: {e}")))
}

/// A rustls acceptor (HTTP/1.1, TLS 1.2 and 1.3) for the certificate chain in `cert` and the
/// private key in `key`, both PEM.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, Error> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| bad(&format!("tls_cert {}", cert.display()), &e))?;
    if certs.is_empty() {
        return Err(bad(
            &format!("tls_cert {}", cert.display()),
            &"no PEM certificate in the file",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(&format!("tls_key {}", key.display()), &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("TLS", &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| bad("TLS certificate/key", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// `<dir>/cert.pem` and `<dir>/key.pem`: reused when both exist, else generated (self-signed,
/// for `localhost`, `127.0.0.1`, `::1` and the IP of `listen` if it is not a wildcard).
pub(crate) fn self_signed(dir: &Path, listen: SocketAddr) -> Result<(PathBuf, PathBuf), Error> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let ip = listen.ip();
    if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
        names.push(ip.to_string());
    }
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| bad("TLS", &e))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "object-lambda-emulator (self-signed)",
    );
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(825);
    let signing_key = rcgen::KeyPair::generate().map_err(|e| bad("TLS key generation", &e))?;
    let certificate = params
        .self_signed(&signing_key)
        .map_err(|e| bad("TLS certificate generation", &e))?;
    // The key first and private, so that a reader never sees a certificate without its key.
    write_private(&key, signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&cert, certificate.pem())
        .map_err(|e| Error::io(format!("writing {}", cert.display()), e))?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_reused_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let (cert, key) = self_signed(&tls, addr).unwrap();
        let first = std::fs::read(&cert).unwrap();
        acceptor(&cert, &key).unwrap();
        let (cert2, _) = self_signed(&tls, addr).unwrap();
        assert_eq!(
            std::fs::read(cert2).unwrap(),
            first,
            "reused, not regenerated"
        );
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key readable by others: {mode:o}");
    }

    #[test]
    fn unreadable_or_empty_pem_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let e = acceptor(&empty, &empty).err().unwrap().to_string();
        assert!(e.contains("tls_cert"), "{e}");
        let e = acceptor(&dir.path().join("missing.pem"), &empty)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("missing.pem"), "{e}");
    }
}
