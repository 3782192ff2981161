//! `xml-to-json` through its Object Lambda Access Point.

use object_lambda_emulator::test_util::{
    TestEmulator, body_bytes, error_message, get_error, get_object, get_range, in_process,
    put_object, status_and_code,
};
use serde_json::{Value, json};

async fn env(payload: &str) -> TestEmulator {
    TestEmulator::one(
        "xml-to-json",
        payload,
        in_process(xml_to_json::function::XmlToJson),
    )
    .await
}

async fn put(env: &TestEmulator, key: &str, body: &[u8]) {
    put_object(&env.s3, "demo", key, "application/xml", body.to_vec()).await;
}

#[tokio::test]
async fn converts_with_xmltodict_defaults() {
    let env = env("{}").await;
    let got = get_object(&env.s3, "xml-to-json", "catalog.xml").await;
    assert_eq!(got.content_type(), Some("application/json"));
    let doc: Value = serde_json::from_slice(&body_bytes(got).await).unwrap();
    let items = &doc["catalog"]["item"];
    assert_eq!(items[0]["@id"], "sku-1001");
    assert_eq!(items[0]["dc:title"], "Trail running shoe");
    assert_eq!(
        items[0]["price"],
        json!({"@currency": "EUR", "#text": "129.00"})
    );
    assert_eq!(items[0]["tags"]["tag"], json!(["running", "outdoor"]));
    assert_eq!(items[0]["description"], "Grippy sole & <b>light</b> upper.");
    assert_eq!(items[1]["description"], Value::Null);
    assert_eq!(
        doc["catalog"]["@xmlns:dc"],
        "http://purl.org/dc/elements/1.1/"
    );
}

#[tokio::test]
async fn item_depth_gives_ndjson_records_and_ranges_apply_to_them() {
    let env = env(r#"{"item_depth": 2}"#).await;
    let got = get_object(&env.s3, "xml-to-json", "catalog.xml").await;
    assert_eq!(got.content_type(), Some("application/x-ndjson"));
    let text = String::from_utf8(body_bytes(got).await.to_vec()).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["item"]["@id"], "sku-1002");

    let tail = get_range(&env.s3, "xml-to-json", "catalog.xml", "bytes=-20").await;
    let total = text.len();
    assert_eq!(
        tail.content_range(),
        Some(format!("bytes {}-{}/{total}", total - 20, total - 1).as_str())
    );
    assert_eq!(
        body_bytes(tail).await.as_ref(),
        &text.as_bytes()[total - 20..]
    );
}

#[tokio::test]
async fn attacks_and_broken_documents_are_400() {
    let env = env("{}").await;
    let attacks: [(&str, &[u8]); 3] = [
        (
            "laughs.xml",
            include_bytes!("../../functions/xml-to-json/testdata/real/billion_laughs_classic.xml"),
        ),
        (
            "xxe.xml",
            include_bytes!("../../functions/xml-to-json/testdata/real/xxe_external_file.xml"),
        ),
        ("truncated.xml", b"<a>\n  <b>text</b>\n  <c attr=\"1\">"),
    ];
    for (key, body) in attacks {
        put(&env, key, body).await;
        let err = get_error(&env.s3, "xml-to-json", key).await;
        assert_eq!(
            status_and_code(&err),
            (400, "InvalidObjectContent".to_owned()),
            "{key}"
        );
        let message = error_message(&err);
        assert!(message.contains("line"), "{key}: {message}");
    }
}

#[tokio::test]
async fn unknown_payload_keys_are_refused() {
    let env = env(r#"{"attr_prefx": "_"}"#).await;
    let err = get_error(&env.s3, "xml-to-json", "catalog.xml").await;
    assert_eq!(status_and_code(&err).1, "InvalidFunctionPayload");
    assert!(error_message(&err).contains("attr_prefx"));
}
