//! Every sample event in `events/` parses and round-trips.

use std::path::{Path, PathBuf};

use object_lambda::{Invocation, Operation};

fn event_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("events dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_event_file_parses_and_round_trips() {
    let files = event_files();
    assert!(files.len() >= 4, "expected sample events, found {files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let raw: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The upstream crate's model round-trips it...
        let typed: aws_lambda_events_roundtrip::Event = serde_json::from_value(raw.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = serde_json::to_value(&typed).expect("serialize");
        assert_eq!(
            again["xAmzRequestId"],
            raw["xAmzRequestId"],
            "{}",
            path.display()
        );
        // ...and our reading of it matches the file name's operation.
        let inv = Invocation::from_value(raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let expected = if name.starts_with("get-object") {
            matches!(inv.operation, Operation::Get { .. })
        } else if name.starts_with("head-object") {
            inv.operation == Operation::Head
        } else if name.starts_with("list-objects-v2") {
            inv.operation == Operation::ListV2
        } else if name.starts_with("list-objects") {
            inv.operation == Operation::List
        } else {
            false
        };
        assert!(
            expected,
            "{}: unexpected operation {:?}",
            path.display(),
            inv.operation
        );
        assert!(!inv.request_id.is_empty() && inv.input_s3_url.starts_with("https://"));
    }
}

/// The payload of every sample event is valid for the function it is filed under.
#[test]
fn sample_payloads_are_valid_for_their_functions() {
    use object_lambda::Transform;
    use object_lambda::parse_payload;
    fn check<T: Transform>(t: &T, payload: &str) -> Result<(), String> {
        let config = parse_payload::<T::Config>(payload).map_err(|e| e.to_string())?;
        t.validate(&config).map_err(|e| e.to_string())
    }
    let mut checked = 0;
    for path in event_files() {
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let payload = raw["configuration"]["payload"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let function = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let result = match function {
            "passthrough" => check(&passthrough::function::Passthrough, &payload),
            "pii-redactor" => check(&pii_redactor::function::PiiRedactor, &payload),
            "xml-to-json" => check(&xml_to_json::function::XmlToJson, &payload),
            "image-transform" => check(&image_transform::function::ImageTransform, &payload),
            other => Err(format!("no function named {other}")),
        };
        assert!(result.is_ok(), "{}: {result:?}", path.display());
        checked += 1;
    }
    assert!(checked >= 16, "{checked}");
}

mod aws_lambda_events_roundtrip {
    pub(crate) type Event = aws_lambda_events::s3::object_lambda::S3ObjectLambdaEvent<String>;
}
