//! Conditional requests: `If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since` on GET/HEAD (RFC 9110 §13.2.2 order, as S3 evaluates them).

use s3s::dto::{ETag, ETagCondition, Timestamp};
use s3s::s3_error;

/// Outcome of evaluating the conditional headers of a GET/HEAD.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

/// The four conditional headers of a request.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Conditions<'a> {
    pub(crate) if_match: Option<&'a ETagCondition>,
    pub(crate) if_unmodified_since: Option<&'a Timestamp>,
    pub(crate) if_none_match: Option<&'a ETagCondition>,
    pub(crate) if_modified_since: Option<&'a Timestamp>,
}

fn etag_value(e: &ETag) -> &str {
    match e {
        ETag::Strong(v) | ETag::Weak(v) => v.trim_matches('"'),
    }
}

fn etag_matches(cond: &ETagCondition, current: &str) -> bool {
    match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => etag_value(e) == current,
    }
}

/// HTTP dates have whole seconds; stored times do not.
fn secs(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// RFC 9110 §13.2.2 order: If-Match, else If-Unmodified-Since (412); then If-None-Match,
/// else If-Modified-Since (304). `etag` is unquoted.
pub(crate) fn evaluate(c: Conditions<'_>, etag: &str, modified_secs: i64) -> Precondition {
    if let Some(cond) = c.if_match {
        if !etag_matches(cond, etag) {
            return Precondition::Failed;
        }
    } else if let Some(t) = c.if_unmodified_since
        && modified_secs > secs(t)
    {
        return Precondition::Failed;
    }
    if let Some(cond) = c.if_none_match {
        if etag_matches(cond, etag) {
            return Precondition::NotModified;
        }
    } else if let Some(t) = c.if_modified_since
        && modified_secs <= secs(t)
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

pub(crate) fn precondition_failed() -> s3s::S3Error {
    s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}

/// 304 Not Modified. s3s 0.14 ignores `S3Response::status` on typed operations, so the
/// 304 travels as an error; hyper sends no body with a 304.
pub(crate) fn not_modified(etag: &str, last_modified: &Timestamp) -> s3s::S3Error {
    let mut e = s3_error!(NotModified);
    e.set_status_code(http::StatusCode::NOT_MODIFIED);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(http::header::ETAG, v);
    }
    let mut buf = Vec::new();
    if last_modified
        .format(s3s::dto::TimestampFormat::HttpDate, &mut buf)
        .is_ok()
        && let Ok(v) = http::HeaderValue::from_bytes(&buf)
    {
        headers.insert(http::header::LAST_MODIFIED, v);
    }
    e.set_headers(headers);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(secs).unwrap())
    }

    #[test]
    fn precondition_order_follows_rfc() {
        let same = ETagCondition::ETag(ETag::Strong("abc".into()));
        let other = ETagCondition::ETag(ETag::Strong("xyz".into()));
        let eval = |if_match: Option<&ETagCondition>,
                    if_unmodified_since: Option<&Timestamp>,
                    if_none_match: Option<&ETagCondition>,
                    if_modified_since: Option<&Timestamp>| {
            evaluate(
                Conditions {
                    if_match,
                    if_unmodified_since,
                    if_none_match,
                    if_modified_since,
                },
                "abc",
                1000,
            )
        };
        assert_eq!(eval(None, None, None, None), Precondition::Proceed);
        assert_eq!(eval(Some(&other), None, None, None), Precondition::Failed);
        assert_eq!(
            eval(Some(&same), Some(&ts(10)), None, None),
            Precondition::Proceed
        );
        assert_eq!(eval(None, Some(&ts(999)), None, None), Precondition::Failed);
        assert_eq!(
            eval(None, Some(&ts(1000)), None, None),
            Precondition::Proceed
        );
        assert_eq!(
            eval(None, None, Some(&same), None),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, Some(&ETagCondition::Any), None),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, Some(&other), Some(&ts(2000))),
            Precondition::Proceed
        );
        assert_eq!(
            eval(None, None, None, Some(&ts(1000))),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, None, Some(&ts(999))),
            Precondition::Proceed
        );
    }
}
