//! Recall on the national phone forms and every card issuer (`corpus::contacts`), with the
//! look-alikes of those forms: every planted value must be masked whole (no partial
//! redaction), every look-alike must survive.

use std::collections::BTreeMap;

use pii_redactor::corpus::{self, Rng};
use pii_redactor::{EntityType, Format};

use crate::redactor;

#[test]
fn national_phones_and_every_card_issuer_are_masked_whole() {
    let r = redactor("");
    let mut rng = Rng::new(0x0C0A_7AC7);
    // (found, planted) per type, and the values missed.
    let mut recall: BTreeMap<EntityType, (usize, usize)> = BTreeMap::new();
    let mut missed = Vec::new();
    let (mut kept, mut decoys, mut damaged) = (0, 0, Vec::new());
    for _ in 0..300 {
        let doc = corpus::contacts(&mut rng);
        let out =
            String::from_utf8(r.redact_bytes(Format::Text, doc.text.as_bytes()).unwrap()).unwrap();
        assert_eq!(out.len(), doc.text.len(), "MASK keeps the length");
        let mut from = 0;
        for (t, v) in &doc.pii {
            let at = from + doc.text[from..].find(v.as_str()).unwrap();
            from = at + v.len();
            let whole = out[at..at + v.len()].bytes().all(|c| c == b'*');
            let e = recall.entry(*t).or_default();
            e.1 += 1;
            if whole {
                e.0 += 1;
            } else {
                missed.push(format!("{t} `{v}` -> `{}`", &out[at..at + v.len()]));
            }
        }
        for v in &doc.decoys {
            decoys += 1;
            if out.contains(v.as_str()) {
                kept += 1;
            } else {
                damaged.push(v.clone());
            }
        }
    }
    for (t, (found, planted)) in &recall {
        let rate = *found as f64 / *planted as f64;
        eprintln!("{t}: {found}/{planted} = {rate:.4}");
        assert!(rate >= 0.995, "{t} recall {rate:.4}; missed: {missed:#?}");
    }
    eprintln!("look-alikes kept: {kept}/{decoys}; damaged: {damaged:?}");
    assert!(missed.is_empty(), "missed or partly masked: {missed:#?}");
    // The target is 0.99. A few ZIP+4 codes (`MA 06990-0923`, 5 of ~2 700 with this
    // seed) are still taken: they follow the name `Patel` within 64 bytes, whose `tel` is a
    // phone keyword (keywords match inside words), and a 0-leading 9-digit dashed run after a
    // phone keyword was a national number before this class existed. Changing that would
    // change older outputs; the other look-alikes, and the older corpus' tests, stay at 1.000.
    let survival = kept as f64 / decoys as f64;
    assert!(
        survival >= 0.99,
        "look-alike survival {survival:.4}: {damaged:#?}"
    );
    assert!(
        damaged.iter().all(|d| d.starts_with("MA ")),
        "look-alikes damaged: {damaged:#?}"
    );
    assert!(recall.values().map(|v| v.1).sum::<usize>() > 3000);
}

#[test]
fn home_forms_of_each_country() {
    let r = redactor("");
    for (p, text) in [
        ("020 7946 0958", "London office: 020 7946 0958."),
        ("01.23.45.67.89", "tél. 01.23.45.67.89"),
        ("(02) 9876 5432", "Sydney (02) 9876 5432"),
        ("(11) 91234-5678", "Fale com (11) 91234-5678 hoje"),
        ("098765 43210", "ring 098765 43210"),
        ("0 98765 43210", "at 0 98765 43210."),
        ("912 345 678", "Madrid 912 345 678"),
        ("030/1234567", "Büro 030/1234567"),
        ("03-1234-5678", "東京 03-1234-5678"),
        ("06 1234 5678", "Roma 06 1234 5678"),
        ("020-1234567", "kantoor 020-1234567"),
        ("09876543210", "09876543210"),
    ] {
        let out =
            String::from_utf8(r.redact_bytes(Format::Text, text.as_bytes()).unwrap()).unwrap();
        assert_eq!(out, text.replace(p, &"*".repeat(p.len())), "{p}");
    }
    for keep in [
        "on 01.02.2024 at 10:22:01",
        "2024-01-15",
        "ISBN 978-3-16-148410-0",
        "version 10.0.19045.3803",
        "75008 Paris",
        "total 12 345,67 EUR",
        "pp. 120-135",
        "ORD-0012-3456",
        "0 12345 67890 5",
        "build 2024 01 15",
        "epoch 1700000000123",
        "Boston, MA 02110-1301 USA",
    ] {
        let out =
            String::from_utf8(r.redact_bytes(Format::Text, keep.as_bytes()).unwrap()).unwrap();
        assert_eq!(out, keep);
    }
}
