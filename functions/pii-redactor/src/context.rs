//! Context keywords that gate the weak shapes (bare digit runs, secrets, dates, passports).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

/// Bytes before a candidate searched for a keyword.
pub(crate) const WINDOW: usize = 64;

/// A bit set of keyword classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Ctx(u8);

impl Ctx {
    pub(crate) const SSN: Ctx = Ctx(1);
    pub(crate) const PHONE: Ctx = Ctx(2);
    pub(crate) const PASSPORT: Ctx = Ctx(4);
    pub(crate) const ACCOUNT: Ctx = Ctx(8);
    pub(crate) const ROUTING: Ctx = Ctx(16);
    pub(crate) const DOB: Ctx = Ctx(32);

    pub(crate) fn has(self, other: Ctx) -> bool {
        self.0 & other.0 != 0
    }
}

const KEYWORDS: &[(&str, Ctx)] = &[
    ("ssn", Ctx::SSN),
    ("social security", Ctx::SSN),
    ("social_security", Ctx::SSN),
    ("socialsecurity", Ctx::SSN),
    ("social sec", Ctx::SSN),
    ("ss#", Ctx::SSN),
    ("ss no", Ctx::SSN),
    ("taxpayer id", Ctx::SSN),
    ("phone", Ctx::PHONE),
    ("tel", Ctx::PHONE),
    ("mobile", Ctx::PHONE),
    ("cell", Ctx::PHONE),
    ("fax", Ctx::PHONE),
    ("call", Ctx::PHONE),
    ("contact", Ctx::PHONE),
    ("whatsapp", Ctx::PHONE),
    ("sms", Ctx::PHONE),
    ("msisdn", Ctx::PHONE),
    ("passport", Ctx::PASSPORT),
    ("pasaporte", Ctx::PASSPORT),
    ("reisepass", Ctx::PASSPORT),
    ("passeport", Ctx::PASSPORT),
    ("account", Ctx::ACCOUNT),
    ("acct", Ctx::ACCOUNT),
    ("a/c", Ctx::ACCOUNT),
    ("acc no", Ctx::ACCOUNT),
    ("acc_no", Ctx::ACCOUNT),
    ("bank", Ctx::ACCOUNT),
    ("routing", Ctx::ROUTING),
    ("aba", Ctx::ROUTING),
    ("rtn", Ctx::ROUTING),
    ("transit", Ctx::ROUTING),
    ("dob", Ctx::DOB),
    ("d.o.b", Ctx::DOB),
    ("birth", Ctx::DOB),
    ("born", Ctx::DOB),
    ("nacimiento", Ctx::DOB),
    ("geburt", Ctx::DOB),
    ("naissance", Ctx::DOB),
];

/// The compiled keyword automaton (an Aho-Corasick contiguous NFA, stepped by hand over the
/// short window: cheaper than an overlapping-match iterator for 64 bytes). An Aho-Corasick DFA
/// cost ~0.9 M instructions more to build, in every process, and was not faster here.
#[derive(Debug)]
pub(crate) struct Keywords {
    words: NFA,
    start: StateID,
}

impl Keywords {
    pub(crate) fn new() -> Result<Keywords, String> {
        let words = NFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(KEYWORDS.iter().map(|(w, _)| w))
            .map_err(|e| e.to_string())?;
        let start = words.start_state(Anchored::No).map_err(|e| e.to_string())?;
        Ok(Keywords { words, start })
    }

    /// Keyword classes found in the `window` bytes before `start` (every occurrence, overlapping).
    pub(crate) fn before(&self, hay: &[u8], start: usize, window: usize) -> Ctx {
        let lo = start.saturating_sub(window);
        let w = &hay[lo..start];
        let mut ctx = Ctx::default();
        let mut sid = self.start;
        for (i, b) in w.iter().enumerate() {
            sid = self.words.next_state(Anchored::No, sid, *b);
            if !self.words.is_match(sid) {
                continue;
            }
            for k in 0..self.words.match_len(sid) {
                let (word, class) = KEYWORDS[self.words.match_pattern(sid, k).as_usize()];
                let end = i + 1;
                // `[SSN]`, `[PHONE]`... are our own labels, not context; ignoring them keeps
                // REPLACE_WITH_PII_ENTITY_TYPE output stable when redacted again.
                if !inside_label(w, end - word.len(), end) {
                    ctx.0 |= class.0;
                }
            }
        }
        ctx
    }
}

fn inside_label(w: &[u8], start: usize, end: usize) -> bool {
    let is_label = |c: u8| c.is_ascii_uppercase() || c == b'_';
    let mut s = start;
    while s > 0 && is_label(w[s - 1]) {
        s -= 1;
    }
    let mut e = end;
    while e < w.len() && is_label(w[e]) {
        e += 1;
    }
    s > 0
        && w[s - 1] == b'['
        && w.get(e) == Some(&b']')
        && w[start..end].iter().all(|c| is_label(*c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_labels() {
        let k = Keywords::new().unwrap();
        let hay = b"Customer SSN: 123456789";
        assert!(k.before(hay, 14, WINDOW).has(Ctx::SSN));
        let hay = b"[SSN] then 123456789";
        assert!(!k.before(hay, 11, WINDOW).has(Ctx::SSN));
    }
}
