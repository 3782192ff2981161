//! Golden tests: our output equals xmltodict 1.0.4's (as JSON values) on real-world files
//! and on one document per mapping rule; inputs xmltodict rejects must be rejected too.
//! Expected outputs come from `testdata/generate_expected.py`.

use serde::Deserialize;
use serde_json::Value;
use xml_to_json::{Config, ErrorKind};

use crate::{convert_chunked, testdata};

#[derive(Deserialize)]
struct Case {
    name: String,
    input: String,
    payload: Value,
    error: bool,
    expected: Option<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(testdata("cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn matches_xmltodict_on_every_case() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 80, "case list looks truncated");
    for case in &all {
        let config: Config = serde_json::from_value(case.payload.clone()).unwrap();
        config.validate().unwrap();
        let input = std::fs::read(testdata(&case.input)).unwrap();
        // Whole input, and fed in awkward chunk sizes: the output must not depend on them.
        for chunk in [usize::MAX, 1, 3, 61] {
            let got = convert_chunked(&input, &config, chunk.min(input.len().max(1)));
            match (&case.expected, got) {
                (Some(expected), Ok(bytes)) => {
                    let want: Value =
                        serde_json::from_str(&std::fs::read_to_string(testdata(expected)).unwrap())
                            .unwrap();
                    match serde_json::from_slice::<Value>(&bytes) {
                        Ok(v) if v == want => {}
                        Ok(v) => failures.push(format!(
                            "{} (chunk {chunk}): got {v}\n   want {want}",
                            case.name
                        )),
                        Err(e) => failures
                            .push(format!("{} (chunk {chunk}): invalid JSON: {e}", case.name)),
                    }
                }
                (Some(_), Err(e)) => failures.push(format!(
                    "{} (chunk {chunk}): unexpected error {e}",
                    case.name
                )),
                (None, Ok(bytes)) => failures.push(format!(
                    "{} (chunk {chunk}): xmltodict rejects it but we produced {} bytes",
                    case.name,
                    bytes.len()
                )),
                (None, Err(e)) => {
                    assert!(case.error);
                    if e.kind() != ErrorKind::InvalidContent {
                        failures.push(format!(
                            "{} (chunk {chunk}): wrong error kind {:?}: {e}",
                            case.name,
                            e.kind()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pretty_output_is_indented_and_equal() {
    let input = std::fs::read(testdata("real/s3_list_objects.xml")).unwrap();
    let compact = xml_to_json::convert(&input, &Config::default()).unwrap();
    let pretty = xml_to_json::convert(
        &input,
        &Config {
            pretty: true,
            ..Config::default()
        },
    )
    .unwrap();
    assert!(pretty.starts_with(b"{\n  \""));
    assert!(pretty.len() > compact.len());
    let a: Value = serde_json::from_slice(&compact).unwrap();
    let b: Value = serde_json::from_slice(&pretty).unwrap();
    assert_eq!(a, b);
}

#[test]
fn key_order_follows_xmltodict() {
    // Attributes first, then children by first occurrence, then #text.
    let out =
        xml_to_json::convert(b"<a z=\"1\" y=\"2\">t<c/><b/><c/>u</a>", &Config::default()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"a\":{\"@z\":\"1\",\"@y\":\"2\",\"c\":[null,null],\"b\":null,\"#text\":\"tu\"}}\n"
    );
}

#[test]
fn a_second_byte_order_mark_is_a_character_before_the_root() {
    // expat (so xmltodict) rejects these: only the first U+FEFF is a byte order mark.
    let utf8 = b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>";
    let utf16 = b"\xFF\xFE\xFF\xFE<\x00a\x00/\x00>\x00";
    for doc in [&utf8[..], &utf16[..]] {
        for chunk in [usize::MAX, 1, 4] {
            let err = convert_chunked(doc, &Config::default(), chunk).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidContent, "{err}");
        }
    }
    // One byte order mark is fine.
    let one = convert_chunked(b"\xEF\xBB\xBF<a/>", &Config::default(), 2).unwrap();
    assert_eq!(one, b"{\"a\":null}\n");
}
