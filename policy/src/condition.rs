//! The `Condition` element: operators, their policy values, and how they meet request keys.

use std::net::IpAddr;

use serde_json::Value;
use time::OffsetDateTime;

use crate::context::Keys;
use crate::error::Kind;
use crate::template::{Template, arn_matches};
use crate::wildcard;

/// One `"Operator": {"key": values}` pair of a statement's `Condition`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    op: Operator,
    key: String,
    values: Vec<PolicyValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    /// No prefix: a single-valued key.
    Single,
    /// `ForAnyValue:`: at least one request value satisfies the test (none present → false).
    Any,
    /// `ForAllValues:`: every request value satisfies the test (none present → true).
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    Str { ignore_case: bool, like: bool },
    Num(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    set: SetOp,
    test: Test,
    /// `...Not...` operators: true when the request value matches none of the policy values.
    negated: bool,
    if_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    Str(Template),
    Num(f64),
    /// Unix time in nanoseconds.
    Date(i128),
    Bool(bool),
    Ip(Cidr),
    Null(bool),
}

/// An IP network, `203.0.113.0/24` or `2001:db8::/32`; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)) << 96,
                u128::from(u32::from(ip)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    };
    a & mask == b & mask
}

const BASES: &[(&str, Test, bool)] = &[
    (
        "StringEquals",
        Test::Str {
            ignore_case: false,
            like: false,
        },
        false,
    ),
    (
        "StringNotEquals",
        Test::Str {
            ignore_case: false,
            like: false,
        },
        true,
    ),
    (
        "StringEqualsIgnoreCase",
        Test::Str {
            ignore_case: true,
            like: false,
        },
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Test::Str {
            ignore_case: true,
            like: false,
        },
        true,
    ),
    (
        "StringLike",
        Test::Str {
            ignore_case: false,
            like: true,
        },
        false,
    ),
    (
        "StringNotLike",
        Test::Str {
            ignore_case: false,
            like: true,
        },
        true,
    ),
    ("NumericEquals", Test::Num(Cmp::Eq), false),
    ("NumericNotEquals", Test::Num(Cmp::Eq), true),
    ("NumericLessThan", Test::Num(Cmp::Lt), false),
    ("NumericLessThanEquals", Test::Num(Cmp::Le), false),
    ("NumericGreaterThan", Test::Num(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Test::Num(Cmp::Ge), false),
    ("DateEquals", Test::Date(Cmp::Eq), false),
    ("DateNotEquals", Test::Date(Cmp::Eq), true),
    ("DateLessThan", Test::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Test::Date(Cmp::Le), false),
    ("DateGreaterThan", Test::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Test::Date(Cmp::Ge), false),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::Binary, false),
    ("IpAddress", Test::Ip, false),
    ("NotIpAddress", Test::Ip, true),
    ("ArnEquals", Test::Arn, false),
    ("ArnLike", Test::Arn, false),
    ("ArnNotEquals", Test::Arn, true),
    ("ArnNotLike", Test::Arn, true),
    ("Null", Test::Null, false),
];

