//! Checks S3 makes before it looks at a request, which s3s 0.14 does not: the region of the
//! signature's scope, the longest presigned lifetime, and the Range rule (a malformed or
//! multi-range header is ignored, as S3 does; see the emulator README, "Range and
//! partNumber"). The auth checks run on every request before s3s; an ignored Range is
//! dropped after s3s checked the signature that covers it (`olap::OlapRoute`).

use http::{HeaderMap, Request};
use s3s::S3Error;

use crate::config::REGION;
use crate::errors::error;

/// S3's longest presigned URL lifetime: 7 days.
const MAX_PRESIGN_SECS: u64 = 604_800;

/// The region of a SigV4 credential scope `AKID/DATE/REGION/SERVICE/aws4_request`.
fn scope_region(credential: &str) -> Option<&str> {
    credential.split('/').nth(2)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    query.split('&').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.eq_ignore_ascii_case(name)
            .then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy())
    })
}

fn with_region(mut e: S3Error) -> S3Error {
    let mut h = HeaderMap::new();
    h.insert(
        "x-amz-bucket-region",
        http::HeaderValue::from_static(REGION),
    );
    e.set_headers(h);
    e
}

/// Refuses requests signed for another region or presigned for longer than S3 allows.
pub(crate) fn check_auth<B>(req: &Request<B>) -> Result<(), S3Error> {
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(cred) = auth
            .split([',', ' '])
            .find_map(|p| p.trim().strip_prefix("Credential="))
        && let Some(region) = scope_region(cred)
        && region != REGION
    {
        return Err(with_region(error(
            400,
            "AuthorizationHeaderMalformed",
            format!(
                "The authorization header is malformed; the region '{region}' is wrong; expecting '{REGION}'"
            ),
        )));
    }
    let query = req.uri().query().unwrap_or_default();
    if let Some(cred) = query_param(query, "X-Amz-Credential")
        && let Some(region) = scope_region(&cred)
        && region != REGION
    {
        return Err(with_region(error(
            400,
            "AuthorizationQueryParametersError",
            format!(
                "Error parsing the X-Amz-Credential parameter; the region '{region}' is wrong; expecting '{REGION}'"
            ),
        )));
    }
    if let Some(expires) = query_param(query, "X-Amz-Expires") {
        match expires.parse::<u64>() {
            Ok(n) if n <= MAX_PRESIGN_SECS => {}
            Ok(_) => {
                return Err(error(
                    400,
                    "AuthorizationQueryParametersError",
                    format!(
                        "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_SECS}"
                    ),
                ));
            }
            Err(_) => {
                return Err(error(
                    400,
                    "AuthorizationQueryParametersError",
                    "X-Amz-Expires should be a number",
                ));
            }
        }
    }
    Ok(())
}

/// Refuses SSE-C (`x-amz-server-side-encryption-customer-*`, also on a copy source) over plain
/// HTTP with S3's 400 `InvalidRequest`: S3 takes customer keys only over TLS, whatever the
/// bucket or access point. A request whose transport is unknown (no [`Peer`]) counts as
/// plain.
///
/// [`Peer`]: crate::authz::Peer
pub(crate) fn check_sse_c_transport<B>(req: &Request<B>) -> Result<(), S3Error> {
    let secure = req
        .extensions()
        .get::<crate::authz::Peer>()
        .is_some_and(|p| p.tls);
    let sse_c = req
        .headers()
        .keys()
        .any(|k| k.as_str().contains("server-side-encryption-customer-"));
    if sse_c && !secure {
        return Err(error(
            400,
            "InvalidRequest",
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        ));
    }
    Ok(())
}

/// The largest XML body s3s parses (its default `xml_max_body_size`).
const MAX_XML_BODY: u64 = 20 * 1024 * 1024;

