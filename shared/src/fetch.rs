//! Fetching the original object from the presigned `inputS3Url`.
//!
//! The presigned URL was signed with a set of headers (`X-Amz-SignedHeaders`); S3 refuses the
//! request unless every one of them is sent with the caller's value, so we forward them all
//! (except Host, which the HTTP client sets). We also forward the conditional headers so that S3
//! evaluates `If-Match` & co. on the original. Range and partNumber are never forwarded: they
//! apply to the transformed bytes.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, HeaderName, Method};
use http_body_util::{BodyDataStream, BodyExt};

use crate::error::{ErrorKind, TransformError};
use crate::local_endpoint::{LocalBody, LocalEndpoint};
use crate::transform::{ByteStream, ObjectInput};

/// An answer of the supporting access point, from the wire or from a [`LocalEndpoint`].
pub(crate) type Upstream = http::Response<LocalBody>;

/// Conditional request headers evaluated by S3 on the original.
const CONDITIONAL: [&str; 4] = [
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
];

/// Largest error body we read to find `<Code>`.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The original's response headers, kept for forwarding what still holds.
pub(crate) type UpstreamHeaders = HeaderMap;

/// HTTP client for the supporting access point.
///
/// The client is built on first use: building it loads the system's root certificates (about
/// half of a cold start's work before the first `next` otherwise). Clones share one client.
#[derive(Clone, Default)]
pub(crate) struct Fetcher {
    client: Arc<OnceLock<reqwest::Client>>,
    /// Verify HTTPS with this bundle (else `AWS_CA_BUNDLE`, see [`crate::ca_bundle`]).
    ca_bundle: Option<std::path::PathBuf>,
    /// The host serving the endpoint in this process: requests for its origin go to it.
    local: Option<Arc<dyn LocalEndpoint>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("ca_bundle", &self.ca_bundle)
            .field("local", &self.local.as_ref().map(|l| l.origin().to_owned()))
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher verifying HTTPS with the PEM bundle `path` (`None`: `AWS_CA_BUNDLE` if set,
    /// else the system's roots), handing requests for `local`'s origin to it.
    pub(crate) fn new(
        ca_bundle: Option<std::path::PathBuf>,
        local: Option<Arc<dyn LocalEndpoint>>,
    ) -> Self {
        Self {
            client: Arc::default(),
            ca_bundle,
            local,
        }
    }

    fn client(&self) -> Result<&reqwest::Client, TransformError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = crate::http::client(self.ca_bundle.as_deref())?;
        // A concurrent first call may have won; either client is fine, keep the stored one.
        Ok(self.client.get_or_init(|| client))
    }

    /// GET the original as a stream, or the S3 error to relay.
    pub(crate) async fn get(
        &self,
        input_s3_url: &str,
        user_headers: &HeaderMap,
    ) -> Result<(ObjectInput, UpstreamHeaders), TransformError> {
        let resp = self.send(Method::GET, input_s3_url, user_headers).await?;
        let status = resp.status().as_u16();
        if status == 304 {
            return Err(TransformError::new(ErrorKind::NotModified, "Not Modified"));
        }
        if !(200..300).contains(&status) {
            return Err(upstream_error(resp).await);
        }
        let headers = resp.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_length = header("content-length").and_then(|v| v.parse().ok());
        let input = ObjectInput {
            content_type: header("content-type"),
            content_length,
            content_encoding: header("content-encoding"),
            body: body_stream(resp),
        };
        Ok((input, headers))
    }

    /// Send `method` to the presigned URL with the headers it needs; transport failures are 503.
    pub(crate) async fn send(
        &self,
        method: Method,
        input_s3_url: &str,
        user_headers: &HeaderMap,
    ) -> Result<Upstream, TransformError> {
        let headers = forwarded_headers(input_s3_url, user_headers);
        if let Some(local) = &self.local
            && let Some(rest) = input_s3_url.strip_prefix(local.origin())
            && rest.starts_with('/')
        {
            return local_request(local.as_ref(), method, input_s3_url, headers).await;
        }
        let resp = self
            .client()?
            .request(method, input_s3_url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| {
                // reqwest's error text includes the URL, whose query holds the signature.
                tracing::warn!(error = %e.without_url(), "supporting access point unreachable");
                TransformError::new(
                    ErrorKind::ServiceUnavailable,
                    "The supporting access point could not be reached",
                )
            })?;
        Ok(http::Response::<reqwest::Body>::from(resp)
            .map(|b| b.map_err(|e| Box::new(e.without_url()) as _).boxed_unsync()))
    }
}

