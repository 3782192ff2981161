//! The emulator configured from the repository's SAM template (`template.yaml`).

use std::path::Path;

use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, body_bytes, get_object, in_process, put_bytes, sample,
};
use object_lambda_emulator::{Action, BucketConfig, Credential, Feature, Template};
use serde_json::Value;

use crate::common::real_functions;

/// The repository's template (the one `sam deploy` uses).
pub(crate) fn repo_template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    Template::from_file(&path, &[]).expect("template.yaml parses")
}

/// The bucket `name` of template `t`.
pub(crate) fn bucket<'t>(t: &'t Template, name: &str) -> &'t BucketConfig {
    let found = t.config.buckets.iter().find(|b| b.name == name);
    found.unwrap_or_else(|| panic!("no bucket {name} in the template"))
}

pub(crate) const FUNCTIONS: [&str; 4] = [
    "passthrough",
    "pii-redactor",
    "xml-to-json",
    "image-transform",
];

#[test]
fn repo_template_gives_four_object_lambda_access_points() {
    let t = repo_template();
    let c = &t.config;
    // DataBucket and LogBucket (its server access logs).
    assert_eq!(c.buckets.len(), 2);
    // DataBucket has no BucketName: the logical id, lower-cased.
    assert_eq!(c.buckets[0].name, "databucket");
    assert!(c.buckets[0].seed_samples);
    assert_eq!(c.access_point_bucket("demo-ap"), Some("databucket"));
    assert_eq!(c.function_timeout_ms, 60_000);
    assert_eq!(c.object_lambda_access_points.len(), 4);
    for name in FUNCTIONS {
        let o = c.olap(name).unwrap_or_else(|| panic!("OLAP {name}"));
        assert_eq!(o.function, name, "{name}: function from CodeUri");
        assert_eq!(o.supporting_access_point, "demo-ap");
        assert_eq!(o.allowed_features, Feature::ALL.to_vec(), "{name}");
        assert_eq!(o.actions, Action::ALL.to_vec(), "{name}");
        assert!(o.alias.as_deref().is_some_and(|a| a.ends_with("--ol-s3")));
        let f = t
            .function(name)
            .unwrap_or_else(|| panic!("function {name}"));
        assert_eq!(f.timeout_secs, 60);
        assert_eq!(f.log_format.as_deref(), Some("JSON"));
        assert_eq!(f.log_level.as_deref(), Some("INFO"));
    }
    let payload = |n: &str| c.olap(n).unwrap().payload.clone();
    assert_eq!(payload("passthrough"), "{}");
    assert_eq!(payload("xml-to-json"), "{}");
    let pii: Value = serde_json::from_str(&payload("pii-redactor")).unwrap();
    assert_eq!(pii["mask_character"], "*");
    let image: Value = serde_json::from_str(&payload("image-transform")).unwrap();
    assert_eq!(image["width"], 1024);
    assert_eq!(t.function("passthrough").unwrap().memory_mb, 256);
    assert_eq!(t.function("image-transform").unwrap().memory_mb, 1024);
}

#[test]
fn repo_template_parameter_overrides() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let t = Template::from_file(
        &path,
        &[
            ("SupportingAccessPointName".into(), "other-ap".into()),
            ("XmlToJsonPayload".into(), r#"{"mode":"tree"}"#.into()),
            ("PiiRedactorMemory".into(), "2048".into()),
        ],
    )
    .unwrap();
    assert_eq!(t.config.access_point_bucket("other-ap"), Some("databucket"));
    let o = t.config.olap("xml-to-json").unwrap();
    assert_eq!(o.supporting_access_point, "other-ap");
    assert_eq!(o.payload, r#"{"mode":"tree"}"#);
    assert_eq!(t.function("pii-redactor").unwrap().memory_mb, 2048);
}

/// A GET through `bucket` (the Object Lambda Access Point of `function`, by name or alias) with
/// the template's payload does what that function does.
pub(crate) async fn check_get(client: &aws_sdk_s3::Client, function: &str, bucket: &str) {
    let key = match function {
        "passthrough" => "report.csv",
        "pii-redactor" => "notes.txt",
        "xml-to-json" => "catalog.xml",
        "image-transform" => "photo.jpg",
        other => panic!("no check for {other}"),
    };
    let out = get_object(client, bucket, key).await;
    let content_type = out.content_type().unwrap_or_default().to_owned();
    let body = body_bytes(out).await;
    let original = sample(key);
    match function {
        "passthrough" => assert_eq!(&body[..], original, "{bucket}"),
        "pii-redactor" => {
            let text = std::str::from_utf8(&body).unwrap();
            assert!(
                std::str::from_utf8(original)
                    .unwrap()
                    .contains("alice.martin@example.com")
            );
            assert!(
                !text.contains("alice.martin@example.com"),
                "{bucket}: {text}"
            );
            assert!(text.contains("****"), "{bucket}");
            assert!(text.starts_with("Quarterly operations notes"), "{bucket}");
        }
        "xml-to-json" => {
            assert!(
                content_type.starts_with("application/json"),
                "{bucket}: {content_type}"
            );
            let json: Value = serde_json::from_slice(&body).unwrap();
            assert!(json.get("catalog").is_some(), "{bucket}: {json}");
        }
        _ => {
            assert!(
                content_type.starts_with("image/"),
                "{bucket}: {content_type}"
            );
            assert!(!body.is_empty() && body[..] != *original, "{bucket}");
        }
    }
}

/// The emulator started from the template serves all four access points (by name and by
/// alias), each with its real transform in-process and the template's payload.
#[tokio::test]
async fn emulator_from_template_serves_every_access_point() {
    let mut t = repo_template();
    t.config.credentials = vec![test_util::credential()];
    let emu = TestEmulator::start(t.config.clone(), real_functions()).await;
    let client = &emu.s3;
    for name in FUNCTIONS {
        let olap = t.config.olap(name).unwrap();
        check_get(client, name, &olap.name).await;
        check_get(client, name, olap.alias.as_deref().unwrap()).await;
    }
    // The bucket itself is there too, but its policy (DenyInsecureTransport) refuses plain
    // HTTP: its samples are listed over HTTPS in `tls::template_denies_insecure_transport`.
    let listed = client.list_objects_v2().bucket("databucket").send().await;
    assert_s3_error(listed, 403, "AccessDenied");
    emu.stop().await;
}

/// The template's resource policies are loaded with their intrinsics resolved: the bucket
/// policy (DenyInsecureTransport, DelegateAccessControlToAccessPoints) and the supporting
/// access point's policy.
#[test]
fn repo_template_policies_are_loaded() {
    let t = repo_template();
    let bucket = bucket(&t, "databucket");
    let policy: Value = serde_json::from_str(bucket.policy.as_deref().unwrap()).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        [
            "DenyInsecureTransport",
            "DelegateAccessControlToAccessPoints"
        ]
    );
    assert_eq!(
        policy["Statement"][0]["Resource"],
        serde_json::json!(["arn:aws:s3:::databucket", "arn:aws:s3:::databucket/*"])
    );
    let ap = &t.config.access_points[0];
    let ap_policy = ap.policy.as_deref().expect("access point policy");
    assert!(
        ap_policy.contains(&format!(
            "arn:aws:s3:us-east-1:111122223333:accesspoint/{}/object/*",
            ap.name
        )),
        "{ap_policy}"
    );
}

