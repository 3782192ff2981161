//! Policies as IAM evaluates them: three teams (Finance, Sales, Analytics), each with an
//! access point restricted to its prefix and an Object Lambda Access Point; users of one team
//! are denied another team's prefix directly and through the access points. Also the classic
//! bucket policies: TLS only, and forced encryption.

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use object_lambda_emulator::test_util::{
    TestEmulator, assert_s3_error, body_bytes, status_and_code,
};
use object_lambda_emulator::{
    AccessPointConfig, BucketConfig, Config, Credential, Emulator, Function, OlapConfig,
};

use crate::functions::{Mode, TestFunction};

const ACCOUNT: &str = "111122223333";
const TEAMS: [&str; 3] = ["Finance", "Sales", "Analytics"];

fn user(team: &str) -> Credential {
    let lower = team.to_ascii_lowercase();
    let mut c = Credential::new(
        format!("AK{}", team.to_ascii_uppercase()),
        format!("{lower}-secret"),
    );
    c.user_name = lower.clone();
    // Each user may read its team's prefix, directly, through its access point and its
    // Object Lambda Access Point.
    c.policy = Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":"s3:GetObject","Resource":[
                "arn:aws:s3:::data/{team}/*",
                "arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/{lower}-ap/object/{team}/*"]}},
            {{"Effect":"Allow","Action":"s3-object-lambda:GetObject",
              "Resource":"arn:aws:s3-object-lambda:us-east-1:{ACCOUNT}:accesspoint/{lower}-olap"}}]}}"#
    ));
    c
}

pub(crate) fn config() -> Config {
    let mut credentials: Vec<Credential> = TEAMS.iter().map(|t| user(t)).collect();
    // The functions' execution role (signs WriteGetObjectResponse).
    credentials.push(Credential::new("AKROLE", "role-secret"));
    let bucket_policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"DelegateAccessControlToAccessPoints","Effect":"Allow","Principal":{{"AWS":"*"}},
              "Action":"*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"],
              "Condition":{{"StringEquals":{{"s3:DataAccessPointAccount":"{ACCOUNT}"}}}}}},
            {{"Sid":"ForceEncryption","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
              "Resource":"arn:aws:s3:::data/*",
              "Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}}]}}"#
    );
    // Per team: its access point, limited to its prefix, and its Object Lambda Access Point.
    let (access_points, object_lambda_access_points) = TEAMS
        .iter()
        .map(|t| {
            let lower = t.to_ascii_lowercase();
            let ap = AccessPointConfig {
                name: format!("{lower}-ap"),
                bucket: "data".into(),
                policy: Some(format!(
                    r#"{{"Statement":[{{"Effect":"Allow",
                        "Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/{lower}"}},
                        "Action":"s3:GetObject",
                        "Resource":"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/{lower}-ap/object/{t}/*"}}]}}"#
                )),
            };
            let olap = OlapConfig {
                name: format!("{lower}-olap"),
                supporting_access_point: format!("{lower}-ap"),
                ..OlapConfig::default_for("upper")
            };
            (ap, olap)
        })
        .unzip();
    Config {
        credentials,
        buckets: vec![
            BucketConfig {
                name: "data".into(),
                policy: Some(bucket_policy),
                ..BucketConfig::default()
            },
            BucketConfig {
                name: "tls-only".into(),
                seed_samples: true,
                policy: Some(
                    r#"{"Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
                        "Resource":["arn:aws:s3:::tls-only","arn:aws:s3:::tls-only/*"],
                        "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
                        .into(),
                ),
                ..BucketConfig::default()
            },
        ],
        access_points,
        object_lambda_access_points,
        ..Config::default()
    }
}

/// The upper-casing test function, signing WriteGetObjectResponse as the execution role.
fn role_function() -> TestFunction {
    TestFunction::new(Mode::Upper, "AKROLE", "role-secret")
}

#[tokio::test]
async fn each_team_reads_its_prefix_and_no_other() {
    let upper: Arc<dyn Function> = Arc::new(role_function());
    let emu = TestEmulator::start(config(), [("upper", upper)]).await;
    let admin = emu.client_as("AKROLE", "role-secret");
    // Forced encryption: a PUT without x-amz-server-side-encryption is refused.
    let unencrypted = admin
        .put_object()
        .bucket("data")
        .key("Finance/q1.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_s3_error(unencrypted, 403, "AccessDenied");
    for t in TEAMS {
        admin
            .put_object()
            .bucket("data")
            .key(format!("{t}/q1.txt"))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(ByteStream::from(format!("{t} figures").into_bytes()))
            .send()
            .await
            .unwrap();
    }
    for me in TEAMS {
        let c = user(me);
        let client = emu.client_as(&c.access_key_id, &c.secret_access_key);
        for other in TEAMS {
            let key = format!("{other}/q1.txt");
            let direct = client.get_object().bucket("data").key(&key).send().await;
            let olap = format!("{}-olap", me.to_ascii_lowercase());
            let through_mine = client.get_object().bucket(&olap).key(&key).send().await;
            let other_olap = format!("{}-olap", other.to_ascii_lowercase());
            let through_theirs = client
                .get_object()
                .bucket(&other_olap)
                .key(&key)
                .send()
                .await;
            if me == other {
                let body = body_bytes(through_mine.unwrap()).await;
                assert_eq!(
                    body.as_ref(),
                    format!("{me} figures").to_uppercase().as_bytes()
                );
                direct.unwrap();
            } else {
                for (how, r) in [
                    ("directly", direct),
                    ("through my OLAP", through_mine),
                    ("through theirs", through_theirs),
                ] {
                    let err = r.expect_err(&format!("{me} read {key} {how}"));
                    assert_eq!(status_and_code(&err).0, 403, "{me} {key} {how}");
                }
            }
        }
    }
    // TLS-only bucket over plain HTTP: refused even for an admin.
    let insecure = admin.get_object().bucket("tls-only").key("report.csv");
    assert_s3_error(insecure.send().await, 403, "AccessDenied");
    emu.stop().await;
}

#[tokio::test]
async fn a_malformed_policy_refuses_to_start() {
    let mut config = config();
    config.buckets[0].policy = Some(r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#.into());
    let err = Emulator::builder()
        .config(config)
        .function("upper", Arc::new(role_function()))
        .start()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bucket `data`") && text.contains("StringEqualz"),
        "{text}"
    );
}