/// The request as the wire would carry it (`Host` from the URL), handed to the host.
async fn local_request(
    local: &dyn LocalEndpoint,
    method: Method,
    url: &str,
    headers: HeaderMap,
) -> Result<Upstream, TransformError> {
    let bad = |_| TransformError::new(ErrorKind::ServiceUnavailable, "Invalid inputS3Url");
    let uri: http::Uri = url.parse().map_err(bad)?;
    let mut req = http::Request::new(());
    if let Some(host) = uri.authority().and_then(|a| a.as_str().parse().ok()) {
        req.headers_mut().insert(http::header::HOST, host);
    }
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    req.headers_mut().extend(headers);
    Ok(local.request(req).await)
}

fn body_stream(resp: Upstream) -> ByteStream {
    Box::pin(BodyDataStream::new(resp.into_body()).map(|chunk| {
        chunk.map_err(|e| {
            tracing::warn!(error = %e, "reading the original failed");
            TransformError::new(
                ErrorKind::ServiceUnavailable,
                "Reading the object from the supporting access point failed",
            )
        })
    }))
}

/// The headers to send with the presigned request: the signed ones (minus Host) and the
/// conditional ones, with the caller's values. Never Range or partNumber.
pub(crate) fn forwarded_headers(input_s3_url: &str, user_headers: &HeaderMap) -> HeaderMap {
    let signed = url::Url::parse(input_s3_url)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-SignedHeaders"))
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let names = signed
        .split(';')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty() && n != "host" && n != "range" && n != "x-amz-part-number")
        .chain(CONDITIONAL.iter().map(|n| (*n).to_owned()));
    let mut out = HeaderMap::new();
    for name in names {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in user_headers.get_all(&name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// Turn an upstream error answer into the error to relay.
pub(crate) async fn upstream_error(resp: Upstream) -> TransformError {
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    let mut stream = BodyDataStream::new(resp.into_body());
    while let Some(Ok(chunk)) = stream.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ERROR_BODY {
            break;
        }
    }
    error_from_status(status, &body)
}

/// Map an upstream status and S3 XML error body to the error we relay.
pub(crate) fn error_from_status(status: u16, body: &[u8]) -> TransformError {
    let text = String::from_utf8_lossy(body);
    let code = xml_tag(&text, "Code").filter(|c| crate::error::is_valid_error_code(c));
    if status == 503 && code.as_deref() == Some("SlowDown") {
        return TransformError::new(ErrorKind::SlowDown, "Please reduce your request rate.");
    }
    if status >= 500 {
        return TransformError::new(
            ErrorKind::ServiceUnavailable,
            format!("Received {status} from the supporting access point"),
        );
    }
    let code = code.unwrap_or_else(|| default_code(status).to_owned());
    let message = format!("Received {code} from the supporting access point");
    TransformError::new(ErrorKind::Upstream { status, code }, message)
}

/// The S3 code for a bare status (HEAD answers carry no body).
pub(crate) fn default_code(status: u16) -> &'static str {
    match status {
        301 => "PermanentRedirect",
        304 => "NotModified",
        400 => "InvalidRequest",
        401 | 403 => "AccessDenied",
        404 => "NoSuchKey",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        411 => "MissingContentLength",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        503 => "ServiceUnavailable",
        _ => "InternalError",
    }
}

fn xml_tag(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].trim().to_owned())
}

