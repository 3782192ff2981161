//! Evaluation rules, one at a time.

use object_lambda_policy::{Context, Decision, Matched, Outcome, Policy, Request, evaluate};

use crate::{identity, outcome, resource, user};

const OBJ: &str = "arn:aws:s3:::data/Finance/q1.csv";

#[test]
fn explicit_deny_wins_inside_a_policy_whatever_the_order() {
    let p = identity(
        r#"{"Statement": [
        {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Sid": "NoFinance", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/Finance/*"}
    ]}"#,
    );
    let ctx = Context::new();
    assert_eq!(
        outcome(&p, &user("a"), "s3:GetObject", OBJ, &ctx),
        Outcome::ExplicitDeny(Matched {
            index: 1,
            sid: Some("NoFinance")
        })
    );
    assert_eq!(
        outcome(
            &p,
            &user("a"),
            "s3:GetObject",
            "arn:aws:s3:::data/Sales/q1.csv",
            &ctx
        ),
        Outcome::Allow(Matched {
            index: 0,
            sid: Some("All")
        })
    );
}

#[test]
fn explicit_deny_wins_across_identity_and_resource_policies() {
    let allow_all = Policy::allow_all();
    let deny: Policy = resource(
        r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}}"#,
    );
    let allow: Policy = resource(
        r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}"#,
    );
    let deny_identity =
        identity(r#"{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}"#);
    let (who, ctx) = (user("a"), Context::new());
    let req = Request {
        principal: &who,
        action: "s3:GetObject",
        resource: OBJ,
        context: &ctx,
    };
    assert_eq!(
        evaluate(Some(&allow_all), Some(&deny), &req).decision,
        Decision::ExplicitDeny
    );
    assert_eq!(
        evaluate(Some(&deny_identity), Some(&allow), &req).decision,
        Decision::ExplicitDeny
    );
    // Either one allowing is enough within the account.
    assert_eq!(
        evaluate(Some(&allow_all), None, &req).decision,
        Decision::Allow
    );
    assert_eq!(evaluate(None, Some(&allow), &req).decision, Decision::Allow);
    // Nothing allowing: implicit deny.
    assert_eq!(evaluate(None, None, &req).decision, Decision::ImplicitDeny);
    let other = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}"#,
    );
    assert_eq!(
        evaluate(Some(&other), None, &req).decision,
        Decision::ImplicitDeny
    );
}

#[test]
fn action_wildcards_are_case_insensitive() {
    let p = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": ["S3:get*", "s3-object-lambda:*"], "Resource": "*"}}"#,
    );
    let (who, ctx) = (user("a"), Context::new());
    for (action, want) in [
        ("s3:GetObject", true),
        ("s3:getobjectversion", true),
        ("S3:GETOBJECT", true),
        ("s3:PutObject", false),
        ("s3-object-lambda:GetObject", true),
        ("s3-object-lambda:ListBucket", true),
        ("s3objectlambda:GetObject", false),
    ] {
        assert_eq!(
            matches!(outcome(&p, &who, action, OBJ, &ctx), Outcome::Allow(_)),
            want,
            "{action}"
        );
    }
    let one = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:?etObject", "Resource": "*"}}"#,
    );
    assert!(matches!(
        outcome(&one, &who, "s3:GetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
    assert!(matches!(
        outcome(&one, &who, "s3:SetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
    assert_eq!(
        outcome(&one, &who, "s3:PutObject", OBJ, &ctx),
        Outcome::NotApplicable
    );
    assert_eq!(
        outcome(&one, &who, "s3:DeleteObject", OBJ, &ctx),
        Outcome::NotApplicable
    );
}

#[test]
fn not_action_matches_everything_else() {
    let p = identity(
        r#"{"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}
    ]}"#,
    );
    let (who, ctx) = (user("a"), Context::new());
    assert!(matches!(
        outcome(&p, &who, "s3:GetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
    assert!(matches!(
        outcome(&p, &who, "s3:ListBucket", "arn:aws:s3:::data", &ctx),
        Outcome::Allow(_)
    ));
    assert!(matches!(
        outcome(&p, &who, "s3:PutObject", OBJ, &ctx),
        Outcome::ExplicitDeny(_)
    ));
}

#[test]
fn not_resource_matches_everything_else() {
    let p = identity(
        r#"{"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::data/Finance/*", "arn:aws:s3:::secret*"]}
    ]}"#,
    );
    let (who, ctx) = (user("a"), Context::new());
    assert_eq!(
        outcome(&p, &who, "s3:GetObject", OBJ, &ctx),
        Outcome::NotApplicable
    );
    assert_eq!(
        outcome(&p, &who, "s3:ListBucket", "arn:aws:s3:::secrets", &ctx),
        Outcome::NotApplicable
    );
    assert!(matches!(
        outcome(&p, &who, "s3:GetObject", "arn:aws:s3:::data/Sales/x", &ctx),
        Outcome::Allow(_)
    ));
}

#[test]
fn resource_wildcards_and_arn_forms() {
    let p = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": [
        "arn:aws:s3:::data/Finance/*",
        "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap/object/Finance/*",
        "arn:aws:s3-object-lambda:*:111122223333:accesspoint/finance-*",
        "arn:aws:s3:::logs"
    ]}}"#,
    );
    let (who, ctx) = (user("a"), Context::new());
    for (res, want) in [
        (OBJ, true),
        ("arn:aws:s3:::data/Finance/", true),
        ("arn:aws:s3:::data/Sales/q1.csv", false),
        ("arn:aws:s3:::data", false),
        (
            "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap/object/Finance/a/b",
            true,
        ),
        (
            "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap/object/Sales/a",
            false,
        ),
        (
            "arn:aws:s3:us-east-1:111122223333:accesspoint/sales-ap/object/Finance/a",
            false,
        ),
        (
            "arn:aws:s3-object-lambda:eu-west-1:111122223333:accesspoint/finance-olap",
            true,
        ),
        (
            "arn:aws:s3-object-lambda:eu-west-1:444455556666:accesspoint/finance-olap",
            false,
        ),
        ("arn:aws:s3:::logs", true),
        ("arn:aws:s3:::logs/x", false),
    ] {
        assert_eq!(
            matches!(
                outcome(&p, &who, "s3:GetObject", res, &ctx),
                Outcome::Allow(_)
            ),
            want,
            "{res}"
        );
    }
}

