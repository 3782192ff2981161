//! Replicas: an `outputRoute` names the replica that holds the caller's connection, signed with
//! the shared `route_secret`, so any replica can take a WriteGetObjectResponse and forward it
//! (streaming) to the right one, and a forged or tampered route is refused before any outbound
//! request is made.
//!
//! Route: `io-<s|h><base32(host:port)>-<base32(mac)>`, all lower case letters and digits (a DNS
//! label for clients that prefix the host with it). `s`/`h` is https/http;
//! `mac = HMAC-SHA256(route_secret, "<s|h><host:port>\n<outputToken>")`, first 10 bytes. The
//! MAC covers the token, so a route is good for its one request only.

use hmac::{KeyInit, Mac};
use http::{HeaderValue, StatusCode};
use s3s::{Body, HttpResponse};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Bytes of the MAC kept in a route (80 bits: guessing one online is hopeless).
const MAC_LEN: usize = 10;
/// Set on a forwarded WGOR; a replica never forwards such a request again (no loops).
const FORWARDED: &str = "x-object-lambda-forwarded";

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base32, lower case, no padding.
fn base32(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 8 / 5 + 1);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        buf = (buf << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
        buf &= (1 << bits) - 1;
    }
    Some(out)
}

/// Where a WGOR goes.
pub(crate) enum Destination {
    /// This replica holds the caller.
    Here,
    /// Another replica (its base URL) holds the caller.
    Replica(String),
    /// Refused: the answer to send.
    Refused(Box<HttpResponse>),
}

/// This replica's identity and the shared secret.
pub(crate) struct Routes {
    secret: Vec<u8>,
    /// `s`/`h` + `host:port` of this replica.
    me: String,
    client: reqwest::Client,
}

impl Routes {
    /// `replica_url`: how other replicas reach this one (`http(s)://host:port`).
    pub(crate) fn new(secret: &str, replica_url: &url::Url) -> Self {
        let scheme = if replica_url.scheme() == "https" {
            's'
        } else {
            'h'
        };
        let host = replica_url.host_str().unwrap_or("127.0.0.1");
        let port = replica_url.port_or_known_default().unwrap_or(80);
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Self {
            secret: secret.as_bytes().to_vec(),
            me: format!("{scheme}{host}:{port}"),
            client: reqwest::Client::new(),
        }
    }

    fn mac(&self, replica: &str, token: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).unwrap_or_else(|_| {
            // HMAC takes keys of any length; this cannot happen.
            unreachable!("HMAC key of any length")
        });
        mac.update(replica.as_bytes());
        mac.update(b"\n");
        mac.update(token.as_bytes());
        mac
    }

    /// The route for a GET whose token is `token`.
    pub(crate) fn route_for(&self, token: &str) -> String {
        let tag = self.mac(&self.me, token).finalize().into_bytes();
        format!(
            "io-{}{}-{}",
            &self.me[..1],
            base32(&self.me.as_bytes()[1..]),
            base32(&tag[..MAC_LEN])
        )
    }

    /// Checks a WGOR's route; no request leaves this replica before it is verified.
    pub(crate) fn destination<B>(&self, req: &http::Request<B>) -> Destination {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let (route, token) = (header("x-amz-request-route"), header("x-amz-request-token"));
        let Some(replica) = self.verify(route, token) else {
            tracing::info!("WriteGetObjectResponse refused: route not signed by a replica");
            return Destination::Refused(Box::new(refusal(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                "The request route is invalid.",
            )));
        };
        if replica == self.me {
            return Destination::Here;
        }
        if req.headers().contains_key(FORWARDED) {
            return Destination::Refused(Box::new(refusal(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                "The request route names another replica than the one it was forwarded to.",
            )));
        }
        let scheme = if replica.starts_with('s') {
            "https"
        } else {
            "http"
        };
        Destination::Replica(format!("{scheme}://{}", &replica[1..]))
    }

    /// The replica (`s`/`h` + `host:port`) a correctly signed route names.
    fn verify(&self, route: &str, token: &str) -> Option<String> {
        let rest = route.strip_prefix("io-")?;
        let (who, tag) = rest.rsplit_once('-')?;
        let scheme = who.get(..1).filter(|s| *s == "s" || *s == "h")?;
        let host = String::from_utf8(unbase32(&who[1..])?).ok()?;
        let replica = format!("{scheme}{host}");
        let tag = unbase32(tag)?;
        if tag.len() != MAC_LEN {
            return None;
        }
        self.mac(&replica, token)
            .verify_truncated_left(&tag)
            .ok()
            .map(|()| replica)
    }

    /// Sends a WGOR on to the replica at `base`, streaming its body, and relays the answer.
    pub(crate) async fn forward(
        &self,
        base: &str,
        req: http::Request<hyper::body::Incoming>,
    ) -> HttpResponse {
        metrics::counter!("object_lambda_wgor_forwards_total").increment(1);
        let (parts, body) = req.into_parts();
        let mut headers = parts.headers;
        for h in [
            http::header::HOST,
            http::header::CONNECTION,
            http::header::TRANSFER_ENCODING,
        ] {
            headers.remove(h);
        }
        headers.insert(FORWARDED, HeaderValue::from_static("1"));
        let sent = self
            .client
            .post(format!("{base}/WriteGetObjectResponse"))
            .headers(headers)
            .body(reqwest::Body::wrap(body))
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, replica = base, "forwarding a WriteGetObjectResponse failed");
                return refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The replica holding the request could not be reached.",
                );
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.unwrap_or_default();
        let mut out = HttpResponse::new(Body::from(body));
        *out.status_mut() = status;
        for name in [
            http::header::CONTENT_TYPE,
            http::HeaderName::from_static("x-amz-request-id"),
        ] {
            if let Some(v) = headers.get(&name) {
                out.headers_mut().insert(name, v.clone());
            }
        }
        out
    }
}

fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let e = crate::errors::error(status.as_u16(), code, message);
    e.to_http_response().unwrap_or_else(|_| {
        let mut r = HttpResponse::new(Body::empty());
        *r.status_mut() = status;
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips() {
        for s in ["", "a", "127.0.0.1:9000", "[::1]:443", "gw-3.internal:9000"] {
            assert_eq!(unbase32(&base32(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert!(unbase32("not base32!").is_none());
    }

    #[test]
    fn routes_are_signed_and_bound_to_the_token() {
        let a = Routes::new("secret", &"http://127.0.0.1:9000".parse().unwrap());
        let b = Routes::new("secret", &"http://127.0.0.1:9001".parse().unwrap());
        let route = a.route_for("tok");
        assert!(route.len() <= 63, "{route}");
        assert!(
            route
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        );
        assert_eq!(b.verify(&route, "tok").as_deref(), Some("h127.0.0.1:9000"));
        assert!(b.verify(&route, "other-token").is_none());
        let other = Routes::new("other", &"http://127.0.0.1:9000".parse().unwrap());
        assert!(other.verify(&route, "tok").is_none());
        let mut tampered = route.into_bytes();
        tampered[5] = if tampered[5] == b'a' { b'b' } else { b'a' };
        assert!(
            a.verify(&String::from_utf8(tampered).unwrap(), "tok")
                .is_none()
        );
        assert!(a.verify("io-abc123", "tok").is_none());
    }
}
