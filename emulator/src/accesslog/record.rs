//! One S3 server access log record: the fields in the order AWS documents them
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html>), space-separated,
//! `-` for a field that is unknown or does not apply.
//!
//! Nothing secret is written: a query string's signature, security token and the emulator's
//! one-time Object Lambda grant are replaced by `REDACTED`; headers are not logged except
//! Referer, User-Agent and Host, as S3 does.

use std::fmt::Write as _;

/// Query parameters whose values never reach a log (SigV4 and SigV2 signatures, session
/// tokens, the emulator's grant for a function's fetch).
const SECRET_PARAMS: [&str; 4] = [
    "x-amz-signature",
    "x-amz-security-token",
    "signature",
    crate::authz::GRANT_PARAM,
];

/// The fields of one record, as text (`None` is written `-`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) bucket_owner: String,
    pub(crate) bucket: String,
    /// `[06/Feb/2019:00:00:38 +0000]`, from [`format_time`].
    pub(crate) time: String,
    pub(crate) remote_ip: Option<String>,
    /// The caller's IAM ARN; `None` for anonymous requests.
    pub(crate) requester: Option<String>,
    pub(crate) request_id: String,
    /// `REST.GET.OBJECT`, `REST.PUT.OBJECT`, `REST.GET.BUCKET`, ...
    pub(crate) operation: String,
    /// URL-encoded, as sent.
    pub(crate) key: Option<String>,
    /// `GET /bucket/key?query HTTP/1.1`, secrets redacted.
    pub(crate) request_uri: String,
    pub(crate) status: u16,
    pub(crate) error_code: Option<String>,
    pub(crate) bytes_sent: u64,
    pub(crate) object_size: Option<u64>,
    /// Milliseconds from the request's arrival to its last byte sent.
    pub(crate) total_time_ms: u64,
    /// Milliseconds from the request's arrival to the response's first byte.
    pub(crate) turn_around_ms: u64,
    pub(crate) referer: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) version_id: Option<String>,
    pub(crate) host_id: String,
    /// `SigV4`, `SigV2`, or `None` (anonymous).
    pub(crate) signature_version: Option<&'static str>,
    pub(crate) cipher_suite: Option<String>,
    /// `AuthHeader` or `QueryString`.
    pub(crate) auth_type: Option<&'static str>,
    pub(crate) host_header: Option<String>,
    pub(crate) tls_version: Option<String>,
    pub(crate) access_point_arn: Option<String>,
    /// `Yes` when an ACL was required to authorize the request (never here: ACLs are not
    /// evaluated, policies are).
    pub(crate) acl_required: bool,
    pub(crate) source_region: Option<String>,
}

fn opt(s: Option<&str>) -> &str {
    match s {
        Some(v) if !v.is_empty() => v,
        _ => "-",
    }
}

/// A quoted field: `"..."`, with `"` and `\` escaped and control characters dropped, so one
/// record stays one line.
fn quoted(out: &mut String, s: Option<&str>) {
    out.push('"');
    match s {
        Some(v) if !v.is_empty() => {
            for c in v.chars() {
                match c {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    c if c.is_control() => {}
                    c => out.push(c),
                }
            }
        }
        _ => out.push('-'),
    }
    out.push('"');
}