impl Operator {
    fn parse(name: &str) -> Result<Self, String> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (SetOp::Any, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (SetOp::All, rest)
        } else {
            (SetOp::Single, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let Some(&(_, test, negated)) = BASES.iter().find(|(n, ..)| *n == base) else {
            return Err(format!("unknown condition operator {name:?}"));
        };
        if test == Test::Null && (if_exists || set != SetOp::Single) {
            return Err(format!(
                "{name:?}: Null takes neither a ForAnyValue:/ForAllValues: prefix nor IfExists"
            ));
        }
        Ok(Self {
            set,
            test,
            negated,
            if_exists,
        })
    }
}

impl Condition {
    /// Parses every `"Operator": {"key": value(s)}` of a `Condition` object.
    pub(crate) fn parse_block(block: &Value, variables: bool) -> Result<Vec<Self>, String> {
        let Value::Object(ops) = block else {
            return Err(format!(
                "must be an object of operators, not {}",
                Kind(block)
            ));
        };
        let mut out = Vec::new();
        for (op_name, keys) in ops {
            let op = Operator::parse(op_name)?;
            let Value::Object(keys) = keys else {
                return Err(format!(
                    "{op_name}: must be an object of condition keys, not {}",
                    Kind(keys)
                ));
            };
            if keys.is_empty() {
                return Err(format!("{op_name}: no condition key"));
            }
            for (key, raw) in keys {
                if key.is_empty() {
                    return Err(format!("{op_name}: empty condition key"));
                }
                let items = match raw {
                    Value::Array(items) if items.is_empty() => {
                        return Err(format!("{op_name}: {key}: empty list of values"));
                    }
                    Value::Array(items) => items.as_slice(),
                    one => std::slice::from_ref(one),
                };
                let values = items
                    .iter()
                    .map(|v| parse_value(op.test, v, variables))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{op_name}: {key}: {e}"))?;
                out.push(Self {
                    op,
                    key: key.clone(),
                    values,
                });
            }
        }
        Ok(out)
    }

    /// Whether the condition holds for the request's keys.
    pub(crate) fn holds(&self, keys: &Keys<'_>) -> bool {
        let present = keys.get(&self.key).filter(|v| !v.is_empty());
        if self.op.test == Test::Null {
            let absent = present.is_none();
            return self
                .values
                .iter()
                .any(|v| matches!(v, PolicyValue::Null(want) if *want == absent));
        }
        let Some(request_values) = present else {
            if self.op.if_exists {
                return true;
            }
            return match self.op.set {
                SetOp::All => true,
                SetOp::Any => false,
                // AWS: a missing key fails a test, and so passes a negated one.
                SetOp::Single => self.op.negated,
            };
        };
        let satisfies = |request: &str| {
            let any = self.values.iter().any(|pv| self.matches(pv, request, keys));
            any != self.op.negated
        };
        let mut request_values = request_values.iter();
        match self.op.set {
            SetOp::All => request_values.all(satisfies),
            SetOp::Any => request_values.any(satisfies),
            // A multi-valued key under a single-valued operator: any value for a test, all
            // values for a negated one (so a Deny on `StringNotEquals` cannot be dodged by
            // adding a value).
            SetOp::Single if self.op.negated => request_values.all(satisfies),
            SetOp::Single => request_values.any(satisfies),
        }
    }

    /// Does one request value match one policy value (before negation)?
    fn matches(&self, policy: &PolicyValue, request: &str, keys: &Keys<'_>) -> bool {
        match (self.op.test, policy) {
            (Test::Str { ignore_case, like }, PolicyValue::Str(t)) => {
                if like {
                    t.pattern(keys)
                        .is_some_and(|p| wildcard::matches(&p, request, ignore_case))
                } else {
                    t.expand(keys).is_some_and(|v| {
                        if ignore_case {
                            v.to_lowercase() == request.to_lowercase()
                        } else {
                            v == request
                        }
                    })
                }
            }
            (Test::Arn, PolicyValue::Str(t)) => {
                t.pattern(keys).is_some_and(|p| arn_matches(&p, request))
            }
            (Test::Binary, PolicyValue::Str(t)) => t.as_plain() == Some(request),
            (Test::Num(cmp), PolicyValue::Num(p)) => {
                parse_number(request).is_some_and(|r| compare(cmp, r, *p))
            }
            (Test::Date(cmp), PolicyValue::Date(p)) => {
                parse_date(request).is_some_and(|r| compare(cmp, r, *p))
            }
            (Test::Bool, PolicyValue::Bool(p)) => parse_bool(request) == Some(*p),
            (Test::Ip, PolicyValue::Ip(net)) => request
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| net.contains(ip)),
            _ => false,
        }
    }
}

fn compare<T: PartialOrd + Copy>(cmp: Cmp, request: T, policy: T) -> bool {
    match cmp {
        Cmp::Eq => request == policy,
        Cmp::Lt => request < policy,
        Cmp::Le => request <= policy,
        Cmp::Gt => request > policy,
        Cmp::Ge => request >= policy,
    }
}

