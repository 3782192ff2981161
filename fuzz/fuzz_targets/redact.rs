//! Fuzz the streaming PII redactor: arbitrary bytes pushed with an arbitrary chunk split.
//! The first two bytes pick the configuration / format and the chunk size. Redaction must
//! never panic, chunked output must equal one-chunk output, and valid UTF-8 in gives valid
//! UTF-8 out. Half the inputs (odd chunk byte) are also spliced into a generated contact sheet
//! (`corpus::contacts`: national phone forms, cards of every issuer, their look-alikes), seeded
//! from the input, so the fuzzer mutates around those shapes too; with the default payload, a
//! planted value the splice did not touch must still be masked whole.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pii_redactor::corpus::{self, Rng};
use pii_redactor::{Config, Format, Redactor};

const PAYLOADS: [&str; 4] = [
    "",
    r#"{"entity_types":"ALL","mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE","redact_fields":["name","a"]}"#,
    r#"{"entity_types":"ALL","date_time_scope":"ALL","unsupported_content":"pass","redact_fields":["x"]}"#,
    r##"{"mode":"deny","mask_character":"#"}"##,
];

fuzz_target!(|data: &[u8]| {
    let [sel, chunk, input @ ..] = data else {
        return;
    };
    // Building a redactor compiles its automaton (milliseconds); build each payload's once.
    static BUILT: OnceLock<Vec<Option<(Config, Redactor)>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        PAYLOADS
            .iter()
            .map(|p| {
                let cfg = Config::from_payload(p).ok()?;
                let redactor = Redactor::new(&cfg).ok()?;
                Some((cfg, redactor))
            })
            .collect()
    });
    let Some((cfg, redactor)) = &built[usize::from(sel % 4)] else {
        return;
    };
    let format = [
        Format::Text,
        Format::Json,
        Format::JsonLines,
        Format::Csv,
        Format::Tsv,
    ][usize::from(sel / 4 % 5)];
    let spliced;
    let input = if chunk % 2 == 1 {
        let seed = input
            .iter()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
        let doc = corpus::contacts(&mut Rng::new(seed));
        // Splice at a line start, so the values on other lines keep their context.
        let cut = doc.text[..doc.text.len() / 2]
            .rfind('\n')
            .map_or(0, |p| p + 1);
        let mut v = doc.text.as_bytes()[..cut].to_vec();
        v.extend_from_slice(input);
        v.push(b'\n');
        v.extend_from_slice(&doc.text.as_bytes()[cut..]);
        if sel % 4 == 0 && format == Format::Text && std::str::from_utf8(input).is_ok() {
            let out = redactor.redact_bytes(format, &v).unwrap_or_default();
            let tail = &doc.text.as_bytes()[cut..];
            let out_tail = &out[out.len() - tail.len()..];
            let mut from = 0;
            for (_, value) in &doc.pii {
                let Some(p) = doc.text[from..].find(value.as_str()).map(|p| p + from) else {
                    continue;
                };
                from = p + value.len();
                // Values after the splice (the first line after it may see the fuzz bytes as
                // context, so only from the second on).
                if p > cut + tail.iter().position(|c| *c == b'\n').unwrap_or(0) {
                    let q = p - cut;
                    assert!(
                        out_tail[q..q + value.len()].iter().all(|c| *c == b'*'),
                        "planted value not masked whole"
                    );
                }
            }
        }
        spliced = v;
        &spliced[..]
    } else {
        input
    };
    let whole = redactor.redact_bytes(format, input);
    let mut stream = redactor.stream(format);
    let mut out = Vec::new();
    let mut result = Ok(());
    for piece in input.chunks(usize::from(*chunk).max(1)) {
        result = stream.push(piece, &mut out);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = stream.finish(&mut out);
    }
    match (&whole, result) {
        (Ok(w), Ok(())) => {
            if std::str::from_utf8(input).is_ok() {
                assert_eq!(w, &out, "chunking changed the output");
                assert!(std::str::from_utf8(&out).is_ok(), "UTF-8 in, UTF-8 out");
            }
        }
        // Which error comes first (deny vs not-UTF-8) may depend on where the chunks end.
        (Err(a), Err(b)) => assert!(a.kind() == b.kind() || std::str::from_utf8(input).is_err()),
        // `pass` mode: the whole-object call sees the entire input, the stream only its first
        // 64 KiB, so a late invalid byte may differ; anything else is a bug.
        _ => assert!(
            cfg.unsupported_content == pii_redactor::UnsupportedContent::Pass
                && std::str::from_utf8(input).is_err()
        ),
    }
});