#[test]
fn principals_in_resource_policies() {
    let ctx = Context::new();
    let named = resource(
        r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:user/alice"]}, "Action": "*", "Resource": "*"}}"#,
    );
    assert!(matches!(
        outcome(&named, &user("alice"), "s3:GetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
    assert_eq!(
        outcome(&named, &user("bob"), "s3:GetObject", OBJ, &ctx),
        Outcome::NotApplicable
    );

    let everyone = resource(
        r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"}}"#,
    );
    assert!(matches!(
        outcome(&everyone, &user("bob"), "s3:GetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));

    // The account as principal: an Allow delegates to the account's identity policies (grants
    // nothing by itself); a Deny applies to every principal of the account.
    for account in ["111122223333", "arn:aws:iam::111122223333:root"] {
        let allow = resource(&format!(
            r#"{{"Statement": {{"Effect": "Allow", "Principal": {{"AWS": "{account}"}}, "Action": "*", "Resource": "*"}}}}"#
        ));
        assert_eq!(
            outcome(&allow, &user("bob"), "s3:GetObject", OBJ, &ctx),
            Outcome::NotApplicable
        );
        let deny = resource(&format!(
            r#"{{"Statement": {{"Effect": "Deny", "Principal": {{"AWS": "{account}"}}, "Action": "*", "Resource": "*"}}}}"#
        ));
        assert!(matches!(
            outcome(&deny, &user("bob"), "s3:GetObject", OBJ, &ctx),
            Outcome::ExplicitDeny(_)
        ));
    }
    let other_account = resource(
        r#"{"Statement": {"Effect": "Deny", "Principal": {"AWS": "444455556666"}, "Action": "*", "Resource": "*"}}"#,
    );
    assert_eq!(
        outcome(&other_account, &user("bob"), "s3:GetObject", OBJ, &ctx),
        Outcome::NotApplicable
    );

    // Service principals never match an IAM user.
    let service = resource(
        r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "s3-object-lambda.amazonaws.com"}, "Action": "*", "Resource": "*"}}"#,
    );
    assert_eq!(
        outcome(&service, &user("bob"), "s3:GetObject", OBJ, &ctx),
        Outcome::NotApplicable
    );
}

#[test]
fn not_principal_denies_everyone_else() {
    let p = resource(
        r#"{"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/admin"}, "Action": "s3:DeleteObject", "Resource": "*"}
    ]}"#,
    );
    let ctx = Context::new();
    assert!(matches!(
        outcome(&p, &user("admin"), "s3:DeleteObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
    assert!(matches!(
        outcome(&p, &user("bob"), "s3:DeleteObject", OBJ, &ctx),
        Outcome::ExplicitDeny(_)
    ));
    assert!(matches!(
        outcome(&p, &user("bob"), "s3:GetObject", OBJ, &ctx),
        Outcome::Allow(_)
    ));
}

#[test]
fn policy_variables_in_resources() {
    let p = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",
        "Resource": "arn:aws:s3:::data/home/${aws:username}/*"}}"#,
    );
    let ctx = Context::new();
    assert!(matches!(
        outcome(
            &p,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::data/home/alice/x",
            &ctx
        ),
        Outcome::Allow(_)
    ));
    assert_eq!(
        outcome(
            &p,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::data/home/bob/x",
            &ctx
        ),
        Outcome::NotApplicable
    );
    // A user named `*` would not get everyone's home: substituted text is literal.
    assert_eq!(
        outcome(
            &p,
            &user("*"),
            "s3:GetObject",
            "arn:aws:s3:::data/home/bob/x",
            &ctx
        ),
        Outcome::NotApplicable
    );
    // Version 2008-10-17 (or none) has no variables: the text is literal.
    let old = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/home/${aws:username}/*"}}"#,
    );
    assert_eq!(
        outcome(
            &old,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::data/home/alice/x",
            &ctx
        ),
        Outcome::NotApplicable
    );
    assert!(matches!(
        outcome(
            &old,
            &user("alice"),
            "s3:GetObject",
            "arn:aws:s3:::data/home/${aws:username}/x",
            &ctx
        ),
        Outcome::Allow(_)
    ));
}

#[test]
fn conditions_gate_statements() {
    let p = identity(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
        "Condition": {"StringLike": {"s3:prefix": ["Finance/*", ""]}, "StringEqualsIfExists": {"s3:delimiter": "/"}}}}"#,
    );
    let who = user("a");
    let list = |ctx: &Context| {
        matches!(
            outcome(&p, &who, "s3:ListBucket", "arn:aws:s3:::data", ctx),
            Outcome::Allow(_)
        )
    };
    assert!(list(&Context::new().with("s3:prefix", "Finance/2026/")));
    assert!(list(
        &Context::new()
            .with("s3:prefix", "Finance/")
            .with("s3:delimiter", "/")
    ));
    assert!(!list(
        &Context::new()
            .with("s3:prefix", "Finance/")
            .with("s3:delimiter", "-")
    ));
    assert!(!list(&Context::new().with("s3:prefix", "Sales/")));
    assert!(!list(&Context::new()));
    assert!(list(&Context::new().with("s3:prefix", "")));
}
