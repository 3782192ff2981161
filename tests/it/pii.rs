//! `pii-redactor` through its Object Lambda Access Point.

use object_lambda_emulator::test_util::{
    TestEmulator, assert_s3_error, body_bytes, get_bytes, get_object, get_range, in_process,
    put_object,
};

const AP: &str = "pii-redactor";

async fn env(payload: &str) -> TestEmulator {
    TestEmulator::one(AP, payload, in_process(pii_redactor::function::PiiRedactor)).await
}

async fn put(env: &TestEmulator, key: &str, content_type: &str, body: &[u8]) {
    put_object(&env.s3, "demo", key, content_type, body.to_vec()).await;
}

async fn get_text(env: &TestEmulator, key: &str) -> String {
    String::from_utf8(get_bytes(&env.s3, AP, key).await.to_vec()).expect("utf-8")
}

const TICKET: &str = "Ticket #48213 (build 3.14.2, trace 9f86d081-884c-4d63-a6e1-2f5d0e6b7a11)\n\
Customer jane.doe@example.org called from (415) 555-0132 about card 4111-1111-1111-1111.\n\
SSN on file: 536-22-8145. Server 192.168.10.24 logged the request.\n";

#[tokio::test]
async fn text_is_masked_keeping_length_and_look_alikes() {
    let env = env("{}").await;
    put(&env, "ticket.txt", "text/plain", TICKET.as_bytes()).await;
    let out = get_text(&env, "ticket.txt").await;
    assert_eq!(out.len(), TICKET.len(), "MASK keeps the length");
    for secret in [
        "jane.doe@example.org",
        "555-0132",
        "4111-1111-1111-1111",
        "536-22-8145",
        "192.168.10.24",
    ] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    for kept in [
        "#48213",
        "3.14.2",
        "9f86d081-884c-4d63-a6e1-2f5d0e6b7a11",
        "Customer",
        "called from",
    ] {
        assert!(out.contains(kept), "{kept} was destroyed: {out}");
    }
    // Range applies to the redacted bytes.
    let got = get_range(&env.s3, AP, "ticket.txt", "bytes=0-40").await;
    let head = body_bytes(got).await;
    assert_eq!(head.as_ref(), &out.as_bytes()[..41]);
}

#[tokio::test]
async fn jsonl_and_csv_stay_valid_with_field_rules() {
    let env =
        env(r#"{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE","redact_fields":["name","address"]}"#)
            .await;
    let jsonl = "{\"id\":1,\"name\":\"Jane Doe\",\"email\":\"jane@example.com\",\"address\":\"1 Main St\"}\n\
                 {\"id\":2,\"name\":\"Li Wei\",\"note\":\"call +44 20 7946 0958\",\"address\":null}\n";
    put(
        &env,
        "people.jsonl",
        "application/x-ndjson",
        jsonl.as_bytes(),
    )
    .await;
    let out = get_text(&env, "people.jsonl").await;
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "[NAME]");
    assert_eq!(rows[0]["email"], "[EMAIL]");
    assert_eq!(rows[0]["address"], "[ADDRESS]");
    assert_eq!(rows[0]["id"], 1);
    assert!(!out.contains("7946 0958"), "{out}");

    let csv = "id,name,phone,city\n1,Jane Doe,415-555-0132,Boston\n2,\"Wei, Li\",n/a,Oslo\n";
    put(&env, "people.csv", "text/csv", csv.as_bytes()).await;
    let out = get_text(&env, "people.csv").await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "id,name,phone,city");
    assert!(lines[1].starts_with("1,[NAME],[PHONE],Boston"), "{out}");
    assert!(!out.contains("Wei, Li") && out.contains("Oslo"), "{out}");
}

#[tokio::test]
async fn deny_mode_refuses_objects_with_pii() {
    let env = env(r#"{"mode":"deny"}"#).await;
    put(&env, "ticket.txt", "text/plain", TICKET.as_bytes()).await;
    put(
        &env,
        "clean.txt",
        "text/plain",
        b"release 3.14.2 shipped on time",
    )
    .await;
    let denied = env
        .s3
        .get_object()
        .bucket(AP)
        .key("ticket.txt")
        .send()
        .await;
    assert_s3_error(denied, 403, "AccessDenied");
    assert_eq!(
        get_text(&env, "clean.txt").await,
        "release 3.14.2 shipped on time"
    );
}

#[tokio::test]
async fn non_utf8_fails_or_passes_as_configured() {
    let binary: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0xff, 0xfe, 0x00, 0x01];
    let fail = env("{}").await;
    put(&fail, "blob.bin", "application/octet-stream", &binary).await;
    assert_s3_error(
        fail.s3.get_object().bucket(AP).key("blob.bin").send().await,
        400,
        "UnsupportedContentType",
    );

    let pass = env(r#"{"unsupported_content":"pass"}"#).await;
    put(&pass, "blob.bin", "application/octet-stream", &binary).await;
    let got = get_object(&pass.s3, AP, "blob.bin").await;
    assert_eq!(body_bytes(got).await.as_ref(), binary.as_slice());
}
