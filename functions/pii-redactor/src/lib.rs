//! Streaming PII redaction for S3 Object Lambda.
//!
//! A pure library: bytes and a typed [`Config`] in, redacted bytes (or an [`Error`]) out.
//! No Lambda, async or SDK types, so tests, fuzzing and benches call it directly.
//!
//! # How it works
//! 1. **One pass.** All requested entity types are candidate *shapes* of one multi-pattern
//!    `regex-automata` lazy DFA (ASCII word boundaries), searched once over the text.
//! 2. **Validators after the match.** Each candidate is checked where it was found: Luhn and
//!    issuer ranges for cards, SSN area/group/serial rules, `std::net` parsing for IP addresses,
//!    mod-97 plus per-country length for IBANs, numbering-plan rules for phones, entropy and a
//!    keyword or access key id nearby for AWS secrets, context keywords for bare digit runs.
//!    Look-alikes (UUIDs, git SHAs, hashes, versions, OIDs, tracking numbers, timestamps,
//!    Luhn-invalid numbers, invalid SSNs) fail validation and survive.
//! 3. **Structure.** For JSON / JSON Lines / CSV a tokenizer labels every byte, so matches are
//!    only taken inside strings, cells or whole numbers (numbers become strings) and
//!    `redact_fields` redact whole values by key or column name; the output stays valid.
//! 4. **Streaming.** [`StreamRedactor`] keeps a small window (see [`stream::LOOKAHEAD`]) so a
//!    value split across chunks is still found; memory is constant and the output is the same
//!    for every chunking.
//!
//! ```
//! use pii_redactor::{Config, Redactor, Format};
//! let cfg = Config::from_payload(r#"{"mask_mode": "REPLACE_WITH_PII_ENTITY_TYPE"}"#)?;
//! let r = Redactor::new(&cfg)?;
//! let out = r.redact_bytes(Format::Text, b"mail bob@example.com, card 4111 1111 1111 1111")?;
//! assert_eq!(out, b"mail [EMAIL], card [CREDIT_DEBIT_NUMBER]");
//! # Ok::<(), pii_redactor::Error>(())
//! ```

mod checks;
pub mod config;
mod context;
#[cfg(any(test, feature = "corpus"))]
pub mod corpus;
mod engine;
pub mod entity;
pub mod error;
pub mod format;
#[cfg(feature = "lambda")]
pub mod function;
mod patterns;
mod plans;
mod shapes;
mod split;
pub mod stream;
mod structure;

use std::sync::Arc;

pub use config::{Config, DateTimeScope, FormatChoice, MaskMode, Mode, UnsupportedContent};
pub use entity::{EntityType, TypeSet};
pub use error::{Error, ErrorKind};
pub use format::Format;
pub use shapes::Finding;
pub use stream::StreamRedactor;

use engine::Engine;
use stream::Options;
use structure::FieldNames;

/// A configured redactor: compiled once, then one [`StreamRedactor`] per object.
#[derive(Debug, Clone)]
pub struct Redactor {
    engine: Arc<Engine>,
    opts: Arc<Options>,
    format_choice: FormatChoice,
}

impl Redactor {
    /// Validates `cfg` and compiles the detector for its entity types.
    pub fn new(cfg: &Config) -> Result<Redactor, Error> {
        cfg.validate()?;
        let engine = Engine::new(cfg.types()?, cfg.date_time_scope)?;
        let labels = std::iter::once("[REDACTED]".to_owned())
            .chain(cfg.redact_fields.iter().map(|f| format!("[{}]", label(f))))
            .collect();
        let opts = Options {
            mask_mode: cfg.mask_mode,
            mask: cfg.mask_char()?,
            mode: cfg.mode,
            unsupported: cfg.unsupported_content,
            fields: FieldNames::new(&cfg.redact_fields),
            labels,
            threads: cfg.threads,
        };
        Ok(Redactor {
            engine: Arc::new(engine),
            opts: Arc::new(opts),
            format_choice: cfg.format,
        })
    }

    /// The format to use for an object: the payload's `format`, or the hint when it is `auto`.
    pub fn format_for(&self, content_type: Option<&str>, key: Option<&str>) -> Format {
        let cfg = Config {
            format: self.format_choice,
            ..Config::default()
        };
        cfg.format(Format::from_hint(content_type, key))
    }

    /// A streaming redactor for one object.
    pub fn stream(&self, format: Format) -> StreamRedactor {
        StreamRedactor::new(Arc::clone(&self.engine), Arc::clone(&self.opts), format)
    }

    /// Redacts a whole object held in memory.
    ///
    /// With `unsupported_content: pass`, input that is not UTF-8 anywhere is returned unchanged.
    pub fn redact_bytes(&self, format: Format, input: &[u8]) -> Result<Vec<u8>, Error> {
        if self.opts.unsupported == UnsupportedContent::Pass && std::str::from_utf8(input).is_err()
        {
            return Ok(input.to_vec());
        }
        let mut out = Vec::with_capacity(input.len() + 64);
        let mut s = self.stream(format);
        s.push(input, &mut out)?;
        s.finish(&mut out)?;
        Ok(out)
    }

    /// Every validated finding in plain text (the detection step alone, for tests and tools).
    ///
    /// The lazy DFAs cannot fail with the engine's configuration; if one ever did, the
    /// findings up to that point are returned (streaming reports it as an internal error).
    pub fn find(&self, text: &[u8]) -> Vec<Finding> {
        let mut st = self.engine.scan_state();
        let mut found = Vec::new();
        let mut at = 0;
        while let Ok(Some(f)) = self
            .engine
            .next(&mut st, text, at, text.len(), |f| Some(*f))
        {
            at = f.end.max(f.start + 1);
            found.push(f);
        }
        self.engine.recycle(&mut st);
        found
    }

    /// The candidate patterns of the compiled detector, one per shape.
    pub fn patterns(&self) -> Vec<String> {
        self.engine.patterns()
    }
}

/// Redacts a string as plain text with `cfg`.
pub fn redact_str(cfg: &Config, text: &str) -> Result<String, Error> {
    let out = Redactor::new(cfg)?.redact_bytes(Format::Text, text.as_bytes())?;
    String::from_utf8(out)
        .map_err(|_| Error::Internal("redaction produced invalid UTF-8".to_owned()))
}

fn label(field: &str) -> String {
    field
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
