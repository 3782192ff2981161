//! Documents that must be refused, with the place named; documents that must be accepted.

use object_lambda_policy::{Effect, Policy, PolicyKind};
use proptest::prelude::*;

fn refuse(json: &str, kind: PolicyKind) -> String {
    match Policy::parse(json, kind) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn accepts_single_statement_object_and_no_version() {
    let p = Policy::parse(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    assert_eq!(p.statements().len(), 1);
    assert_eq!(p.statements()[0].effect(), Effect::Allow);
    let p: Policy = r#"{"Version": "2012-10-17", "Id": "P1", "Statement": [
        {"Sid": "A", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/admin", "111122223333"]},
         "NotAction": ["s3:Get*", "s3:List*"], "NotResource": "arn:aws:s3:::b/public/*"},
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com", "AWS": "*"}, "Action": "*", "Resource": "*",
         "Condition": {"NumericLessThanEquals": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": true}}}
    ]}"#
    .parse()
    .unwrap();
    assert_eq!(p.id(), Some("P1"));
    assert_eq!(p.statements()[0].sid(), Some("A"));
}

#[test]
fn malformed_documents_name_the_statement_and_field() {
    let id = PolicyKind::Identity;
    let res = PolicyKind::Resource;
    let cases: &[(&str, PolicyKind, &str)] = &[
        ("{not json", id, "not valid JSON"),
        ("[]", id, "must be a JSON object"),
        (
            r#"{"Version": "2013-01-01", "Statement": []}"#,
            id,
            "Version: must be",
        ),
        (r#"{"Version": "2012-10-17"}"#, id, "Statement: missing"),
        (r#"{"Statement": []}"#, id, "Statement: empty list"),
        (
            r#"{"Statement": "x"}"#,
            id,
            "Statement: must be an object or a list",
        ),
        (
            r#"{"Statment": []}"#,
            id,
            "Statment: unknown policy element",
        ),
        (
            r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "Two", "Effect": "Allw", "Action": "*", "Resource": "*"}]}"#,
            id,
            "statement 2 (Sid \"Two\"), Effect: must be \"Allow\" or \"Deny\"",
        ),
        (
            r#"{"Statement": {"Action": "*", "Resource": "*"}}"#,
            id,
            "statement 1, Effect: missing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Resource": "*"}}"#,
            id,
            "statement 1, Action: missing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "*"}}"#,
            id,
            "statement 1, Resource: missing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}}"#,
            id,
            "Action and NotAction cannot both",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}}"#,
            id,
            "Action: \"GetObject\" is not",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "bucket/*"}}"#,
            id,
            "Resource: \"bucket/*\" is not",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}"#,
            id,
            "Action: empty list",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": [1], "Resource": "*"}}"#,
            id,
            "Action: list item must be a string",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}}"#,
            id,
            "Principal: an identity policy names no principal",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
            res,
            "Principal: missing",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": "alice", "Action": "*", "Resource": "*"}}"#,
            res,
            "Principal: must be \"*\" or an object",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": {"IAM": "x"}, "Action": "*", "Resource": "*"}}"#,
            res,
            "unknown principal type \"IAM\"",
        ),
        (
            r#"{"Statement": {"Sid": "S", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}}}"#,
            res,
            "statement 1 (Sid \"S\"), Condition: unknown condition operator \"StringEqualz\"",
        ),
        (
            r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/40"}}}}"#,
            res,
            "Condition: IpAddress: aws:SourceIp: \"10.0.0.0/40\" is not an IP",
        ),
        (
            r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Effects": "x"}}"#,
            res,
            "Effects: unknown statement element",
        ),
        (
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username"}}"#,
            id,
            "unterminated policy variable",
        ),
    ];
    for (json, kind, want) in cases {
        let got = refuse(json, *kind);
        assert!(
            got.contains(want),
            "for {json}\n  got:  {got}\n  want: {want}"
        );
    }
}

#[test]
fn error_accessors() {
    let err = Policy::parse(
        r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "X", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Nope": {}}}]}"#,
        PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!(err.statement_index(), Some(1));
    assert_eq!(err.sid(), Some("X"));
    assert_eq!(err.field(), Some("Condition"));
    assert!(err.message().contains("Nope"));
}

proptest! {
    /// Any string: parsing returns, never panics.
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = Policy::parse(&s, PolicyKind::Resource);
    }

    /// Policy-shaped JSON built from policy words: parsing never panics, and what parses
    /// evaluates without panicking.
    #[test]
    fn policy_shaped_json_never_panics(
        effect in prop::sample::select(vec!["Allow", "Deny", "allow", ""]),
        op in prop::sample::select(vec!["StringEquals", "ForAnyValue:StringLike", "ForAllValues:StringNotEquals", "Bool", "IpAddress",
            "NotIpAddress", "NumericLessThan", "DateGreaterThan", "Null", "ArnLike", "StringLikeIfExists", "Nope", "NullIfExists"]),
        value in prop::sample::select(vec!["\"x\"", "true", "1", "[]", "[\"10.0.0.0/8\", \"::/0\"]", "\"${aws:username}\"", "{}", "null",
            "\"2026-01-01\"", "\"a*?b\"", "\"${\""]),
        resource in prop::sample::select(vec!["\"*\"", "\"arn:aws:s3:::b/*\"", "[\"arn:aws:s3:::b\", \"arn:*\"]", "\"b\"", "[]", "1"]),
        principal in prop::sample::select(vec!["\"*\"", "{\"AWS\": \"111122223333\"}", "{\"AWS\": []}", "\"x\"", "{}"]),
    ) {
        let json = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "{effect}", "Principal": {principal}, "Action": "s3:*",
                "Resource": {resource}, "Condition": {{"{op}": {{"k": {value}}}}}}}]}}"#
        );
        if let Ok(policy) = Policy::parse(&json, PolicyKind::Resource) {
            let who = crate::user("alice");
            let ctx = object_lambda_policy::Context::new().with("k", "10.1.2.3");
            let _ = crate::outcome(&policy, &who, "s3:GetObject", "arn:aws:s3:::b/x", &ctx);
        }
    }
}
