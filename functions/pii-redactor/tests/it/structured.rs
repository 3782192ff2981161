//! JSON, JSON Lines and CSV: structure-aware redaction keeps documents valid.

use pii_redactor::{Error, ErrorKind, Format};

use crate::redactor;

fn run(payload: &str, format: Format, input: &str) -> String {
    String::from_utf8(
        redactor(payload)
            .redact_bytes(format, input.as_bytes())
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn json_numbers_become_strings_and_fields_are_redacted() {
    let input = r#"{"name":"Ann \"A\" Lee","card":4111111111111111,"n":[1,2],"addr":{"city":"Köln","zip":50667},"note":"ip 10.0.0.1\nmail a@b.example.com","ok":true,"dob":null}"#;
    let out = run(
        r#"{"redact_fields":["Name","addr","dob"]}"#,
        Format::Json,
        input,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["name"], "***********"); // `\"` counts as one character
    assert_eq!(v["card"], "****************");
    assert_eq!(v["addr"]["city"], "****");
    assert_eq!(v["addr"]["zip"], "*****");
    assert_eq!(v["note"], "ip ********\nmail ***************");
    assert_eq!(v["ok"], true);
    assert!(v["dob"].is_null());
    assert_eq!(v["n"], serde_json::json!([1, 2]));
}

#[test]
fn json_escape_before_a_match_is_kept() {
    let out = run("", Format::Json, r#"{"a":"x\nbob@example.com"}"#);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["a"], "x\n***************");
}

#[test]
fn replace_mode_in_jsonl() {
    let p = r#"{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE","redact_fields":["name"]}"#;
    let out = run(
        p,
        Format::JsonLines,
        "{\"name\":\"Bo\",\"ssn\":536228765}\n{\"x\":\"202-555-0143\",\"name\":42}\n",
    );
    assert_eq!(
        out,
        "{\"name\":\"[NAME]\",\"ssn\":\"[SSN]\"}\n{\"x\":\"[PHONE]\",\"name\":\"[NAME]\"}\n"
    );
}

#[test]
fn csv_columns_by_header_name() {
    let p = r#"{"redact_fields":["name","Address"]}"#;
    let input = "id,Name,address,email\r\n1,\"Doe, \"\"JD\"\" Jane\",\"1 Main St\nApt 2\",jd@example.com\r\n2,,x,none\r\n";
    let out = run(p, Format::Csv, input);
    assert_eq!(
        out,
        "id,Name,address,email\r\n1,\"**************\",\"*********\n*****\",**************\r\n2,,*,none\r\n"
    );
    let tsv = run(p, Format::Tsv, "name\tphone\nAl\t(202) 555-0143\n");
    assert_eq!(tsv, "name\tphone\n**\t**************\n");
}

#[test]
fn deny_mode() {
    let r = redactor(r#"{"mode":"deny"}"#);
    let clean = b"nothing to see, version 1.2.3, uuid 550e8400-e29b-41d4-a716-446655440000";
    assert_eq!(r.redact_bytes(Format::Text, clean).unwrap(), clean);
    let e = r
        .redact_bytes(Format::Text, b"mail bob@example.com")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(
        !e.to_string().contains("bob"),
        "the value is never reported"
    );
    // Only requested types deny.
    let r = redactor(r#"{"mode":"deny","entity_types":["SSN"]}"#);
    assert!(
        r.redact_bytes(Format::Text, b"mail bob@example.com")
            .is_ok()
    );
    let r = redactor(r#"{"mode":"deny","entity_types":["SSN"],"redact_fields":["name"]}"#);
    let e = r
        .redact_bytes(Format::Json, br#"{"name":"Al"}"#)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(r.redact_bytes(Format::Json, br#"{"name":""}"#).is_ok());
}

#[test]
fn non_utf8_fail_and_pass() {
    let binary = b"\x89PNG\r\n\x1a\n\x00\x00 bob@example.com \xff\xfe";
    let e: Error = redactor("").redact_bytes(Format::Text, binary).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedContentType);
    let r = redactor(r#"{"unsupported_content":"pass"}"#);
    assert_eq!(r.redact_bytes(Format::Text, binary).unwrap(), binary);
    // Streaming, binary detected within the sniff window: unchanged whatever the chunking.
    let mut s = r.stream(Format::Text);
    let mut out = Vec::new();
    for c in binary.chunks(3) {
        s.push(c, &mut out).unwrap();
    }
    s.finish(&mut out).unwrap();
    assert_eq!(out, binary);
    // Truncated UTF-8 at the very end is not text either.
    let e = redactor("")
        .redact_bytes(Format::Text, "é".as_bytes().get(..1).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnsupportedContentType);
}

#[test]
fn csv_header_with_bom_and_quotes() {
    let out = run(
        r#"{"redact_fields":["name"]}"#,
        Format::Csv,
        "\u{feff}\"Name\",id\n\"Bo\",1\n",
    );
    assert_eq!(out, "\u{feff}\"Name\",id\n\"**\",1\n");
}