/// An unquoted field: spaces and control characters would split the record, so they are
/// percent-encoded.
fn bare(out: &mut String, s: &str) {
    for c in s.chars() {
        if c == ' ' || c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
}

impl Record {
    /// The record as one line, without the newline.
    pub(crate) fn line(&self) -> String {
        let mut out = String::with_capacity(512);
        let num = |n: u64| {
            if n == 0 {
                "-".to_owned()
            } else {
                n.to_string()
            }
        };
        bare(&mut out, &self.bucket_owner);
        out.push(' ');
        bare(&mut out, &self.bucket);
        // The time is the one bracketed field, with its space.
        out.push(' ');
        out.push_str(&self.time);
        out.push(' ');
        let fields: [String; 5] = [
            opt(self.remote_ip.as_deref()).to_owned(),
            opt(self.requester.as_deref()).to_owned(),
            self.request_id.clone(),
            self.operation.clone(),
            opt(self.key.as_deref()).to_owned(),
        ];
        for f in &fields {
            bare(&mut out, f);
            out.push(' ');
        }
        quoted(&mut out, Some(&self.request_uri));
        let _ = write!(
            out,
            " {} {} {} {} {} {} ",
            self.status,
            opt(self.error_code.as_deref()),
            num(self.bytes_sent),
            self.object_size
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            self.total_time_ms,
            self.turn_around_ms,
        );
        quoted(&mut out, self.referer.as_deref());
        out.push(' ');
        quoted(&mut out, self.user_agent.as_deref());
        let rest = [
            opt(self.version_id.as_deref()),
            &self.host_id,
            opt(self.signature_version),
            opt(self.cipher_suite.as_deref()),
            opt(self.auth_type),
            opt(self.host_header.as_deref()),
            opt(self.tls_version.as_deref()),
            opt(self.access_point_arn.as_deref()),
            if self.acl_required { "Yes" } else { "-" },
            opt(self.source_region.as_deref()),
        ];
        for f in rest {
            out.push(' ');
            bare(&mut out, f);
        }
        out
    }
}

/// `[06/Feb/2019:00:00:38 +0000]`.
pub(crate) fn format_time(t: time::OffsetDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "[{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000]",
        t.day(),
        MONTHS[usize::from(u8::from(t.month()) - 1)],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `METHOD path?query HTTP/x.y` with secret query values replaced by `REDACTED`.
pub(crate) fn request_uri(
    method: &http::Method,
    uri: &http::Uri,
    version: http::Version,
) -> String {
    let mut out = format!("{method} {}", uri.path());
    if let Some(q) = uri.query() {
        out.push('?');
        for (i, pair) in q.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let name = pair.split('=').next().unwrap_or_default();
            if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                out.push_str(name);
                out.push_str("=REDACTED");
            } else {
                out.push_str(pair);
            }
        }
    }
    let v = match version {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    };
    out.push(' ');
    out.push_str(v);
    out
}

/// S3's operation name: `REST.<METHOD>.<resource>`, the resource being the sub-resource named
/// in the query (`?versioning` → `VERSIONING`), else `OBJECT` for a key, else `BUCKET`.
pub(crate) fn operation(
    method: &http::Method,
    has_key: bool,
    query: &[(String, String)],
    copy: bool,
) -> String {
    const SUBRESOURCES: &[(&str, &str)] = &[
        ("versioning", "VERSIONING"),
        ("logging", "LOGGING_STATUS"),
        ("encryption", "ENCRYPTION"),
        ("object-lock", "OBJECT_LOCK_CONFIGURATION"),
        ("retention", "RETENTION"),
        ("legal-hold", "LEGAL_HOLD"),
        ("policy", "BUCKETPOLICY"),
        ("location", "LOCATION"),
        ("versions", "BUCKETVERSIONS"),
        ("uploads", "UPLOADS"),
        ("delete", "MULTI_OBJECT_DELETE"),
        ("tagging", "TAGGING"),
        ("acl", "ACL"),
    ];
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let resource = if let Some((_, r)) = SUBRESOURCES.iter().find(|(q, _)| has(q)) {
        (*r).to_owned()
    } else if has_key && has("uploadId") {
        if *method == http::Method::PUT {
            "PART"
        } else {
            "UPLOAD"
        }
        .to_owned()
    } else if has_key {
        "OBJECT".to_owned()
    } else {
        "BUCKET".to_owned()
    };
    // CopyObject is logged as REST.COPY.OBJECT, as S3 does.
    let verb = if copy && *method == http::Method::PUT {
        "COPY"
    } else {
        method.as_str()
    };
    format!("REST.{verb}.{resource}")
}

