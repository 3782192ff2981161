//! Two threads (`threads: 2`, or automatic): the same output as one thread, for any
//! chunking, every format and every mode.

use pii_redactor::corpus::{self, Density, Rng};
use pii_redactor::{Config, ErrorKind, Format, two_threads};
use proptest::prelude::*;

use crate::redactor;

fn redact_as(
    payload: &str,
    format: Format,
    text: &[u8],
    chunk: usize,
) -> Result<Vec<u8>, pii_redactor::Error> {
    let r = redactor(payload);
    let mut s = r.stream(format);
    let mut out = Vec::new();
    for c in text.chunks(chunk) {
        s.push(c, &mut out)?;
    }
    s.finish(&mut out)?;
    Ok(out)
}

fn redact(payload: &str, text: &[u8], chunk: usize) -> Result<Vec<u8>, pii_redactor::Error> {
    redact_as(payload, Format::Text, text, chunk)
}

/// `payload` (a JSON object) with `"threads": n` added.
fn with_threads(payload: &str, n: usize) -> String {
    if payload.is_empty() || payload == "{}" {
        format!(r#"{{"threads":{n}}}"#)
    } else {
        format!(r#"{{"threads":{n},{}"#, &payload[1..])
    }
}

/// One and two threads agree on `text` as `format` for `payload` (without `threads`), at
/// several chunk sizes; two threads really took part.
fn agree_as(payload: &str, format: Format, text: &[u8]) {
    let one = with_threads(payload, 1);
    let two = with_threads(payload, 2);
    let want = redact_as(&one, format, text, text.len().max(1)).unwrap();
    assert_eq!(redactor(&two).threads_for(None, false), 2);
    for chunk in [text.len().max(1), 1 << 20, 65_536, 8191] {
        let got = redact_as(&two, format, text, chunk).unwrap();
        assert!(
            got == want,
            "{payload} {format:?} chunk {chunk}: outputs differ"
        );
    }
}

fn agree(payload: &str, text: &[u8]) {
    agree_as(payload, Format::Text, text);
}

#[test]
fn two_threads_redact_like_one() {
    let dense = corpus::mixed_text(5, 3 << 20);
    let typical = corpus::mixed_text_at(6, 2 << 20, Density::Typical);
    for text in [&dense, &typical] {
        agree("", text.as_bytes());
        agree(
            r#"{"entity_types":"ALL","mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#,
            text.as_bytes(),
        );
    }
}

/// Lines that leave a secret waiting its turn (behind an access key id, or after a `secret`
/// keyword with an e-mail between), so that every split point has one nearby.
#[test]
fn waiting_secrets_near_the_split_are_kept() {
    let mut rng = Rng::new(12);
    let mut text = String::new();
    while text.len() < 3 << 20 {
        let (id, secret) = (rng.access_key(), rng.secret_key());
        text.push_str(&format!("id {id} then {secret}\n"));
        let secret = rng.secret_key();
        text.push_str(&format!("secret for bob@example.com: {secret}\n"));
    }
    agree("", text.as_bytes());
    let out = redact(r#"{"threads":2}"#, text.as_bytes(), 65_536).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("AKIA"));
}

#[test]
fn text_without_line_breaks_is_searched_whole() {
    let text = "card 4111 1111 1111 1111 mail bob@example.com ".repeat(40_000);
    agree("", text.as_bytes());
}

#[test]
fn deny_mode_reports_the_first_value() {
    // PII only in the second half of the first block, then a different type later.
    let mut text = "plain words and nothing else\n".repeat(30_000);
    text.push_str("mail bob@example.com\n");
    text.push_str(&"more words\n".repeat(50_000));
    text.push_str("ssn 536-22-8765\n");
    for payload in [
        r#"{"mode":"deny","threads":1}"#,
        r#"{"mode":"deny","threads":2}"#,
    ] {
        let e = redact(payload, text.as_bytes(), 65_536).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AccessDenied, "{payload}");
        assert!(e.to_string().contains("EMAIL"), "{payload}: {e}");
    }
}

/// JSON Lines, one JSON document with a value per line, and CSV built from corpus lines:
/// the worker gets the tokenizer's labels of its part, so the structured formats split too.
#[test]
fn structured_formats_on_two_threads_redact_like_one() {
    let text = corpus::mixed_text(8, 3 << 20);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let mut jsonl = String::new();
    let mut json = String::from("[\n");
    let mut csv = String::from("id,note,amount\n");
    for (i, l) in lines.iter().enumerate() {
        let s = serde_json::to_string(l).unwrap();
        jsonl.push_str(&format!(
            "{{\"id\":{i},\"note\":{s},\"card\":4111111111111111}}\n"
        ));
        let sep = if i + 1 == lines.len() { "" } else { "," };
        json.push_str(&format!("  {{\"note\": {s}, \"n\": {i}}}{sep}\n"));
        csv.push_str(&format!("{i},\"{}\",{i}.50\n", l.replace('"', "\"\"")));
    }
    json.push_str("]\n");
    let payloads = [
        "",
        r#"{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE","redact_fields":["id"]}"#,
    ];
    for payload in payloads {
        agree_as(payload, Format::JsonLines, jsonl.as_bytes());
        agree_as(payload, Format::Json, json.as_bytes());
        agree_as(payload, Format::Csv, csv.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any corpus and any chunking: two threads give the one-thread output (the blocks and
    /// the cuts between the threads fall at different places every time).
    #[test]
    fn two_threads_agree_for_any_chunking(
        seed in 0u64..1000,
        size in (1usize << 20)..(5 << 19),
        chunk in 1000usize..300_000,
        typical in any::<bool>(),
    ) {
        let density = if typical { Density::Typical } else { Density::Dense };
        let text = corpus::mixed_text_at(seed, size, density);
        let want = redact(r#"{"threads":1}"#, text.as_bytes(), text.len()).unwrap();
        let got = redact(r#"{"threads":2}"#, text.as_bytes(), chunk).unwrap();
        prop_assert!(got == want, "seed {} size {} chunk {}", seed, size, chunk);
    }
}

/// Without `threads`, two threads when a second core, the object's size and Lambda's memory
/// allow; an explicit value always wins.
#[test]
fn automatic_threads() {
    let big = Some(100 << 20);
    // Lambda's memory rule is `object_lambda::second_vcpu`'s (`second_core` here), tested there.
    assert!(two_threads(None, true, big));
    assert!(two_threads(None, true, None));
    assert!(!two_threads(None, false, big));
    assert!(!two_threads(None, true, Some(100_000)));
    assert!(!two_threads(Some(1), true, big));
    assert!(two_threads(Some(2), false, Some(10)));
    let auto = redactor("");
    assert_eq!(auto.threads_for(Some(10), true), 1);
    assert_eq!(auto.threads_for(big, true), 2);
    assert_eq!(redactor(r#"{"threads":1}"#).threads_for(big, true), 1);
}

#[test]
fn threads_must_be_one_or_two() {
    for bad in [r#"{"threads":0}"#, r#"{"threads":3}"#] {
        let e = Config::from_payload(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPayload);
        assert!(e.to_string().contains("threads"), "{e}");
    }
}
