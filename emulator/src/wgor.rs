//! `POST /WriteGetObjectResponse`: routed by `x-amz-request-route` whatever the Host says,
//! verified for the service `s3-object-lambda`, validated as AWS does, and streamed through
//! to the waiting GET caller.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use s3s::{HttpResponse, S3Error};
use tokio::sync::oneshot;

use crate::config::Credential;
use crate::errors::{self, valid_error_code};
use crate::sigv4::{self, AuthError};

/// What a WGOR delivers to the GET caller.
pub(crate) enum Delivery {
    /// A response to relay: status, headers (prefix stripped) and the streamed body (the
    /// WGOR's own request body, see [`Relay`]).
    Response {
        status: StatusCode,
        headers: HeaderMap,
        body: s3s::Body,
    },
    /// An error response: status, code and message become the S3 XML error.
    Error {
        status: StatusCode,
        code: Option<String>,
        message: Option<String>,
        headers: HeaderMap,
    },
    /// The WGOR was refused with ValidationError.
    Invalid(String),
}

struct Pending {
    route: String,
    tx: oneshot::Sender<Delivery>,
}

/// How many used tokens are remembered (to answer "already used" rather than "invalid";
/// both are 400 ValidationError).
const USED_MEMORY: usize = 100_000;

/// Used tokens, oldest forgotten first.
#[derive(Default)]
struct Used {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Used {
    fn insert(&mut self, token: &str) {
        if self.set.insert(token.to_owned()) {
            self.order.push_back(token.to_owned());
            if self.order.len() > USED_MEMORY
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }

    fn contains(&self, token: &str) -> bool {
        self.set.contains(token)
    }
}

/// Outstanding `outputToken`s and the ones already used. Clones share the same tables.
#[derive(Default, Clone)]
pub(crate) struct Tokens {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    used: Arc<Mutex<Used>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Tokens {
    /// Registers a fresh route/token pair; the receiver gets the WGOR.
    pub(crate) fn register(&self, route: &str, token: &str) -> oneshot::Receiver<Delivery> {
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(
            token.to_owned(),
            Pending {
                route: route.to_owned(),
                tx,
            },
        );
        rx
    }

    /// Withdraws a token (the GET ended without a WGOR); a late WGOR gets 400.
    pub(crate) fn expire(&self, token: &str) {
        if lock(&self.pending).remove(token).is_some() {
            lock(&self.used).insert(token);
        }
    }