fn scalar(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "a condition value must be a string, number or boolean, not {}",
            Kind(other)
        )),
    }
}

fn parse_value(test: Test, v: &Value, variables: bool) -> Result<PolicyValue, String> {
    let s = scalar(v)?;
    match test {
        Test::Str { .. } | Test::Arn => Template::parse(&s, variables).map(PolicyValue::Str),
        Test::Binary => Ok(PolicyValue::Str(Template::plain(&s))),
        Test::Num(_) => parse_number(&s)
            .map(PolicyValue::Num)
            .ok_or_else(|| format!("{s:?} is not a number")),
        Test::Date(_) => parse_date(&s).map(PolicyValue::Date).ok_or_else(|| {
            format!("{s:?} is not a date (ISO 8601 such as 2026-01-01T00:00:00Z, or epoch seconds)")
        }),
        Test::Bool => parse_bool(&s)
            .map(PolicyValue::Bool)
            .ok_or_else(|| format!("{s:?} is not \"true\" or \"false\"")),
        Test::Null => parse_bool(&s)
            .map(PolicyValue::Null)
            .ok_or_else(|| format!("{s:?} is not \"true\" or \"false\"")),
        Test::Ip => Cidr::parse(&s)
            .map(PolicyValue::Ip)
            .ok_or_else(|| format!("{s:?} is not an IP address or CIDR block")),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// ISO 8601 (RFC 3339 date-time, or a bare `YYYY-MM-DD` at midnight UTC) or epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Some(i128::from(secs) * 1_000_000_000);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    let date =
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, Principal};
    use serde_json::json;

    fn holds(block: &Value, ctx: &Context) -> bool {
        let p = Principal::iam_user("111122223333", "alice");
        let keys = Keys {
            principal: &p,
            layers: [Some(ctx), None],
        };
        Condition::parse_block(block, true)
            .unwrap()
            .iter()
            .all(|c| c.holds(&keys))
    }

    fn err(block: &Value) -> String {
        Condition::parse_block(block, true).unwrap_err()
    }

    #[test]
    fn string_equals_and_not_equals() {
        let c = Context::new().with("s3:prefix", "Finance/");
        assert!(holds(
            &json!({"StringEquals": {"s3:prefix": ["Sales/", "Finance/"]}}),
            &c
        ));
        assert!(!holds(
            &json!({"StringEquals": {"s3:prefix": "finance/"}}),
            &c
        ));
        assert!(holds(
            &json!({"StringEqualsIgnoreCase": {"s3:prefix": "finance/"}}),
            &c
        ));
        assert!(!holds(
            &json!({"StringNotEquals": {"s3:prefix": ["Sales/", "Finance/"]}}),
            &c
        ));
        assert!(holds(
            &json!({"StringNotEquals": {"s3:prefix": "Sales/"}}),
            &c
        ));
        assert!(!holds(
            &json!({"StringNotEqualsIgnoreCase": {"s3:prefix": "FINANCE/"}}),
            &c
        ));
        // Key names are case-insensitive.
        assert!(holds(
            &json!({"StringEquals": {"S3:Prefix": "Finance/"}}),
            &c
        ));
        // Missing key: a test fails, a negated test passes.
        assert!(!holds(&json!({"StringEquals": {"s3:delimiter": "/"}}), &c));
        assert!(holds(
            &json!({"StringNotEquals": {"s3:delimiter": "/"}}),
            &c
        ));
    }

    #[test]
    fn string_like() {
        let c = Context::new().with("s3:prefix", "Finance/2026/");
        assert!(holds(
            &json!({"StringLike": {"s3:prefix": "Finance/*"}}),
            &c
        ));
        assert!(!holds(&json!({"StringLike": {"s3:prefix": "Sales/*"}}), &c));
        assert!(holds(
            &json!({"StringNotLike": {"s3:prefix": "Sales/*"}}),
            &c
        ));
        assert!(!holds(
            &json!({"StringNotLike": {"s3:prefix": ["Sales/*", "Fin*"]}}),
            &c
        ));
        assert!(holds(
            &json!({"StringLike": {"s3:prefix": "Finance/20??/"}}),
            &c
        ));
        // StringEquals does not expand wildcards.
        assert!(!holds(
            &json!({"StringEquals": {"s3:prefix": "Finance/*"}}),
            &c
        ));
        // Policy variables; `aws:username` comes from the principal.
        let c = Context::new().with("s3:prefix", "home/alice/docs");
        assert!(holds(
            &json!({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
            &c
        ));
        assert!(!holds(
            &json!({"StringLike": {"s3:prefix": "home/${aws:nobody}/*"}}),
            &c
        ));
    }

    #[test]
    fn bool_strings_and_json_booleans() {
        let http = Context::new().with("aws:SecureTransport", "false");
        let https = Context::new().with("aws:SecureTransport", "true");
        for v in [json!("false"), json!(false), json!("FALSE")] {
            let block = json!({"Bool": {"aws:SecureTransport": v}});
            assert!(holds(&block, &http));
            assert!(!holds(&block, &https));
            assert!(!holds(&block, &Context::new()));
        }
        assert!(holds(
            &json!({"BoolIfExists": {"aws:SecureTransport": "false"}}),
            &Context::new()
        ));
        assert!(!holds(
            &json!({"Bool": {"aws:SecureTransport": "true"}}),
            &Context::new().with("aws:SecureTransport", "yes")
        ));
        assert!(
            err(&json!({"Bool": {"aws:SecureTransport": "yes"}}))
                .contains("is not \"true\" or \"false\"")
        );
    }

    #[test]
    fn ip_address_v4_and_v6() {
        let block = json!({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32", "203.0.113.7"]}});
        for (ip, want) in [
            ("192.0.2.10", true),
            ("192.0.3.10", false),
            ("203.0.113.7", true),
            ("203.0.113.8", false),
            ("2001:db8:1::5", true),
            ("2001:db9::1", false),
            ("::ffff:192.0.2.44", true),
            ("not an ip", false),
        ] {
            assert_eq!(
                holds(&block, &Context::new().with("aws:SourceIp", ip)),
                want,
                "{ip}"
            );
        }
        let not = json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}});
        assert!(holds(
            &not,
            &Context::new().with("aws:SourceIp", "192.0.2.1")
        ));
        assert!(!holds(
            &not,
            &Context::new().with("aws:SourceIp", "10.1.2.3")
        ));
        assert!(holds(
            &json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}),
            &Context::new().with("aws:SourceIp", "8.8.8.8")
        ));
        assert!(holds(
            &json!({"IpAddress": {"aws:SourceIp": "10.9.9.9/8"}}),
            &Context::new().with("aws:SourceIp", "10.1.1.1")
        ));
        assert!(err(&json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}})).contains("not an IP"));
        assert!(err(&json!({"IpAddress": {"aws:SourceIp": "example.com"}})).contains("not an IP"));
    }

    #[test]
    fn numeric() {
        let c = Context::new().with("s3:max-keys", "10");
        assert!(holds(&json!({"NumericEquals": {"s3:max-keys": "10"}}), &c));
        assert!(holds(&json!({"NumericEquals": {"s3:max-keys": 10}}), &c));
        assert!(holds(
            &json!({"NumericNotEquals": {"s3:max-keys": "11"}}),
            &c
        ));
        assert!(holds(
            &json!({"NumericLessThan": {"s3:max-keys": "11"}}),
            &c
        ));
        assert!(!holds(
            &json!({"NumericLessThan": {"s3:max-keys": "10"}}),
            &c
        ));
        assert!(holds(
            &json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
            &c
        ));
        assert!(holds(
            &json!({"NumericGreaterThan": {"s3:max-keys": "9.5"}}),
            &c
        ));
        assert!(holds(
            &json!({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}),
            &c
        ));
        assert!(!holds(
            &json!({"NumericGreaterThan": {"s3:max-keys": "10"}}),
            &Context::new().with("s3:max-keys", "ten")
        ));
        assert!(holds(
            &json!({"NumericLessThanEqualsIfExists": {"s3:max-keys": "100"}}),
            &Context::new()
        ));
        assert!(!holds(
            &json!({"NumericLessThanEquals": {"s3:max-keys": "100"}}),
            &Context::new()
        ));
        assert!(err(&json!({"NumericLessThan": {"s3:max-keys": "ten"}})).contains("not a number"));
    }

    #[test]
    fn dates() {
        let c = Context::new().with("aws:CurrentTime", "2026-06-01T12:00:00Z");
        assert!(holds(
            &json!({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}),
            &c
        ));
        assert!(holds(
            &json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01"}}),
            &c
        ));
        assert!(!holds(
            &json!({"DateLessThan": {"aws:CurrentTime": "2026-06-01T12:00:00Z"}}),
            &c
        ));
        assert!(holds(
            &json!({"DateLessThanEquals": {"aws:CurrentTime": "2026-06-01T12:00:00Z"}}),
            &c
        ));
        assert!(holds(
            &json!({"DateEquals": {"aws:CurrentTime": "2026-06-01T14:00:00+02:00"}}),
            &c
        ));
        assert!(holds(
            &json!({"DateNotEquals": {"aws:CurrentTime": "2026-06-01"}}),
            &c
        ));
        assert!(holds(
            &json!({"DateGreaterThanEquals": {"aws:CurrentTime": 1_780_000_000}}),
            &Context::new().with("aws:CurrentTime", "1780000000")
        ));
        assert!(
            err(&json!({"DateLessThan": {"aws:CurrentTime": "tomorrow"}})).contains("not a date")
        );
    }

    #[test]
    fn arn_operators() {
        let c = Context::new().with(
            "aws:SourceArn",
            "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap",
        );
        assert!(holds(
            &json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:111122223333:accesspoint/*"}}),
            &c
        ));
        assert!(holds(
            &json!({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap"}}),
            &c
        ));
        assert!(!holds(
            &json!({"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:444455556666:accesspoint/*"}}),
            &c
        ));
        assert!(holds(
            &json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:*:444455556666:*"}}),
            &c
        ));
        assert!(!holds(
            &json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:s3:*:*:accesspoint/finance-ap"}}),
            &c
        ));
        // aws:PrincipalArn is derived from the principal.
        assert!(holds(
            &json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/*"}}),
            &Context::new()
        ));
    }

    #[test]
    fn null() {
        let with = Context::new().with("s3:x-amz-server-side-encryption", "AES256");
        let block = json!({"Null": {"s3:x-amz-server-side-encryption": "true"}});
        assert!(holds(&block, &Context::new()));
        assert!(!holds(&block, &with));
        assert!(holds(
            &block,
            &Context::new().with_values("s3:x-amz-server-side-encryption", Vec::<String>::new())
        ));
        let block = json!({"Null": {"s3:x-amz-server-side-encryption": false}});
        assert!(holds(&block, &with));
        assert!(err(&json!({"NullIfExists": {"k": "true"}})).contains("Null takes"));
        assert!(err(&json!({"ForAnyValue:Null": {"k": "true"}})).contains("Null takes"));
    }

    #[test]
    fn set_operators() {
        let via = |v: &[&str]| Context::new().with_values("aws:CalledVia", v.iter().copied());
        let any = json!({"ForAnyValue:StringEquals": {"aws:CalledVia": "s3-object-lambda.amazonaws.com"}});
        let all = json!({"ForAllValues:StringEquals": {"aws:CalledVia": ["s3-object-lambda.amazonaws.com", "athena.amazonaws.com"]}});
        assert!(holds(&any, &via(&["s3-object-lambda.amazonaws.com"])));
        assert!(holds(
            &any,
            &via(&["athena.amazonaws.com", "s3-object-lambda.amazonaws.com"])
        ));
        assert!(!holds(&any, &via(&["athena.amazonaws.com"])));
        // Empty or missing set: ForAnyValue false, ForAllValues true.
        assert!(!holds(&any, &via(&[])));
        assert!(!holds(&any, &Context::new()));
        assert!(holds(&all, &via(&[])));
        assert!(holds(&all, &Context::new()));
        assert!(holds(&all, &via(&["athena.amazonaws.com"])));
        assert!(!holds(
            &all,
            &via(&["athena.amazonaws.com", "glue.amazonaws.com"])
        ));
        // Negated under a set operator: per request value, "equal to none of the policy values".
        let any_not =
            json!({"ForAnyValue:StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}});
        assert!(holds(
            &any_not,
            &via(&["athena.amazonaws.com", "glue.amazonaws.com"])
        ));
        assert!(!holds(&any_not, &via(&["athena.amazonaws.com"])));
        let all_not = json!({"ForAllValues:StringNotLike": {"aws:CalledVia": "athena*"}});
        assert!(holds(&all_not, &via(&["glue.amazonaws.com"])));
        assert!(!holds(
            &all_not,
            &via(&["glue.amazonaws.com", "athena.amazonaws.com"])
        ));
        // IfExists on a set operator: missing passes.
        assert!(holds(
            &json!({"ForAnyValue:StringEqualsIfExists": {"aws:CalledVia": "x"}}),
            &Context::new()
        ));
        // Single-valued operator on a multi-valued key: any value for a test, all for a negated one.
        assert!(holds(
            &json!({"StringEquals": {"aws:CalledVia": "glue.amazonaws.com"}}),
            &via(&["athena.amazonaws.com", "glue.amazonaws.com"])
        ));
        assert!(!holds(
            &json!({"StringNotEquals": {"aws:CalledVia": "glue.amazonaws.com"}}),
            &via(&["athena.amazonaws.com", "glue.amazonaws.com"])
        ));
    }

    #[test]
    fn if_exists() {
        let block = json!({"StringEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}});
        assert!(holds(&block, &Context::new()));
        assert!(holds(
            &block,
            &Context::new().with("s3:x-amz-server-side-encryption", "aws:kms")
        ));
        assert!(!holds(
            &block,
            &Context::new().with("s3:x-amz-server-side-encryption", "AES256")
        ));
        let not =
            json!({"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}});
        assert!(holds(&not, &Context::new()));
        assert!(holds(
            &not,
            &Context::new().with("s3:x-amz-server-side-encryption", "AES256")
        ));
        assert!(!holds(
            &not,
            &Context::new().with("s3:x-amz-server-side-encryption", "aws:kms")
        ));
    }

    #[test]
    fn binary() {
        let c = Context::new().with("k", "QmluYXJ5");
        assert!(holds(&json!({"BinaryEquals": {"k": "QmluYXJ5"}}), &c));
        assert!(!holds(&json!({"BinaryEquals": {"k": "QmluYXJ6"}}), &c));
    }

    #[test]
    fn several_operators_and_keys_all_must_hold() {
        let c = Context::new()
            .with("s3:prefix", "Finance/")
            .with("aws:SourceIp", "192.0.2.1");
        let both = json!({"StringLike": {"s3:prefix": "Finance/*"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}});
        assert!(holds(&both, &c));
        let one_fails = json!({"StringLike": {"s3:prefix": "Finance/*", "s3:delimiter": "/"}});
        assert!(!holds(&one_fails, &c));
    }

    #[test]
    fn malformed_blocks() {
        assert!(
            err(&json!({"StringEqualz": {"k": "v"}}))
                .contains("unknown condition operator \"StringEqualz\"")
        );
        assert!(
            err(&json!({"ForSomeValues:StringEquals": {"k": "v"}}))
                .contains("unknown condition operator")
        );
        assert!(err(&json!({"StringEquals": "k"})).contains("must be an object of condition keys"));
        assert!(err(&json!({"StringEquals": {}})).contains("no condition key"));
        assert!(err(&json!({"StringEquals": {"k": []}})).contains("empty list"));
        assert!(err(&json!({"StringEquals": {"k": {"a": 1}}})).contains("not an object"));
        assert!(err(&json!(["StringEquals"])).contains("must be an object of operators"));
    }
}
