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

mod affinity;
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
    /// The payload's `threads` (`None`: automatic).
    threads: Option<usize>,
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
        };
        Ok(Redactor {
            engine: Arc::new(engine),
            opts: Arc::new(opts),
            format_choice: cfg.format,
            threads: cfg.threads,
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

    /// A streaming redactor for one object of unknown size.
    pub fn stream(&self, format: Format) -> StreamRedactor {
        self.stream_sized(format, None, second_core_available())
    }

    /// A streaming redactor for one object of `object_len` bytes (`None`: unknown), with or
    /// without a second core's worth of CPU time (`second_core`: the Lambda function asks
    /// `object_lambda::second_vcpu`, which also weighs the function's memory). Both decide
    /// the number of threads when the payload leaves `threads` out ([`two_threads`]).
    pub fn stream_sized(
        &self,
        format: Format,
        object_len: Option<u64>,
        second_core: bool,
    ) -> StreamRedactor {
        let threads = self.threads_for(object_len, second_core);
        // A known large object gets its second thread now, while its first block is read.
        let prestart = threads > 1 && object_len.is_some();
        StreamRedactor::new(
            Arc::clone(&self.engine),
            Arc::clone(&self.opts),
            format,
            threads,
            prestart,
        )
    }

    /// The number of threads [`Redactor::stream_sized`] uses for an object of `object_len`
    /// bytes.
    pub fn threads_for(&self, object_len: Option<u64>, second_core: bool) -> usize {
        if two_threads(self.threads, second_core, object_len) {
            2
        } else {
            1
        }
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
        let mut s = self.stream_sized(format, Some(input.len() as u64), second_core_available());
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

/// Objects smaller than this are searched on one thread when `threads` is left out: starting
/// and feeding the second thread costs more than it saves (README: figures).
pub const TWO_THREADS_MIN_BYTES: u64 = 1 << 20;

/// Whether to search on two threads: the payload's `threads` (`explicit`) decides when set.
/// Otherwise two when a second core's worth of CPU time is there (`second_core`) and the
/// object is big enough to pay for the second thread ([`TWO_THREADS_MIN_BYTES`]; an unknown
/// size may be anything, and a small object never fills a block, so the thread is only
/// started once one is full).
pub fn two_threads(explicit: Option<usize>, second_core: bool, object_len: Option<u64>) -> bool {
    if let Some(n) = explicit {
        return n >= 2;
    }
    second_core && object_len.is_none_or(|n| n >= TWO_THREADS_MIN_BYTES)
}

/// Whether the machine (or the cgroup's CPU quota) offers a second core; asked once per
/// process. On Lambda, ask `object_lambda::second_vcpu` instead: it also weighs the
/// function's memory.
pub fn second_core_available() -> bool {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())) >= 2
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