/// Read a whole (small) upstream body; used for LIST answers.
pub(crate) async fn read_text(resp: Upstream, limit: usize) -> Result<String, TransformError> {
    let mut body = Vec::new();
    let mut stream = BodyDataStream::new(resp.into_body());
    while let Some(chunk) = stream.next().await {
        let chunk: Bytes = chunk.map_err(|_| {
            TransformError::new(
                ErrorKind::ServiceUnavailable,
                "Reading the listing from the supporting access point failed",
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(TransformError::too_large(
                "the listing is over the 6 MB Lambda response limit",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| TransformError::internal("the listing is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwards_signed_and_conditional_headers_only() {
        let url = "https://ap.s3/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode%3Bx-amz-request-payer&X-Amz-Signature=abc";
        let user = headers(&[
            ("Host", "olap.example"),
            ("x-amz-checksum-mode", "ENABLED"),
            ("X-Amz-Request-Payer", "requester"),
            ("If-None-Match", "\"etag\""),
            ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("Range", "bytes=0-1"),
            ("Accept-Encoding", "identity"),
            ("User-Agent", "x"),
        ]);
        let out = forwarded_headers(url, &user);
        let mut names: Vec<_> = out.keys().map(|k| k.as_str().to_owned()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "if-modified-since",
                "if-none-match",
                "x-amz-checksum-mode",
                "x-amz-request-payer"
            ]
        );
        assert_eq!(out["x-amz-checksum-mode"], "ENABLED");
    }

    #[test]
    fn range_is_never_forwarded_even_if_signed() {
        let url = "https://ap/k?X-Amz-SignedHeaders=host;range";
        let out = forwarded_headers(url, &headers(&[("Range", "bytes=0-1")]));
        assert!(out.is_empty());
    }

    #[test]
    fn upstream_errors_map_to_s3_codes() {
        let xml =
            b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
        let e = error_from_status(404, xml);
        assert_eq!((e.status(), e.code()), (404, "NoSuchKey"));
        let e = error_from_status(412, b"");
        assert_eq!((e.status(), e.code()), (412, "PreconditionFailed"));
        let e = error_from_status(500, b"<Error><Code>InternalError</Code></Error>");
        assert_eq!((e.status(), e.code()), (503, "ServiceUnavailable"));
        let e = error_from_status(503, b"<Error><Code>SlowDown</Code></Error>");
        assert_eq!((e.status(), e.code()), (503, "SlowDown"));
        // An upstream code WGOR would refuse is replaced by the status's code.
        let e = error_from_status(403, b"<Error><Code>Bad-Code</Code></Error>");
        assert_eq!(e.code(), "AccessDenied");
    }

    /// Records the requests a host would serve in-process and answers each with 200 "local".
    #[derive(Default)]
    struct Recording(std::sync::Mutex<Vec<http::Request<()>>>);

    impl LocalEndpoint for Recording {
        fn origin(&self) -> &str {
            "http://127.0.0.1:9000"
        }

        fn request(
            &self,
            req: http::Request<()>,
        ) -> futures::future::BoxFuture<'static, http::Response<LocalBody>> {
            self.0.lock().unwrap().push(req);
            let body = http_body_util::Full::new(Bytes::from_static(b"local"))
                .map_err(|e| match e {})
                .boxed_unsync();
            Box::pin(async move { http::Response::new(body) })
        }

        fn write_get_object_response(
            &self,
            _headers: HeaderMap,
            _body: LocalBody,
        ) -> futures::future::BoxFuture<'static, Result<(), String>> {
            Box::pin(async { Err("not here".to_owned()) })
        }
    }

    #[tokio::test]
    async fn requests_for_the_hosts_origin_go_to_it_as_they_would_go_on_the_wire() {
        let host = Arc::new(Recording::default());
        let fetcher = Fetcher::new(None, Some(host.clone()));
        let url = "http://127.0.0.1:9000/ap/k?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Signature=abc";
        let user = headers(&[("x-amz-checksum-mode", "ENABLED"), ("range", "bytes=0-1")]);
        let (input, _) = fetcher.get(url, &user).await.expect("served");
        let body: Vec<Bytes> = input.body.map(|c| c.unwrap()).collect().await;
        assert_eq!(body.concat(), b"local");
        {
            let seen = host.0.lock().unwrap();
            assert_eq!(seen.len(), 1);
            let req = &seen[0];
            assert_eq!(req.method(), Method::GET);
            assert_eq!(req.uri().to_string(), url);
            assert_eq!(req.headers()["host"], "127.0.0.1:9000");
            assert_eq!(req.headers()["x-amz-checksum-mode"], "ENABLED");
            assert!(
                req.headers().get("range").is_none(),
                "Range applies to the output"
            );
        }

        // An origin that only shares the prefix is not the host's (and this one is not even a
        // valid URL, so the wire refuses it).
        let other = "http://127.0.0.1:90001/ap/k?X-Amz-Signature=abc";
        assert!(fetcher.get(other, &HeaderMap::new()).await.is_err());
        assert_eq!(host.0.lock().unwrap().len(), 1);
    }
}
