//! SigV4 pieces the emulator needs outside s3s: presigning `inputS3Url` with the caller's
//! credentials, and verifying WriteGetObjectResponse requests (signed for the service
//! `s3-object-lambda`, which s3s 0.14 refuses). Both delegate the canonical request and the
//! HMAC chain to the `aws-sigv4` crate, the signer the AWS SDKs use.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::config::Credential;

/// Maximum clock difference accepted on a signed request (S3: 15 minutes).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// A signature problem, mapped to S3 error codes by the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No or malformed Authorization / x-amz-date.
    #[error("{0}")]
    Malformed(&'static str),
    /// Signed for another service.
    #[error("credential scope names service `{0}`")]
    WrongService(String),
    /// Unknown access key.
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    UnknownAccessKey,
    /// Request date too far from now.
    #[error("The difference between the request time and the current time is too large.")]
    TooSkewed,
    /// Signature mismatch.
    #[error("The request signature we calculated does not match the signature you provided.")]
    Mismatch,
    /// aws-sigv4 failed (should not happen).
    #[error("signing failed: {0}")]
    Signing(String),
}

fn identity(cred: &Credential) -> Identity {
    aws_credential_types::Credentials::new(
        cred.access_key_id.clone(),
        cred.secret_access_key.clone(),
        None,
        None,
        "object-lambda-emulator",
    )
    .into()
}

/// S3 signing rules: the path is encoded once and never normalised.
fn s3_settings() -> SigningSettings {
    let mut s = SigningSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s
}

/// Everything but the RFC 3986 unreserved characters (SigV4's URI encoding).
pub(crate) const SIGV4_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SIGV4_ENCODE).to_string()
}

fn amz_date(now: SystemTime) -> (String, String) {
    let t = time::OffsetDateTime::from(now);
    let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
    let full = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    (date, full)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one flat call site; a struct would only rename them"
)]
/// Presigns a path-style S3 URL (query authentication, `UNSIGNED-PAYLOAD`).
///
/// `path` is already percent-encoded; `query` holds decoded pairs; `headers` are lower-case
/// names to sign besides `host`. aws-sigv4's request signer leaves `x-amz-checksum-mode` out
/// of presigned URLs, but Object Lambda signs it, so the canonical request is assembled here
/// and only the key derivation and HMAC come from aws-sigv4.
pub(crate) fn presign(
    method: &str,
    endpoint: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(&str, &str)],
    cred: &Credential,
    expires: Duration,
    now: SystemTime,
) -> String {
    let host = endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let (date, full_date) = amz_date(now);
    let scope = format!("{date}/{}/s3/aws4_request", crate::config::REGION);
    let mut hdrs: Vec<(String, String)> = vec![("host".to_owned(), host.to_owned())];
    hdrs.extend(
        headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())),
    );
    hdrs.sort();
    hdrs.dedup_by(|a, b| a.0 == b.0);
    let signed_headers = hdrs
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");

    let mut params: Vec<(String, String)> = query.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    for (k, v) in [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", cred.access_key_id),
        ),
        ("X-Amz-Date", full_date.clone()),
        ("X-Amz-Expires", expires.as_secs().to_string()),
        ("X-Amz-SignedHeaders", signed_headers.clone()),
    ] {
        params.push((k.to_owned(), enc(&v)));
    }
    params.sort();
    let canonical_query = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_headers: String = hdrs.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let creq = format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD"
    );
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(creq.as_bytes()));
    let sts = format!("AWS4-HMAC-SHA256\n{full_date}\n{scope}\n{digest}");
    let key = v4::generate_signing_key(&cred.secret_access_key, now, crate::config::REGION, "s3");
    let signature = v4::calculate_signature(key, sts.as_bytes());
    format!("{endpoint}{path}?{canonical_query}&X-Amz-Signature={signature}")
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256")
        .ok_or(AuthError::Malformed("unsupported authorization type"))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let malformed = AuthError::Malformed("malformed Authorization header");
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(malformed);
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = scope[..] else {
        return Err(malformed);
    };
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let t = time::PrimitiveDateTime::parse(s, &fmt).ok()?.assume_utc();
    Some(SystemTime::from(t))
}

/// Verifies a header-signed request for `service` and returns the caller's credential.
/// The request's own signed header list is replayed through aws-sigv4 and the resulting
/// signature compared.
pub(crate) fn verify_header_auth<'c>(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    service: &str,
    credentials: &'c [Credential],
    now: SystemTime,
) -> Result<&'c Credential, AuthError> {
    verify_signed_request(method, uri, headers, None, service, credentials, now)
}

/// [`verify_header_auth`] for a request whose signature covers the SHA-256 of `body` without an
/// `x-amz-content-sha256` header (every service but S3, e.g. Lambda's Invoke).
pub(crate) fn verify_header_auth_with_body<'c>(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    body: &[u8],
    service: &str,
    credentials: &'c [Credential],
    now: SystemTime,
) -> Result<&'c Credential, AuthError> {
    verify_signed_request(method, uri, headers, Some(body), service, credentials, now)
}