/// Refuses a POST (CompleteMultipartUpload, DeleteObjects: XML bodies) larger than s3s
/// parses, with S3's 400 `MaxMessageLengthExceeded` (s3s 0.14 answers 500 there).
pub(crate) fn check_body_size<B>(req: &Request<B>) -> Result<(), S3Error> {
    let len = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if *req.method() == http::Method::POST && len.is_some_and(|l| l > MAX_XML_BODY) {
        return Err(error(
            400,
            "MaxMessageLengthExceeded",
            "Your request was too big.",
        ));
    }
    Ok(())
}

/// Whether S3 would act on this Range header: one `bytes=` range, `first-[last]` with
/// first ≤ last, or a suffix `-n`. Anything else is ignored (200, whole object).
pub(crate) fn range_is_usable(value: &str) -> bool {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return false;
    };
    if spec.contains(',') {
        return false;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (first, last) {
        ("", l) => digits(l),
        (f, "") => digits(f),
        (f, l) => {
            digits(f)
                && digits(l)
                && match (f.parse::<u64>(), l.parse::<u64>()) {
                    (Ok(f), Ok(l)) => f <= l,
                    // Beyond u64: not a range anyone can serve; let s3s refuse it.
                    _ => true,
                }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_rule_matches_recorded_s3_answers() {
        for ok in [
            "bytes=0-8",
            "bytes=1-1",
            "bytes=1-",
            "bytes=-2",
            "bytes=-15",
            "bytes=0-100",
            "bytes=-0",
            "bytes=100-200",
        ] {
            assert!(range_is_usable(ok), "{ok}");
        }
        for ignored in [
            "bytes=1-0",
            "bytes=15-10",
            "bytes=-1-",
            "bytes=0--1",
            "bytes=-",
            "0-1",
            "bytes=0-1,3-4,7-9",
            "kilobytes=1-2",
            "",
        ] {
            assert!(!range_is_usable(ignored), "{ignored}");
        }
    }

    #[test]
    fn sse_c_needs_tls() {
        let peer = |tls| crate::authz::Peer {
            ip: std::net::Ipv4Addr::LOCALHOST.into(),
            tls,
        };
        let sse_c = |tls: Option<bool>| {
            let mut r = Request::builder()
                .uri("/b/k")
                .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
                .body(())
                .unwrap();
            if let Some(t) = tls {
                r.extensions_mut().insert(peer(t));
            }
            check_sse_c_transport(&r)
        };
        assert_eq!(
            sse_c(Some(false)).unwrap_err().code().as_str(),
            "InvalidRequest"
        );
        assert!(sse_c(None).is_err(), "unknown transport counts as plain");
        assert!(sse_c(Some(true)).is_ok());
        let mut copy = Request::builder()
            .uri("/b/k")
            .header("x-amz-copy-source-server-side-encryption-customer-key", "x")
            .body(())
            .unwrap();
        copy.extensions_mut().insert(peer(false));
        assert!(check_sse_c_transport(&copy).is_err());
        let mut plain = req("/b/k", None);
        plain.extensions_mut().insert(peer(false));
        assert!(check_sse_c_transport(&plain).is_ok());
    }

    fn req(uri: &str, auth: Option<&str>) -> Request<()> {
        let mut b = Request::builder().uri(uri);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn other_regions_and_week_long_presigns_are_refused() {
        let ok = "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x";
        assert!(check_auth(&req("/b/k", Some(ok))).is_ok());
        let eu = ok.replace("us-east-1", "eu-west-1");
        let e = check_auth(&req("/b/k", Some(&eu))).unwrap_err();
        assert_eq!(e.code().as_str(), "AuthorizationHeaderMalformed");
        let e = check_auth(&req(
            "/b/k?X-Amz-Credential=AK%2F20260101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Expires=60",
            None,
        ))
        .unwrap_err();
        assert_eq!(e.code().as_str(), "AuthorizationQueryParametersError");
        let e = check_auth(&req(
            "/b/k?X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=604801",
            None,
        ))
        .unwrap_err();
        assert_eq!(e.code().as_str(), "AuthorizationQueryParametersError");
        assert!(check_auth(&req("/b/k?X-Amz-Expires=604800", None)).is_ok());
    }
}
