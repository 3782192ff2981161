//! The seed's scenario, written as policies: one bucket, three teams (Finance, Sales,
//! Analytics), an access point per team restricted to its prefix, an Object Lambda Access Point
//! per team; plus the S3 controls users rely on (TLS only, forced encryption, IP allow-list).

use object_lambda_policy::{
    ChainDecision, Context, Decision, Outcome, Policy, Principal, Step, arn, evaluate_chain,
};

use crate::{ACCOUNT, identity, resource, user};

const REGION: &str = "us-east-1";
const BUCKET: &str = "data";
const TEAMS: [(&str, &str); 3] = [
    ("finance", "Finance"),
    ("sales", "Sales"),
    ("analytics", "Analytics"),
];

fn members(team: &str) -> Vec<String> {
    ["1", "2"]
        .iter()
        .map(|n| format!("arn:aws:iam::{ACCOUNT}:user/{team}-{n}"))
        .collect()
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

fn access_point_policy(team: &str, prefix: &str) -> Policy {
    let ap = arn::access_point(REGION, ACCOUNT, &format!("{team}-ap"));
    let team_arns = json_list(&members(team));
    let mut allowed = members(team);
    allowed.push(format!("arn:aws:iam::{ACCOUNT}:user/admin"));
    let allowed = json_list(&allowed);
    resource(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Sid": "TeamReadWrite", "Effect": "Allow", "Principal": {{"AWS": {team_arns}}},
          "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "{ap}/object/{prefix}/*"}},
        {{"Sid": "TeamList", "Effect": "Allow", "Principal": {{"AWS": {team_arns}}}, "Action": "s3:ListBucket",
          "Resource": "{ap}", "Condition": {{"StringLike": {{"s3:prefix": "{prefix}/*"}}}}}},
        {{"Sid": "OnlyOwnPrefix", "Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
          "NotResource": "{ap}/object/{prefix}/*"}},
        {{"Sid": "OnlyOwnTeam", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["{ap}", "{ap}/object/*"],
          "Condition": {{"StringNotLike": {{"aws:PrincipalArn": {allowed}}}}}}}
    ]}}"#
    ))
}

fn object_lambda_policy(team: &str) -> Policy {
    let olap = arn::object_lambda_access_point(REGION, ACCOUNT, &format!("{team}-olap"));
    let team_arns = json_list(&members(team));
    resource(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Sid": "TeamObjectLambda", "Effect": "Allow", "Principal": {{"AWS": {team_arns}}},
          "Action": "s3-object-lambda:GetObject", "Resource": "{olap}"}}
    ]}}"#
    ))
}

/// The template's bucket policy: delegate to access points, TLS only, forced encryption.
fn bucket_policy() -> Policy {
    resource(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Sid": "DelegateAccessControlToAccessPoints", "Effect": "Allow", "Principal": {{"AWS": "*"}}, "Action": "*",
          "Resource": ["arn:aws:s3:::{BUCKET}", "arn:aws:s3:::{BUCKET}/*"],
          "Condition": {{"StringEquals": {{"s3:DataAccessPointAccount": "{ACCOUNT}"}}}}}},
        {{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
          "Resource": ["arn:aws:s3:::{BUCKET}", "arn:aws:s3:::{BUCKET}/*"],
          "Condition": {{"Bool": {{"aws:SecureTransport": "false"}}}}}},
        {{"Sid": "DenyUnencryptedPuts", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
          "Resource": "arn:aws:s3:::{BUCKET}/*", "Condition": {{"Null": {{"s3:x-amz-server-side-encryption": "true"}}}}}}
    ]}}"#
    ))
}

/// A team member's identity policy: their prefix directly, any Object Lambda Access Point (the
/// access point policies decide), and reads made on their behalf by S3 Object Lambda.
fn member_policy(prefix: &str) -> Policy {
    identity(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [
        {{"Sid": "OwnPrefixDirect", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
          "Resource": "arn:aws:s3:::{BUCKET}/{prefix}/*"}},
        {{"Sid": "ObjectLambda", "Effect": "Allow", "Action": "s3-object-lambda:GetObject",
          "Resource": "arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/*"}},
        {{"Sid": "ViaObjectLambda", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
          "Condition": {{"ForAnyValue:StringEquals": {{"aws:CalledVia": "s3-object-lambda.amazonaws.com"}}}}}}
    ]}}"#
    ))
}

struct World {
    bucket: Policy,
    access_points: Vec<Policy>,
    olaps: Vec<Policy>,
}

impl World {
    fn new() -> Self {
        Self {
            bucket: bucket_policy(),
            access_points: TEAMS
                .iter()
                .map(|(t, p)| access_point_policy(t, p))
                .collect(),
            olaps: TEAMS.iter().map(|(t, _)| object_lambda_policy(t)).collect(),
        }
    }

    fn team(name: &str) -> usize {
        TEAMS
            .iter()
            .position(|(t, _)| *t == name)
            .unwrap_or_else(|| panic!("no team {name}"))
    }
}

fn https() -> Context {
    Context::new()
        .with("aws:SecureTransport", "true")
        .with("aws:SourceIp", "192.0.2.10")
}

/// Keys S3 sets on the access point and bucket steps of a request made through an access point.
fn through_access_point(ap_name: &str, called_via_olap: bool) -> Context {
    let ap = arn::access_point(REGION, ACCOUNT, ap_name);
    let mut ctx = Context::new()
        .with("s3:DataAccessPointArn", ap)
        .with("s3:DataAccessPointAccount", ACCOUNT)
        .with("s3:AccessPointNetworkOrigin", "Internet");
    if called_via_olap {
        ctx.set("aws:CalledVia", ["s3-object-lambda.amazonaws.com"]);
        ctx.set("aws:CalledViaFirst", ["s3-object-lambda.amazonaws.com"]);
        ctx.set("aws:CalledViaLast", ["s3-object-lambda.amazonaws.com"]);
    }
    ctx
}

fn direct<'p>(
    w: &'p World,
    who_policy: &'p Policy,
    who: &Principal,
    ctx: &Context,
    action: &str,
    key: &str,
) -> ChainDecision<'p> {
    let object = arn::object(BUCKET, key);
    let steps = [Step {
        resource_policy: Some(&w.bucket),
        action,
        resource: &object,
        context: None,
    }];
    evaluate_chain(Some(who_policy), who, ctx, &steps)
}

fn via_access_point<'p>(
    w: &'p World,
    who_policy: &'p Policy,
    who: &Principal,
    ctx: &Context,
    team: &str,
    action: &str,
    key: &str,
) -> ChainDecision<'p> {
    let ap_name = format!("{team}-ap");
    let keys = through_access_point(&ap_name, false);
    let ap_object = arn::access_point_object(REGION, ACCOUNT, &ap_name, key);
    let object = arn::object(BUCKET, key);
    let steps = [
        Step {
            resource_policy: Some(&w.access_points[World::team(team)]),
            action,
            resource: &ap_object,
            context: Some(&keys),
        },
        Step {
            resource_policy: Some(&w.bucket),
            action,
            resource: &object,
            context: Some(&keys),
        },
    ];
    evaluate_chain(Some(who_policy), who, ctx, &steps)
}

fn via_object_lambda<'p>(
    w: &'p World,
    who_policy: &'p Policy,
    who: &Principal,
    ctx: &Context,
    team: &str,
    key: &str,
) -> ChainDecision<'p> {
    let i = World::team(team);
    let ap_name = format!("{team}-ap");
    let keys = through_access_point(&ap_name, true);
    let olap = arn::object_lambda_access_point(REGION, ACCOUNT, &format!("{team}-olap"));
    let ap_object = arn::access_point_object(REGION, ACCOUNT, &ap_name, key);
    let object = arn::object(BUCKET, key);
    let steps = [
        Step {
            resource_policy: Some(&w.olaps[i]),
            action: "s3-object-lambda:GetObject",
            resource: &olap,
            context: None,
        },
        Step {
            resource_policy: Some(&w.access_points[i]),
            action: "s3:GetObject",
            resource: &ap_object,
            context: Some(&keys),
        },
        Step {
            resource_policy: Some(&w.bucket),
            action: "s3:GetObject",
            resource: &object,
            context: Some(&keys),
        },
    ];
    evaluate_chain(Some(who_policy), who, ctx, &steps)
}

#[test]
fn each_team_reads_its_prefix_directly_and_through_its_access_points() {
    let w = World::new();
    for (team, prefix) in TEAMS {
        let who = user(&format!("{team}-1"));
        let policy = member_policy(prefix);
        let key = format!("{prefix}/report.csv");
        assert_eq!(
            direct(&w, &policy, &who, &https(), "s3:GetObject", &key).decision,
            Decision::Allow,
            "{team} direct"
        );
        assert_eq!(
            via_access_point(&w, &policy, &who, &https(), team, "s3:GetObject", &key).decision,
            Decision::Allow,
            "{team} ap"
        );
        assert_eq!(
            via_object_lambda(&w, &policy, &who, &https(), team, &key).decision,
            Decision::Allow,
            "{team} olap"
        );
    }
}

#[test]
fn a_team_is_denied_another_teams_prefix_every_way() {
    let w = World::new();
    for (team, prefix) in TEAMS {
        let who = user(&format!("{team}-2"));
        let policy = member_policy(prefix);
        for (other, other_prefix) in TEAMS.iter().filter(|(t, _)| *t != team) {
            let key = format!("{other_prefix}/report.csv");
            let d = direct(&w, &policy, &who, &https(), "s3:GetObject", &key);
            assert!(!d.is_allowed(), "{team} reads {other} directly");
            // Through the other team's access point: that access point refuses non-members.
            let d = via_access_point(&w, &policy, &who, &https(), other, "s3:GetObject", &key);
            assert_eq!(d.decision, Decision::ExplicitDeny, "{team} via {other}-ap");
            assert_eq!(d.failing_step(), Some(0));
            assert!(
                matches!(d.steps[0].resource, Outcome::ExplicitDeny(m) if m.sid == Some("OnlyOwnTeam"))
            );
            // Through its own access point, the other prefix is outside the access point.
            let d = via_access_point(&w, &policy, &who, &https(), team, "s3:GetObject", &key);
            assert!(
                matches!(d.steps[0].resource, Outcome::ExplicitDeny(m) if m.sid == Some("OnlyOwnPrefix")),
                "{team} via own ap"
            );
            // Through the other team's Object Lambda Access Point: denied at its access point,
            // even though the identity policy allows any Object Lambda Access Point.
            let d = via_object_lambda(&w, &policy, &who, &https(), other, &key);
            assert_eq!(
                d.decision,
                Decision::ExplicitDeny,
                "{team} via {other}-olap"
            );
            assert_eq!(d.steps[0].decision, Decision::Allow);
            assert_eq!(d.failing_step(), Some(1));
        }
    }
}

#[test]
fn object_lambda_policy_alone_grants_the_first_step() {
    // A member whose identity policy says nothing of Object Lambda: the Object Lambda Access
    // Point policy grants their own team's, and nobody grants another team's.
    let w = World::new();
    let who = user("analytics-1");
    let policy = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "s3-object-lambda.amazonaws.com"}}}}"#,
    );
    let own = via_object_lambda(
        &w,
        &policy,
        &who,
        &https(),
        "analytics",
        "Analytics/a.parquet",
    );
    assert_eq!(own.decision, Decision::Allow);
    assert!(
        matches!(own.steps[0].resource, Outcome::Allow(m) if m.sid == Some("TeamObjectLambda"))
    );
    let other = via_object_lambda(&w, &policy, &who, &https(), "finance", "Finance/a.csv");
    assert_eq!(other.steps[0].decision, Decision::ImplicitDeny);
    assert!(!other.is_allowed());
    // And CalledVia does not leak to direct reads.
    assert!(
        !direct(
            &w,
            &policy,
            &who,
            &https(),
            "s3:GetObject",
            "Analytics/a.parquet"
        )
        .is_allowed()
    );
}

#[test]
fn without_called_via_the_supporting_access_point_refuses() {
    // A user allowed only "via Object Lambda" cannot use the supporting access point directly.
    let w = World::new();
    let who = user("sales-1");
    let policy = identity(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "s3-object-lambda.amazonaws.com"}}}}"#,
    );
    let mut no_access_point_grants = World::new();
    no_access_point_grants.access_points = TEAMS
        .iter()
        .map(|_| {
            resource(
                r#"{"Statement": {"Effect": "Deny", "Principal": "*",
        "Action": "s3:PutObject", "Resource": "*"}}"#,
            )
        })
        .collect();
    let d = via_access_point(
        &no_access_point_grants,
        &policy,
        &who,
        &https(),
        "sales",
        "s3:GetObject",
        "Sales/x",
    );
    assert_eq!(d.decision, Decision::ImplicitDeny);
    assert_eq!(
        via_object_lambda(&w, &policy, &who, &https(), "sales", "Sales/x").steps[1].decision,
        Decision::Allow
    );
}

/// ListBucket through Finance's access point: the access point's policy, then the bucket's.
fn list_steps<'a>(
    w: &'a World,
    ap: &'a str,
    bucket_arn: &'a str,
    keys: &'a Context,
) -> [Step<'a, 'a>; 2] {
    let step = |resource_policy, resource| Step {
        resource_policy: Some(resource_policy),
        action: "s3:ListBucket",
        resource,
        context: Some(keys),
    };
    [step(&w.access_points[0], ap), step(&w.bucket, bucket_arn)]
}

#[test]
fn list_through_an_access_point_is_limited_to_the_prefix() {
    let w = World::new();
    let who = user("finance-1");
    let policy = Policy::allow_all();
    let ap = arn::access_point(REGION, ACCOUNT, "finance-ap");
    let keys = through_access_point("finance-ap", false);
    let bucket_arn = arn::bucket(BUCKET);
    let list = |prefix: &str| {
        let ctx = https()
            .with("s3:prefix", prefix)
            .with("s3:delimiter", "/")
            .with("s3:max-keys", "1000");
        let steps = list_steps(&w, &ap, &bucket_arn, &keys);
        evaluate_chain(None, &who, &ctx, &steps).decision
    };
    assert_eq!(list("Finance/"), Decision::Allow);
    assert_eq!(list("Sales/"), Decision::ImplicitDeny);
    // An administrator's identity policy allows listing; the access point still refuses others.
    let admin = user("admin");
    let ctx = https().with("s3:prefix", "Sales/");
    let steps = list_steps(&w, &ap, &bucket_arn, &keys);
    assert_eq!(
        evaluate_chain(Some(&policy), &admin, &ctx, &steps).decision,
        Decision::Allow
    );
    assert_eq!(
        evaluate_chain(Some(&policy), &user("sales-1"), &ctx, &steps).decision,
        Decision::ExplicitDeny
    );
}

#[test]
fn insecure_transport_is_denied_even_to_an_administrator() {
    let w = World::new();
    let admin = Policy::allow_all();
    let who = user("admin");
    let http = Context::new()
        .with("aws:SecureTransport", "false")
        .with("aws:SourceIp", "192.0.2.10");
    let d = direct(&w, &admin, &who, &http, "s3:GetObject", "Finance/x");
    assert_eq!(d.decision, Decision::ExplicitDeny);
    assert!(
        matches!(d.steps[0].resource, Outcome::ExplicitDeny(m) if m.sid == Some("DenyInsecureTransport"))
    );
    assert_eq!(
        direct(&w, &admin, &who, &https(), "s3:GetObject", "Finance/x").decision,
        Decision::Allow
    );
    // Through an Object Lambda Access Point the bucket step carries the same transport.
    let member = member_policy("Finance");
    let d = via_object_lambda(
        &w,
        &member,
        &user("finance-1"),
        &http,
        "finance",
        "Finance/x",
    );
    assert_eq!(d.decision, Decision::ExplicitDeny);
    assert_eq!(d.failing_step(), Some(2));
}

#[test]
fn puts_without_server_side_encryption_are_denied() {
    let w = World::new();
    let who = user("finance-1");
    let policy = member_policy("Finance");
    let plain = direct(
        &w,
        &policy,
        &who,
        &https(),
        "s3:PutObject",
        "Finance/new.csv",
    );
    assert_eq!(plain.decision, Decision::ExplicitDeny);
    assert!(
        matches!(plain.steps[0].resource, Outcome::ExplicitDeny(m) if m.sid == Some("DenyUnencryptedPuts"))
    );
    for sse in ["AES256", "aws:kms"] {
        let ctx = https().with("s3:x-amz-server-side-encryption", sse);
        assert_eq!(
            direct(&w, &policy, &who, &ctx, "s3:PutObject", "Finance/new.csv").decision,
            Decision::Allow,
            "{sse}"
        );
        assert_eq!(
            via_access_point(
                &w,
                &policy,
                &who,
                &ctx,
                "finance",
                "s3:PutObject",
                "Finance/new.csv"
            )
            .decision,
            Decision::Allow
        );
    }
    // GETs are not concerned.
    assert_eq!(
        direct(
            &w,
            &policy,
            &who,
            &https(),
            "s3:GetObject",
            "Finance/new.csv"
        )
        .decision,
        Decision::Allow
    );

    // The stricter classic form: only SSE-KMS with one key.
    let kms_only = resource(
        r#"{"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyNotKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyOtherKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id":
           "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}
    ]}"#,
    );
    let admin = Policy::allow_all();
    let object = arn::object(BUCKET, "x");
    let put = |ctx: &Context| {
        let steps = [Step {
            resource_policy: Some(&kms_only),
            action: "s3:PutObject",
            resource: &object,
            context: None,
        }];
        evaluate_chain(Some(&admin), &who, ctx, &steps).decision
    };
    assert_eq!(put(&https()), Decision::ExplicitDeny);
    assert_eq!(
        put(&https().with("s3:x-amz-server-side-encryption", "AES256")),
        Decision::ExplicitDeny
    );
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let kms = https().with("s3:x-amz-server-side-encryption", "aws:kms");
    assert_eq!(
        put(&kms
            .clone()
            .with("s3:x-amz-server-side-encryption-aws-kms-key-id", key)),
        Decision::Allow
    );
    // IfExists on a negated test: an absent key passes the test, so the Deny applies.
    assert_eq!(put(&kms), Decision::ExplicitDeny);
    assert_eq!(
        put(&https()
            .with("s3:x-amz-server-side-encryption", "aws:kms")
            .with(
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
                "arn:aws:kms:us-east-1:111122223333:key/other"
            )),
        Decision::ExplicitDeny
    );
}

#[test]
fn source_ip_allow_list() {
    // Deny form: outside the list, nobody (not even an administrator) gets in.
    let deny_outside = resource(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "IpAllowList", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}}}"#,
    );
    // Allow form: inside the list, anyone may read, with no identity policy at all.
    let allow_inside = resource(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "ReadFromOffice", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}}}"#,
    );
    let admin = Policy::allow_all();
    let who = user("anyone");
    let object = arn::object(BUCKET, "Finance/x");
    for (ip, inside) in [
        ("192.0.2.77", true),
        ("2001:db8:ff::1", true),
        ("198.51.100.1", false),
        ("2001:db9::1", false),
    ] {
        let ctx = https().with("aws:SourceIp", ip);
        let deny = [Step {
            resource_policy: Some(&deny_outside),
            action: "s3:GetObject",
            resource: &object,
            context: None,
        }];
        let want = if inside {
            Decision::Allow
        } else {
            Decision::ExplicitDeny
        };
        assert_eq!(
            evaluate_chain(Some(&admin), &who, &ctx, &deny).decision,
            want,
            "deny form {ip}"
        );
        let allow = [Step {
            resource_policy: Some(&allow_inside),
            action: "s3:GetObject",
            resource: &object,
            context: None,
        }];
        let want = if inside {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        assert_eq!(
            evaluate_chain(None, &who, &ctx, &allow).decision,
            want,
            "allow form {ip}"
        );
    }
    // No source address known: the deny form refuses (a negated test passes on a missing key).
    let deny = [Step {
        resource_policy: Some(&deny_outside),
        action: "s3:GetObject",
        resource: &object,
        context: None,
    }];
    let mut no_ip = https();
    no_ip.remove("aws:SourceIp");
    assert_eq!(
        evaluate_chain(Some(&admin), &who, &no_ip, &deny).decision,
        Decision::ExplicitDeny
    );
}

#[test]
fn an_empty_chain_allows_nothing() {
    assert_eq!(
        evaluate_chain(Some(&Policy::allow_all()), &user("a"), &Context::new(), &[]).decision,
        Decision::ImplicitDeny
    );
}