fn verify_signed_request<'c>(
    method: &http::Method,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    payload: Option<&[u8]>,
    service: &str,
    credentials: &'c [Credential],
    now: SystemTime,
) -> Result<&'c Credential, AuthError> {
    let auth_value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Malformed("missing Authorization header"))?;
    let auth = parse_authorization(auth_value)?;
    if auth.service != service {
        return Err(AuthError::WrongService(auth.service.to_owned()));
    }
    let cred = credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key)
        .ok_or(AuthError::UnknownAccessKey)?;
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Malformed("missing x-amz-date"))?;
    let time = parse_amz_date(amz_date).ok_or(AuthError::Malformed("invalid x-amz-date"))?;
    if !amz_date.starts_with(auth.date) {
        return Err(AuthError::Malformed(
            "credential scope date does not match x-amz-date",
        ));
    }
    let skew = now.duration_since(time).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(AuthError::TooSkewed);
    }

    // Only the headers the client signed, joined like the canonical form expects.
    let mut signed: Vec<(&str, String)> = Vec::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(AuthError::Mismatch);
        }
        signed.push((name, values.join(",")));
    }
    let host = signed
        .iter()
        .find(|(n, _)| *n == "host")
        .map(|(_, v)| v.clone())
        .ok_or(AuthError::Malformed("host must be signed"))?;
    let content_sha = signed
        .iter()
        .find(|(n, _)| *n == "x-amz-content-sha256")
        .map(|(_, v)| v.clone());

    let mut settings = s3_settings();
    if payload.is_some() {
        // Every service but S3 encodes the path twice and normalises it.
        settings.percent_encoding_mode = PercentEncodingMode::Double;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
    }
    let body = match &content_sha {
        Some(v) => {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            SignableBody::Precomputed(v.clone())
        }
        None => payload.map_or(SignableBody::UnsignedPayload, SignableBody::Bytes),
    };
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("http://{host}{path_and_query}");
    let id = identity(cred);
    let params = v4::SigningParams::builder()
        .identity(&id)
        .region(auth.region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| AuthError::Signing(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        signed
            .iter()
            .filter(|(n, _)| *n != "x-amz-date" && *n != "x-amz-content-sha256")
            .map(|(n, v)| (*n, v.as_str())),
        body,
    )
    .map_err(|e| AuthError::Signing(e.to_string()))?;
    let output = sign(signable, &params).map_err(|e| AuthError::Signing(e.to_string()))?;
    if output.signature() == auth.signature {
        Ok(cred)
    } else {
        Err(AuthError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presign_matches_aws_sigv4_for_plain_headers() {
        use aws_sigv4::http_request::SignatureLocation;
        let cred = Credential::new("AK", "SK");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        let query = [("versionId".to_owned(), "a b".to_owned())];
        let ours = presign(
            "GET",
            "http://127.0.0.1:9",
            "/b/k%20x",
            &query,
            &[],
            &cred,
            Duration::from_secs(300),
            now,
        );

        let id = identity(&cred);
        let mut settings = s3_settings();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        let params = v4::SigningParams::builder()
            .identity(&id)
            .region("us-east-1")
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = "http://127.0.0.1:9/b/k%20x?versionId=a%20b";
        let signable = SignableRequest::new(
            "GET",
            url,
            std::iter::empty(),
            SignableBody::UnsignedPayload,
        )
        .unwrap();
        let (_, sig) = sign(signable, &params).unwrap().into_parts();
        assert!(ours.ends_with(&format!("X-Amz-Signature={sig}")), "{ours}");
        let with_mode = presign(
            "GET",
            "http://127.0.0.1:9",
            "/b/k",
            &[],
            &[("x-amz-checksum-mode", "ENABLED")],
            &cred,
            Duration::from_secs(300),
            now,
        );
        assert!(
            with_mode.contains("X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode"),
            "{with_mode}"
        );
    }

    #[test]
    fn parses_authorization() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/s3-object-lambda/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key, "AK");
        assert_eq!(a.service, "s3-object-lambda");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(a.signature, "abc");
        assert!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=AK/x, SignedHeaders=a, Signature=b")
                .is_err()
        );
        assert!(parse_authorization("Basic abc").is_err());
    }

    #[test]
    fn header_signature_round_trips_and_detects_tampering() {
        let cred = Credential::new("AK", "SK");
        let now = SystemTime::now();
        let id = identity(&cred);
        let mut settings = s3_settings();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&id)
            .region("us-east-1")
            .name("s3-object-lambda")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = "http://127.0.0.1:9/WriteGetObjectResponse?x-id=WriteGetObjectResponse";
        let hdrs = [("host", "127.0.0.1:9"), ("x-amz-request-route", "r1")];
        let signable = SignableRequest::new(
            "POST",
            url,
            hdrs.iter().copied(),
            SignableBody::UnsignedPayload,
        )
        .unwrap();
        let (instr, _) = sign(signable, &params).unwrap().into_parts();
        let mut req = http::Request::builder()
            .method("POST")
            .uri(url)
            .body(())
            .unwrap();
        for (n, v) in hdrs {
            req.headers_mut().insert(n, v.parse().unwrap());
        }
        instr.apply_to_request_http1x(&mut req);
        let creds = [cred];
        let ok = verify_header_auth(
            req.method(),
            req.uri(),
            req.headers(),
            "s3-object-lambda",
            &creds,
            now,
        );
        assert!(ok.is_ok(), "{ok:?}");
        let wrong = verify_header_auth(req.method(), req.uri(), req.headers(), "s3", &creds, now);
        assert!(matches!(wrong, Err(AuthError::WrongService(_))));
        req.headers_mut()
            .insert("x-amz-request-route", "r2".parse().unwrap());
        let bad = verify_header_auth(
            req.method(),
            req.uri(),
            req.headers(),
            "s3-object-lambda",
            &creds,
            now,
        );
        assert_eq!(bad.unwrap_err(), AuthError::Mismatch);
        let late = now + Duration::from_secs(3600);
        let skewed = verify_header_auth(
            req.method(),
            req.uri(),
            req.headers(),
            "s3-object-lambda",
            &creds,
            late,
        );
        assert_eq!(skewed.unwrap_err(), AuthError::TooSkewed);
    }
}
