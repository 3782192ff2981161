//! `threads: 2`: the same output as one thread, for any chunking and every mode.

use pii_redactor::corpus::{self, Density, Rng};
use pii_redactor::{Config, ErrorKind, Format};

use crate::redactor;

fn redact(payload: &str, text: &[u8], chunk: usize) -> Result<Vec<u8>, pii_redactor::Error> {
    let r = redactor(payload);
    let mut s = r.stream(Format::Text);
    let mut out = Vec::new();
    for c in text.chunks(chunk) {
        s.push(c, &mut out)?;
    }
    s.finish(&mut out)?;
    Ok(out)
}

/// One and two threads agree on `text` for `payload` (without `threads`), at several chunk sizes.
fn agree(payload: &str, text: &[u8]) {
    let two = if payload.is_empty() {
        r#"{"threads":2}"#.to_owned()
    } else {
        format!(r#"{{"threads":2,{}"#, &payload[1..])
    };
    let want = redact(payload, text, text.len().max(1)).unwrap();
    for chunk in [text.len().max(1), 1 << 20, 65_536, 8191] {
        let got = redact(&two, text, chunk).unwrap();
        assert!(got == want, "{payload} chunk {chunk}: outputs differ");
    }
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
    for payload in [r#"{"mode":"deny"}"#, r#"{"mode":"deny","threads":2}"#] {
        let e = redact(payload, text.as_bytes(), 65_536).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AccessDenied, "{payload}");
        assert!(e.to_string().contains("EMAIL"), "{payload}: {e}");
    }
}

#[test]
fn threads_must_be_one_or_two() {
    for bad in [r#"{"threads":0}"#, r#"{"threads":3}"#] {
        let e = Config::from_payload(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPayload);
        assert!(e.to_string().contains("threads"), "{e}");
    }
}
