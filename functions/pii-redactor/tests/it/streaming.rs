//! Streaming: chunk-split invariance, idempotence, nothing detectable left (proptest).

use pii_redactor::corpus::{self, Kind, Rng};
use pii_redactor::{Format, Redactor};
use proptest::prelude::*;

use crate::redactor;

fn chunked(r: &Redactor, format: Format, input: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut s = r.stream(format);
    let mut out = Vec::new();
    let mut at = 0;
    for c in cuts {
        let c = (*c).clamp(at, input.len());
        s.push(&input[at..c], &mut out).unwrap();
        at = c;
    }
    s.push(&input[at..], &mut out).unwrap();
    s.finish(&mut out).unwrap();
    out
}

fn doc(seed: u64, kinds: usize) -> String {
    let mut rng = Rng::new(seed);
    (0..kinds)
        .map(|i| corpus::document(&mut rng, Kind::ALL[(seed as usize + i) % 7]).text)
        .collect()
}

#[test]
fn value_split_at_every_position_is_still_redacted() {
    let r = redactor("");
    let text = "x".repeat(2000) + " card 4111 1111 1111 1111 mail bob@example.com\n";
    let whole = r.redact_bytes(Format::Text, text.as_bytes()).unwrap();
    for cut in 1990..text.len() {
        assert_eq!(
            chunked(&r, Format::Text, text.as_bytes(), &[cut]),
            whole,
            "cut {cut}"
        );
    }
    // Byte-by-byte, with multi-byte characters around.
    let text = "Zoë → 202-555-0143 ✓ ünïcode ".repeat(60);
    let whole = r.redact_bytes(Format::Text, text.as_bytes()).unwrap();
    let cuts: Vec<usize> = (1..text.len()).collect();
    assert_eq!(chunked(&r, Format::Text, text.as_bytes(), &cuts), whole);
    assert!(!String::from_utf8(whole).unwrap().contains("555"));
}

#[test]
fn large_object_streams_in_bounded_chunks() {
    // One thread: two threads emit in whole blocks (README: streaming behaviour).
    let r = redactor(r#"{"threads":1}"#);
    let text = corpus::mixed_text(3, 1 << 20);
    let whole = r.redact_bytes(Format::Text, text.as_bytes()).unwrap();
    let mut s = r.stream(Format::Text);
    let mut out = Vec::new();
    let mut max_pending = 0;
    for c in text.as_bytes().chunks(8191) {
        let before = out.len();
        s.push(c, &mut out).unwrap();
        max_pending = max_pending.max(c.len().saturating_sub(out.len() - before));
    }
    s.finish(&mut out).unwrap();
    assert_eq!(out, whole);
    assert!(max_pending < 8191, "output keeps pace with input");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_chunking_gives_the_same_output(seed in 0u64..10_000, cuts in prop::collection::vec(0usize..6000, 0..12), fmt in 0usize..3) {
        let format = [Format::Text, Format::JsonLines, Format::Csv][fmt];
        let kind = [Kind::Log, Kind::Jsonl, Kind::Csv][fmt];
        let mut rng = Rng::new(seed);
        let text: String = (0..4).map(|_| corpus::document(&mut rng, kind).text).collect::<String>() + &doc(seed, 3);
        let r = redactor(r#"{"entity_types":"ALL","redact_fields":["name"]}"#);
        let whole = r.redact_bytes(format, text.as_bytes()).unwrap();
        let mut cuts = cuts;
        cuts.sort_unstable();
        prop_assert_eq!(chunked(&r, format, text.as_bytes(), &cuts), whole);
    }

    #[test]
    fn redaction_is_idempotent_and_leaves_nothing(seed in 0u64..10_000, junk in "[ -~]{0,80}") {
        let text = format!("{junk}\n{}\n{junk}", doc(seed, 4));
        for payload in ["", r#"{"entity_types":"ALL"}"#] {
            let r = redactor(payload);
            let once = r.redact_bytes(Format::Text, text.as_bytes()).unwrap();
            prop_assert!(r.find(&once).is_empty(), "left: {:?}", r.find(&once));
            let twice = r.redact_bytes(Format::Text, &once).unwrap();
            prop_assert_eq!(&twice, &once);
        }
    }

    #[test]
    fn arbitrary_text_never_fails_and_keeps_length(s in "\\PC{0,300}") {
        let r = redactor(r#"{"entity_types":"ALL"}"#);
        let out = r.redact_bytes(Format::Text, s.as_bytes()).unwrap();
        prop_assert_eq!(String::from_utf8(out).unwrap().chars().count(), s.chars().count());
        for f in [Format::Json, Format::Csv] {
            prop_assert!(r.redact_bytes(f, s.as_bytes()).is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Structured formats on hostile input: never an error for UTF-8, chunking never matters.
    #[test]
    fn structured_chunking_on_arbitrary_input(
        s in "([ -~]|\n|\"|\\\\|é|[0-9]{9,16}|@x\\.com|, ){0,120}",
        cut in 0usize..400,
        fmt in 0usize..4,
    ) {
        let format = [Format::Json, Format::JsonLines, Format::Csv, Format::Tsv][fmt];
        let r = redactor(r#"{"entity_types":"ALL","redact_fields":["a","name"],"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#);
        let whole = r.redact_bytes(format, s.as_bytes()).unwrap();
        prop_assert!(String::from_utf8(whole.clone()).is_ok());
        let cut = cut.min(s.len());
        prop_assert_eq!(chunked(&r, format, s.as_bytes(), &[cut, cut + 1, cut + 7]), whole);
    }
}
