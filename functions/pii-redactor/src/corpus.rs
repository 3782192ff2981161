//! A deterministic generator of realistic mixed text for tests and benchmarks: support tickets,
//! application logs, CSV exports, JSON Lines events, e-mails, prose and config files, with PII
//! planted in many formats and harmless look-alikes (UUIDs, SHAs, versions, OIDs, tracking
//! numbers, timestamps, Luhn-invalid order numbers, invalid SSNs) that must survive.
//!
//! Every planted value is recorded, so tests can check recall (no planted value survives) and
//! precision (every decoy survives) on text the detector was not tuned on.

use crate::entity::EntityType;

mod documents;
mod national;
mod values;

pub use documents::{
    Density, TYPICAL_BYTES_PER_PII, document, document_at, filler, mixed, mixed_text, mixed_text_at,
};
pub use national::contacts;

/// A small, fast, seedable PRNG (SplitMix64); no dependency, stable across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

/// A generated document with what was planted in it.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// The text.
    pub text: String,
    /// PII values planted, with their type (default-on types only).
    pub pii: Vec<(EntityType, String)>,
    /// Look-alikes that must come out unchanged.
    pub decoys: Vec<String>,
}

/// The kinds of document the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A help-desk ticket.
    Ticket,
    /// Application / access log lines.
    Log,
    /// A CSV export with a header.
    Csv,
    /// JSON Lines events.
    Jsonl,
    /// An e-mail with headers and signature.
    Email,
    /// Free prose.
    Prose,
    /// A config / env file.
    Config,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 7] = [
        Kind::Ticket,
        Kind::Log,
        Kind::Csv,
        Kind::Jsonl,
        Kind::Email,
        Kind::Prose,
        Kind::Config,
    ];
}

const FIRST: &[&str] = &[
    "Maria", "James", "Wei", "Aisha", "Olga", "Carlos", "Priya", "John", "Fatima", "Liam", "Noor",
    "Émile", "Søren", "Yuki",
];
const LAST: &[&str] = &[
    "Garcia", "Smith", "Chen", "Khan", "Ivanova", "Silva", "Patel", "O'Brien", "Müller",
    "Nakamura", "Dubois", "Okafor",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "corp.example.net",
    "example.co.uk",
    "test-mail.io",
    "uni.example.edu",
];
const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";
const WORDS: &[&str] = &[
    "the",
    "customer",
    "reported",
    "that",
    "after",
    "upgrading",
    "service",
    "was",
    "unavailable",
    "for",
    "several",
    "minutes",
    "we",
    "checked",
    "logs",
    "and",
    "found",
    "retry",
    "storm",
    "in",
    "region",
    "please",
    "confirm",
    "billing",
    "address",
    "delivery",
    "window",
    "moved",
    "to",
    "next",
    "week",
    "because",
    "of",
    "weather",
    "team",
    "will",
    "follow",
    "up",
];