/// Pulls `<Code>…</Code>` out of an S3 error body.
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    let code = &text[start..start + len];
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_owned())
}

/// The code S3 logs for a HEAD that failed without an error body to read it from (a backend
/// that answered the HEAD with its status only): S3's codes for these statuses.
pub(crate) fn head_error_code(status: u16, has_key: bool) -> Option<String> {
    let code = match status {
        403 => "AccessDenied",
        404 if has_key => "NoSuchKey",
        404 => "NoSuchBucket",
        412 => "PreconditionFailed",
        416 => "InvalidRange",
        _ => return None,
    };
    Some(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn time_is_formatted_as_s3_does() {
        let t = time::macros::datetime!(2019-02-06 00:00:38 UTC);
        assert_eq!(format_time(t), "[06/Feb/2019:00:00:38 +0000]");
    }

    #[test]
    fn signatures_are_redacted() {
        let uri: http::Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abcdef&x-olap-grant=g1&versionId=v"
            .parse()
            .unwrap();
        let line = request_uri(&http::Method::GET, &uri, http::Version::HTTP_11);
        assert_eq!(
            line,
            "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=REDACTED&x-olap-grant=REDACTED&versionId=v HTTP/1.1"
        );
    }

    #[test]
    fn operations() {
        let get = http::Method::GET;
        assert_eq!(operation(&get, true, &[], false), "REST.GET.OBJECT");
        assert_eq!(
            operation(&get, false, &q(&[("list-type", "2")]), false),
            "REST.GET.BUCKET"
        );
        assert_eq!(
            operation(&get, false, &q(&[("versioning", "")]), false),
            "REST.GET.VERSIONING"
        );
        assert_eq!(
            operation(&http::Method::PUT, false, &q(&[("logging", "")]), false),
            "REST.PUT.LOGGING_STATUS"
        );
        assert_eq!(
            operation(
                &http::Method::PUT,
                true,
                &q(&[("uploadId", "u"), ("partNumber", "1")]),
                false
            ),
            "REST.PUT.PART"
        );
        assert_eq!(
            operation(&http::Method::PUT, true, &[], true),
            "REST.COPY.OBJECT"
        );
        assert_eq!(
            operation(&http::Method::POST, false, &q(&[("delete", "")]), false),
            "REST.POST.MULTI_OBJECT_DELETE"
        );
    }

    #[test]
    fn error_codes_come_from_the_body() {
        assert_eq!(
            error_code(
                b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>x</Message></Error>"
            ),
            Some("NoSuchKey".to_owned())
        );
        assert_eq!(error_code(b"plain"), None);
        assert_eq!(head_error_code(404, true).as_deref(), Some("NoSuchKey"));
        assert_eq!(head_error_code(404, false).as_deref(), Some("NoSuchBucket"));
        assert_eq!(head_error_code(500, true), None);
    }

    #[test]
    fn a_record_is_one_line_of_27_fields() {
        let r = Record {
            bucket_owner: "owner".into(),
            bucket: "b".into(),
            time: "[06/Feb/2019:00:00:38 +0000]".into(),
            request_id: "ID".into(),
            operation: "REST.GET.OBJECT".into(),
            key: Some("a%20b".into()),
            request_uri: "GET /b/a%20b HTTP/1.1".into(),
            status: 200,
            bytes_sent: 5,
            object_size: Some(5),
            user_agent: Some("agent \"x\"\nnext".into()),
            host_id: "host".into(),
            ..Record::default()
        };
        let line = r.line();
        assert!(!line.contains('\n'));
        assert!(line.contains("\"agent \\\"x\\\"next\""), "{line}");
        assert!(line.starts_with("owner b [06/Feb/2019:00:00:38 +0000] - - ID REST.GET.OBJECT a%20b \"GET /b/a%20b HTTP/1.1\" 200 - 5 5 0 0 \"-\""), "{line}");
        assert!(line.ends_with(" - host - - - - - - - -"), "{line}");
    }
}
