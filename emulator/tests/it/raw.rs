//! Requests no SDK sends: literal `..` and percent-encoded path segments, a body that does
//! not match its signed hash, a signature for another region. Signed with `aws-sigv4` (the
//! SDKs' signer) and written to a plain TCP socket, so the path reaches the emulator as is.

use std::time::SystemTime;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{AK, SK};

/// What came back; `status` 0 when the connection closed without a response.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    pub(crate) fn code(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.split("<Code>")
            .nth(1)
            .and_then(|r| r.split("</Code>").next())
            .unwrap_or_default()
            .to_owned()
    }

    /// Assert this answer's status and S3 error code.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "{self:?}"
        );
    }

    /// A response header's value (first match, case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// A SigV4-signed request. `payload_hash` overrides the body's hash in
/// `x-amz-content-sha256` (to send a body that does not match it).
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) path_and_query: &'a str,
    pub(crate) headers: Vec<(&'a str, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) region: &'a str,
    pub(crate) payload_hash: Option<String>,
}

impl<'a> Request<'a> {
    pub(crate) fn new(method: &'a str, path_and_query: &'a str) -> Self {
        Self {
            method,
            path_and_query,
            headers: Vec::new(),
            body: Vec::new(),
            region: "us-east-1",
            payload_hash: None,
        }
    }

    /// This request with `body`.
    pub(crate) fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) async fn send(self, endpoint: &str) -> Raw {
        let host = endpoint.trim_start_matches("http://").to_owned();
        // s3s 0.14 checks the signature over the decoded path encoded again (slashes kept),
        // so a path with `%2F` is signed in that form.
        let (path, query) = self
            .path_and_query
            .split_once('?')
            .unwrap_or((self.path_and_query, ""));
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~')
            .remove(b'/');
        let signed_path = percent_encoding::utf8_percent_encode(&decoded, KEEP).to_string();
        let url = if query.is_empty() {
            format!("{endpoint}{signed_path}")
        } else {
            format!("{endpoint}{signed_path}?{query}")
        };
        let identity = aws_credential_types::Credentials::new(AK, SK, None, None, "test").into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let mut headers: Vec<(String, String)> = vec![("host".into(), host.clone())];
        headers.extend(
            self.headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone())),
        );
        let body = match &self.payload_hash {
            Some(h) => SignableBody::Precomputed(h.clone()),
            None => SignableBody::Bytes(&self.body),
        };
        let signable = SignableRequest::new(
            self.method,
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            body,
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (extra, _) = instructions.into_parts();
        let mut text = format!("{} {} HTTP/1.1\r\n", self.method, self.path_and_query);
        for (k, v) in &headers {
            text.push_str(&format!("{k}: {v}\r\n"));
        }
        for h in &extra {
            text.push_str(&format!("{}: {}\r\n", h.name(), h.value()));
        }
        text.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        stream.write_all(text.as_bytes()).await.unwrap();
        // The server may answer (and close) before reading a refused body.
        let _ = stream.write_all(&self.body).await;
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        parse(&out)
    }
}

fn parse(out: &[u8]) -> Raw {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut body = out.get(split + 4..).unwrap_or_default().to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Raw { status, head, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = b.windows(2).position(|w| w == b"\r\n") {
        let len = usize::from_str_radix(String::from_utf8_lossy(&b[..pos]).trim(), 16).unwrap_or(0);
        if len == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&b[start..(start + len).min(b.len())]);
        b = b.get(start + len + 2..).unwrap_or_default();
    }
    out
}
