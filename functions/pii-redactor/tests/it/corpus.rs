//! Recall and precision on generated realistic documents (not the unit-test strings).

use pii_redactor::corpus::{self, Kind, Rng};
use pii_redactor::{EntityType, Format};

use crate::redactor;

#[test]
fn every_planted_value_is_redacted_and_every_decoy_survives() {
    let r = redactor("");
    let mut rng = Rng::new(0x5EED);
    let mut checked = 0;
    for round in 0..60 {
        let kind = Kind::ALL[round % Kind::ALL.len()];
        let doc = corpus::document(&mut rng, kind);
        let out =
            String::from_utf8(r.redact_bytes(Format::Text, doc.text.as_bytes()).unwrap()).unwrap();
        assert_eq!(out.len(), doc.text.len(), "MASK keeps the length");
        for (t, v) in &doc.pii {
            assert!(!out.contains(v.as_str()), "{kind:?}: {t} `{v}` survived");
            checked += 1;
        }
        for v in &doc.decoys {
            assert!(
                out.contains(v.as_str()),
                "{kind:?}: decoy `{v}` was damaged:\n{out}"
            );
        }
    }
    assert!(checked > 300, "only {checked} planted values");
}

#[test]
fn structured_documents_stay_valid() {
    let payload =
        r#"{"redact_fields":["name","notes"],"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#;
    let r = redactor(payload);
    let mut rng = Rng::new(7);
    for _ in 0..20 {
        let doc = corpus::document(&mut rng, Kind::Jsonl);
        let out = String::from_utf8(
            r.redact_bytes(Format::JsonLines, doc.text.as_bytes())
                .unwrap(),
        )
        .unwrap();
        for line in out.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(v["user"]["email"], "[EMAIL]");
            assert_eq!(v["ssn"], "[SSN]");
        }
        for (t, v) in &doc.pii {
            assert!(!out.contains(v.as_str()), "{t} `{v}` survived");
        }
        let doc = corpus::document(&mut rng, Kind::Csv);
        let out =
            String::from_utf8(r.redact_bytes(Format::Csv, doc.text.as_bytes()).unwrap()).unwrap();
        let rows: Vec<Vec<String>> = parse_csv(&out);
        assert_eq!(rows[0][1], "name");
        for row in rows.iter().skip(1).filter(|r| r.len() > 1) {
            assert_eq!(row.len(), 8, "{row:?}");
            assert_eq!(row[1], "[NAME]");
            assert_eq!(row[2], "[EMAIL]");
            assert_eq!(row[7], "[NOTES]");
        }
        assert!(
            doc.pii
                .iter()
                .filter(|(t, _)| *t == EntityType::CreditDebitNumber)
                .all(|(_, v)| !out.contains(v.as_str()))
        );
    }
}

/// Minimal RFC 4180 reader for the checks above.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = vec![vec![String::new()]];
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let row = rows.last_mut().unwrap();
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                row.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(String::new()),
            ('\n', false) => rows.push(vec![String::new()]),
            _ => row.last_mut().unwrap().push(c),
        }
    }
    rows
}

#[test]
fn typical_density_filler_survives_and_planted_values_do_not() {
    // The benchmark's typical class: each document followed by PII-free text of its kind.
    // The filler must come out unchanged (no false positives on timestamps, ids, amounts,
    // counters, paths), the planted values must not.
    let r = redactor("");
    let mut rng = Rng::new(0x7D1C);
    for round in 0..70 {
        let kind = Kind::ALL[round % Kind::ALL.len()];
        let doc = corpus::document(&mut rng, kind);
        let filler = corpus::filler(&mut rng, kind, 4096);
        let text = format!("{}{filler}", doc.text);
        let out =
            String::from_utf8(r.redact_bytes(Format::Text, text.as_bytes()).unwrap()).unwrap();
        assert_eq!(&out[doc.text.len()..], filler, "{kind:?}: filler changed");
        for (t, v) in &doc.pii {
            assert!(!out.contains(v.as_str()), "{kind:?}: {t} `{v}` survived");
        }
        for v in &doc.decoys {
            assert!(
                out.contains(v.as_str()),
                "{kind:?}: decoy `{v}` was damaged"
            );
        }
    }
}