    fn take(&self, route: &str, token: &str) -> Result<oneshot::Sender<Delivery>, S3Error> {
        let mut pending = lock(&self.pending);
        match pending.get(token) {
            Some(p) if p.route != route => {
                return Err(errors::validation(
                    "The request route does not match the request token.",
                ));
            }
            Some(_) => {}
            None if lock(&self.used).contains(token) => {
                return Err(errors::validation(
                    "The request token has already been used or has expired.",
                ));
            }
            None => return Err(errors::validation("The request token is invalid.")),
        }
        let p = pending
            .remove(token)
            .ok_or_else(|| errors::validation("The request token is invalid."))?;
        lock(&self.used).insert(token);
        Ok(p.tx)
    }
}

/// Whether a request is a WriteGetObjectResponse (checked before s3s sees it).
pub(crate) fn is_wgor<B>(req: &http::Request<B>) -> bool {
    req.method() == http::Method::POST
        && req.uri().path() == "/WriteGetObjectResponse"
        && req.headers().contains_key("x-amz-request-route")
}

/// Statuses WriteGetObjectResponse documents.
const ALLOWED_STATUS: [u16; 14] = [
    200, 206, 304, 400, 401, 403, 404, 405, 409, 411, 412, 416, 500, 503,
];

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Response headers for the caller: `x-amz-fwd-header-*` with the prefix stripped,
/// `x-amz-meta-*` kept, `Content-Length` kept.
fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let n = name.as_str();
        let target = if let Some(rest) = n.strip_prefix("x-amz-fwd-header-") {
            HeaderName::from_bytes(rest.as_bytes()).ok()
        } else if n.starts_with("x-amz-meta-") || n == "content-length" {
            Some(name.clone())
        } else {
            None
        };
        if let Some(t) = target {
            out.append(t, value.clone());
        }
    }
    out
}

fn auth_error(e: &AuthError) -> S3Error {
    match e {
        AuthError::UnknownAccessKey => errors::error(403, "InvalidAccessKeyId", e.to_string()),
        AuthError::Mismatch => errors::error(403, "SignatureDoesNotMatch", e.to_string()),
        AuthError::TooSkewed => errors::error(403, "RequestTimeTooSkewed", e.to_string()),
        AuthError::WrongService(_) | AuthError::Malformed(_) => {
            errors::error(400, "AuthorizationHeaderMalformed", e.to_string())
        }
        AuthError::Signing(_) => errors::error(500, "InternalError", e.to_string()),
    }
}

fn to_response(result: Result<(), S3Error>, request_id: &str) -> HttpResponse {
    let mut resp = match result {
        Ok(()) => {
            let mut r = HttpResponse::new(s3s::Body::empty());
            *r.status_mut() = StatusCode::OK;
            r
        }
        Err(mut e) => {
            e.set_request_id(request_id);
            e.to_http_response().unwrap_or_else(|_| {
                let mut r = HttpResponse::new(s3s::Body::empty());
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            })
        }
    };
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}

/// Checks the WGOR headers; `Err` is the ValidationError message.
fn validate(headers: &HeaderMap) -> Result<(StatusCode, Option<String>, Option<String>), String> {
    let status = match header_str(headers, "x-amz-fwd-status") {
        None => 200,
        Some(s) => s
            .trim()
            .parse::<u16>()
            .map_err(|_| format!("Invalid StatusCode `{s}`."))?,
    };
    if !ALLOWED_STATUS.contains(&status) {
        return Err(format!("StatusCode {status} is not supported."));
    }
    let code = header_str(headers, "x-amz-fwd-error-code").map(str::to_owned);
    let message = header_str(headers, "x-amz-fwd-error-message").map(str::to_owned);
    if let Some(c) = &code
        && !valid_error_code(c)
    {
        return Err("ErrorCode must match ^[A-Z][a-zA-Z]+$.".to_owned());
    }
    if status < 400 && (code.is_some() || message.is_some()) {
        return Err("ErrorCode and ErrorMessage are not allowed with a success status.".to_owned());
    }
    let checksums = headers
        .keys()
        .filter(|k| {
            k.as_str().starts_with("x-amz-fwd-header-x-amz-checksum-")
                && k.as_str() != "x-amz-fwd-header-x-amz-checksum-type"
        })
        .count();
    if checksums > 1 {
        return Err("Only one checksum header is allowed per request.".to_owned());
    }
    let status = StatusCode::from_u16(status).map_err(|e| e.to_string())?;
    Ok((status, code, message))
}

/// Handles one WriteGetObjectResponse request. With `credentials` its SigV4 signature must be
/// by one of them; with `None` (the gateway, which cannot check a Lambda role's signature
/// against IAM) the single-use `outputToken` alone authenticates it.
pub(crate) async fn handle(
    tokens: &Tokens,
    credentials: Option<&[Credential]>,
    req: http::Request<hyper::body::Incoming>,
) -> HttpResponse {
    let request_id = crate::event::random_id(16).to_ascii_uppercase();
    let (parts, body) = req.into_parts();
    let result = match credentials {
        Some(credentials) => sigv4::verify_header_auth(
            &parts.method,
            &parts.uri,
            &parts.headers,
            "s3-object-lambda",
            credentials,
            SystemTime::now(),
        )
        .map(|_| ())
        .map_err(|e| auth_error(&e)),
        None => Ok(()),
    };
    let result = match result {
        Ok(()) => deliver(tokens, &parts.headers, body).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        tracing::info!(code = %e.code().as_str(), "WriteGetObjectResponse refused");
    }
    to_response(result, &request_id)
}

/// Where a function that answers with the object itself (a webhook) delivers it: the same
/// validation and streaming as a WriteGetObjectResponse with these route and token.
pub struct DirectAnswer {
    pub(crate) tokens: Tokens,
    pub(crate) route: String,
    pub(crate) token: String,
}

impl std::fmt::Debug for DirectAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectAnswer").finish_non_exhaustive()
    }
}

