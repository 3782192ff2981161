//! Fuzz the streaming PII redactor: arbitrary bytes pushed with an arbitrary chunk split.
//! The first two bytes pick the configuration / format and the chunk size. Redaction must
//! never panic, chunked output must equal one-chunk output, and valid UTF-8 in gives valid
//! UTF-8 out.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
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
