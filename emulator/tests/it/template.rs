//! The emulator configured from the repository's SAM template (`template.yaml`).

use std::path::Path;

use object_lambda_emulator::{Action, Credential, Emulator, Feature, InProcess, SAMPLES, Template};
use serde_json::Value;

use crate::{AK, SK};

/// The repository's template (the one `sam deploy` uses).
pub(crate) fn repo_template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    Template::from_file(&path, &[]).expect("template.yaml parses")
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

fn sample(key: &str) -> &'static [u8] {
    SAMPLES
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(.., b)| *b)
        .unwrap()
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
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {bucket}/{key}: {e:?}"));
    let content_type = out.content_type().unwrap_or_default().to_owned();
    let body = out.body.collect().await.unwrap().into_bytes();
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
    t.config.credentials = vec![Credential::new(AK, SK)];
    let cred = Credential::new(AK, SK);
    let emu = Emulator::builder()
        .config(t.config.clone())
        .function(
            "passthrough",
            InProcess::new(passthrough::function::Passthrough, &cred),
        )
        .function(
            "pii-redactor",
            InProcess::new(pii_redactor::function::PiiRedactor, &cred),
        )
        .function(
            "xml-to-json",
            InProcess::new(xml_to_json::function::XmlToJson, &cred),
        )
        .function(
            "image-transform",
            InProcess::new(image_transform::function::ImageTransform, &cred),
        )
        .start()
        .await
        .expect("emulator starts");
    let client = crate::functions::s3_client(emu.endpoint_url(), AK, SK);
    for name in FUNCTIONS {
        let olap = t.config.olap(name).unwrap();
        check_get(&client, name, &olap.name).await;
        check_get(&client, name, olap.alias.as_deref().unwrap()).await;
    }
    // The bucket itself is there too, with the samples.
    let listed = client
        .list_objects_v2()
        .bucket("databucket")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), SAMPLES.len());
    emu.shutdown().await;
}