impl DirectAnswer {
    /// Delivers `headers` (the WGOR headers: `x-amz-fwd-status`, `x-amz-fwd-header-*`,
    /// `x-amz-fwd-error-code`/`-message`) and `body` to the waiting caller. The route and token
    /// are this invocation's. `Err` is the reason the answer was refused.
    pub async fn deliver<B>(self, mut headers: HeaderMap, body: B) -> Result<(), String>
    where
        B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
        B::Error: std::fmt::Display,
    {
        for (name, value) in [
            ("x-amz-request-route", &self.route),
            ("x-amz-request-token", &self.token),
        ] {
            let v = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            headers.insert(name, v);
        }
        deliver(&self.tokens, &headers, body)
            .await
            .map_err(|e| e.message().unwrap_or(e.code().as_str()).to_owned())
    }
}

/// Validates a WGOR's headers against the outstanding tokens and streams its body to the
/// waiting GET caller.
pub(crate) async fn deliver<B>(tokens: &Tokens, h: &HeaderMap, mut body: B) -> Result<(), S3Error>
where
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: std::fmt::Display,
{
    let route = header_str(h, "x-amz-request-route").unwrap_or_default();
    let token = header_str(h, "x-amz-request-token")
        .ok_or_else(|| errors::validation("Missing x-amz-request-token."))?;
    let tx = tokens.take(route, token)?;

    let (status, code, message) = match validate(h) {
        Ok(v) => v,
        Err(msg) => {
            let _ = tx.send(Delivery::Invalid(msg.clone()));
            return Err(errors::validation(msg));
        }
    };
    let headers = forwarded_headers(h);

    if status.as_u16() >= 400 || status == StatusCode::NOT_MODIFIED {
        // No body allowed: read what came (bounded) and refuse if there was any.
        let declared = header_str(h, "content-length").and_then(|v| v.parse::<u64>().ok());
        let has_body = if declared.is_some_and(|n| n > 0) {
            true
        } else {
            match body.frame().await {
                Some(Ok(f)) => f.data_ref().is_some_and(|d| !d.is_empty()),
                _ => false,
            }
        };
        if has_body {
            let msg = "A body is not allowed with an error or 304 status.".to_owned();
            let _ = tx.send(Delivery::Invalid(msg.clone()));
            return Err(errors::validation(msg));
        }
        let _ = tx.send(Delivery::Error {
            status,
            code,
            message,
            headers,
        });
        return Ok(());
    }

    let (ended_tx, ended) = oneshot::channel();
    let relay = Relay {
        body: Mutex::new(body),
        ended: Some(ended_tx),
    };
    if tx
        .send(Delivery::Response {
            status,
            headers,
            body: s3s::Body::http_body(relay),
        })
        .is_err()
    {
        return Err(errors::error(
            400,
            "ConnectionClosedByRequester",
            "The GET request is no longer waiting.",
        ));
    }
    // The caller's connection now reads the body straight from the WGOR's; the WGOR is
    // answered once it has all gone through (200 means the caller has it all).
    match ended.await {
        Ok(Ended::Complete) => Ok(()),
        Ok(Ended::Failed) => Err(errors::error(
            400,
            "IncompleteBody",
            "The request body could not be read.",
        )),
        Err(_) => Err(errors::error(
            400,
            "ConnectionClosedByRequester",
            "The requester closed the connection.",
        )),
    }
}

/// How a relayed WGOR body ended (a body dropped before its end: the caller went away).
enum Ended {
    Complete,
    Failed,
}