const TEAMS: &str = r#"
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties: {BucketName: teams}
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Data
      PolicyDocument:
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: "s3:GetObject"
            Resource: !Sub "${Data.Arn}/secret/*"
  Ap:
    Type: AWS::S3::AccessPoint
    Properties: {Bucket: !Ref Data, Name: teams-ap}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/passthrough}
  Olap:
    Type: AWS::S3ObjectLambda::AccessPoint
    Properties:
      Name: teams-olap
      ObjectLambdaConfiguration:
        SupportingAccessPoint: !GetAtt Ap.Arn
        TransformationConfigurations:
          - Actions: [GetObject]
            ContentTransformation:
              AwsLambda: {FunctionArn: !GetAtt Fn.Arn}
  OlapPolicy:
    Type: AWS::S3ObjectLambda::AccessPointPolicy
    Properties:
      ObjectLambdaAccessPoint: !Ref Olap
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:user/intern"}
            Action: "s3-object-lambda:GetObject"
            Resource: !GetAtt Olap.Arn
"#;

/// `AWS::S3ObjectLambda::AccessPointPolicy` and `AWS::S3::BucketPolicy` are enforced: the
/// Object Lambda Access Point denies one user, the bucket denies a prefix to everyone,
/// directly and through the access point.
#[tokio::test]
async fn template_policies_are_enforced() {
    let mut t = Template::parse(TEAMS, &[]).expect("template parses");
    let mut intern = Credential::new("intern-key", "intern-secret");
    intern.user_name = "intern".into();
    t.config.credentials = vec![test_util::credential(), intern];
    let passthrough = in_process(passthrough::function::Passthrough);
    let emu = TestEmulator::start(t.config.clone(), [("passthrough", passthrough)]).await;
    let admin = &emu.s3;
    let intern = &emu.client_as("intern-key", "intern-secret");
    for key in ["open/a.txt", "secret/b.txt"] {
        put_bytes(admin, "teams", key, "data").await;
    }
    let get = |c: &aws_sdk_s3::Client, bucket: &str, key: &str| {
        c.get_object().bucket(bucket).key(key).send()
    };
    assert!(get(admin, "teams-olap", "open/a.txt").await.is_ok());
    let denied = get(intern, "teams-olap", "open/a.txt").await;
    assert_s3_error(denied, 403, "AccessDenied");
    // The intern may still read the bucket directly (no policy denies it there).
    assert!(get(intern, "teams", "open/a.txt").await.is_ok());
    for bucket in ["teams", "teams-olap"] {
        assert_s3_error(
            get(admin, bucket, "secret/b.txt").await,
            403,
            "AccessDenied",
        );
    }
    emu.stop().await;
}

/// A policy for a bucket or Object Lambda Access Point the template does not declare, or one
/// the evaluator cannot read, is refused with the resource's logical id.
#[test]
fn template_policy_errors_name_the_resource() {
    let other_bucket = TEAMS.replacen(
        "Bucket: !Ref Data\n      PolicyDocument",
        "Bucket: elsewhere\n      PolicyDocument",
        1,
    );
    let err = Template::parse(&other_bucket, &[]).unwrap_err().to_string();
    assert!(
        err.contains("DataPolicy") && err.contains("elsewhere"),
        "{err}"
    );
    let bad_effect = TEAMS.replacen("Effect: Deny", "Effect: Maybe", 1);
    let err = Template::parse(&bad_effect, &[]).unwrap_err().to_string();
    assert!(err.contains("DataPolicy"), "{err}");
}