/// A WGOR body as the GET caller's response body: its data frames pass through as they
/// arrive, with no channel or task in between (trailers are dropped); backpressure is the
/// caller's connection. How it ended goes to the WGOR handler. A failure of the WGOR body
/// breaks the caller's response (no clean end).
struct Relay<B> {
    /// Behind a mutex only to be `Sync` (polled through `get_mut`, never locked).
    body: Mutex<B>,
    ended: Option<oneshot::Sender<Ended>>,
}

impl<B> Relay<B> {
    fn end(&mut self, how: Ended) {
        if let Some(tx) = self.ended.take() {
            let _ = tx.send(how);
        }
    }
}

impl<B> http_body::Body for Relay<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        loop {
            let body = this
                .body
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match std::task::ready!(Pin::new(&mut *body).poll_frame(cx)) {
                Some(Ok(frame)) if frame.is_data() => {
                    // With a declared length the caller's connection may stop polling once it
                    // has that many bytes, without asking for the end.
                    if body.is_end_stream() {
                        this.end(Ended::Complete);
                    }
                    return Poll::Ready(Some(Ok(frame)));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    this.end(Ended::Failed);
                    return Poll::Ready(Some(Err(io::Error::other(format!(
                        "WriteGetObjectResponse body failed: {e}"
                    )))));
                }
                None => {
                    this.end(Ended::Complete);
                    return Poll::Ready(None);
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended.is_none()
            || self
                .body
                .lock()
                .is_ok_and(|b| http_body::Body::is_end_stream(&*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn validates_status_and_codes() {
        assert_eq!(validate(&hm(&[])).unwrap().0, StatusCode::OK);
        assert!(validate(&hm(&[("x-amz-fwd-status", "abc")])).is_err());
        assert!(validate(&hm(&[("x-amz-fwd-status", "299")])).is_err());
        assert!(
            validate(&hm(&[
                ("x-amz-fwd-status", "200"),
                ("x-amz-fwd-error-code", "Oops")
            ]))
            .is_err()
        );
        assert!(
            validate(&hm(&[
                ("x-amz-fwd-status", "404"),
                ("x-amz-fwd-error-code", "No-Such")
            ]))
            .is_err()
        );
        assert!(
            validate(&hm(&[
                ("x-amz-fwd-header-x-amz-checksum-crc32", "a"),
                ("x-amz-fwd-header-x-amz-checksum-sha256", "b"),
            ]))
            .is_err()
        );
        let (s, c, _) = validate(&hm(&[
            ("x-amz-fwd-status", "404"),
            ("x-amz-fwd-error-code", "NoSuchKey"),
        ]))
        .unwrap();
        assert_eq!((s.as_u16(), c.as_deref()), (404, Some("NoSuchKey")));
    }

    #[test]
    fn forwards_prefixed_headers() {
        let h = hm(&[
            ("x-amz-fwd-header-content-type", "text/csv"),
            ("x-amz-fwd-header-etag", "\"e\""),
            ("x-amz-meta-a", "1"),
            ("content-length", "5"),
            ("x-amz-request-token", "t"),
        ]);
        let out = forwarded_headers(&h);
        assert_eq!(out["content-type"], "text/csv");
        assert_eq!(out["etag"], "\"e\"");
        assert_eq!(out["x-amz-meta-a"], "1");
        assert_eq!(out["content-length"], "5");
        assert!(!out.contains_key("x-amz-request-token"));
    }

    #[test]
    fn tokens_are_single_use_and_route_bound() {
        let t = Tokens::default();
        let _rx = t.register("r1", "tok");
        assert!(t.take("r2", "tok").is_err());
        assert!(t.take("r1", "tok").is_ok());
        let again = t.take("r1", "tok").err().unwrap();
        assert_eq!(again.code().as_str(), "ValidationError");
        let _rx2 = t.register("r1", "tok2");
        t.expire("tok2");
        assert!(t.take("r1", "tok2").is_err());
        assert!(t.take("r1", "never").is_err());
    }
}
