//! The candidate shapes' patterns: the one source of the automata's patterns for the library
//! and for `build.rs`, which compiles the default types' automata ahead of time (so this file
//! only uses `crate::entity`).

use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::syntax;

use crate::entity::{EntityType as T, TypeSet};

/// How every pattern is parsed: bytes, ASCII classes (the search runs over raw bytes).
/// `build.rs` and the run-time builders share it, so embedded and lazy automata agree.
pub(crate) fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// How every automaton's NFA is compiled (forward or `reverse`), shared like
/// [`syntax_config`].
pub(crate) fn nfa_config(reverse: bool) -> thompson::Config {
    thompson::Config::new()
        .utf8(false)
        .reverse(reverse)
        .which_captures(WhichCaptures::None)
}

/// A candidate shape; each is one pattern of the multi-pattern regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Email,
    AwsSecret,
    IdSecret,
    AwsAccess,
    Iban,
    MacColon,
    MacDash,
    MacDot,
    Ipv6,
    Dotted,
    ParenPhone,
    IntlPhone,
    DashGroups,
    SpaceGroups,
    Digits,
    LocalPhone,
    SlashDate,
    MonthDate,
    Passport,
}

const MONTHS: &str = "(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\\.?";

impl Shape {
    /// All shapes in priority order (leftmost-first prefers the earlier one at one position).
    pub(crate) const ALL: [Shape; 19] = [
        Shape::Email,
        Shape::AwsSecret,
        Shape::IdSecret,
        Shape::AwsAccess,
        Shape::Iban,
        Shape::MacColon,
        Shape::MacDash,
        Shape::MacDot,
        Shape::Ipv6,
        Shape::Dotted,
        Shape::ParenPhone,
        Shape::IntlPhone,
        Shape::DashGroups,
        Shape::SpaceGroups,
        Shape::Digits,
        Shape::LocalPhone,
        Shape::SlashDate,
        Shape::MonthDate,
        Shape::Passport,
    ];

    /// The pattern (ASCII-only syntax; compiled with Unicode off). Digit-group shapes only
    /// list the groupings the requested types can have, so e.g. ISO dates are not even
    /// candidates unless DATE_TIME is requested.
    pub(crate) fn pattern(self, t: TypeSet) -> String {
        let p = match self {
            // Anchored at `@`: the validator walks back over the local part. Keeping the local
            // part out of the automaton keeps the lazy DFA small (no 64-way counter on every word).
            Shape::Email => r"@(?:[A-Za-z0-9\-]{1,63}\.){1,8}[A-Za-z]{2,24}\b",
            // A secret is only taken after a keyword or next to an access key id, so the shapes
            // start there; the 40-character token is the tail (its boundary bytes are consumed,
            // the regex has no look-around, and the validator trims them).
            Shape::AwsSecret => {
                r"(?i:secret)[^\n]{0,80}?[^A-Za-z0-9/+\n][A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|\z)"
            }
            Shape::IdSecret => {
                r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b[^\n]{0,160}?[^A-Za-z0-9/+\n][A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+]|\z)"
            }
            Shape::AwsAccess => r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
            Shape::Iban => r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{1,4}){3,9}",
            Shape::MacColon => r"\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\b",
            Shape::MacDash => r"\b[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}\b",
            Shape::MacDot => r"\b[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\b",
            Shape::Ipv6 => {
                // Full form, or a form with `::`, each optionally ending in dotted IPv4, plus a zone.
                // Requiring `::` or eight groups keeps times such as 10:22:01 out.
                let h = "[0-9A-Fa-f]{1,4}";
                let v4 = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}";
                return format!(
                    r"(?:\b(?:{h}:){{6}}{v4}|(?:\b{h}(?::{h}){{0,5}})?::(?:{h}:){{0,5}}{v4}|\b{h}(?::{h}){{7}}|(?:\b{h}(?::{h}){{0,6}})?::(?:{h}(?::{h}){{0,6}})?)(?:%[0-9A-Za-z_.\-]{{1,32}})?"
                );
            }
            Shape::Dotted => {
                let mut alts = Vec::new();
                if t.contains(T::IpAddress) {
                    alts.push(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}");
                }
                if t.contains(T::Phone) {
                    alts.push(r"(?:1\.)?[0-9]{3}\.[0-9]{3}\.[0-9]{4}");
                }
                if t.contains(T::DateTime) {
                    alts.push(
                        r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2,4}|[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}",
                    );
                }
                return format!(r"\b(?:{})\b", alts.join("|"));
            }
            Shape::ParenPhone => {
                r"(?:\b1[ \-.]?)?\([2-9][0-9]{2}\)[ \-.]?[2-9][0-9]{2}[ \-.][0-9]{4}\b"
            }
            Shape::IntlPhone => r"\+[1-9][0-9]{0,2}(?:[ \-.]?(?:\([0-9]{1,4}\)|[0-9]{1,6})){1,6}\b",
            Shape::DashGroups => return groups_pattern(t, "-"),
            Shape::SpaceGroups => return groups_pattern(t, " "),
            Shape::Digits => r"\b[0-9]{7,19}\b",
            // National numbers as written at home (`crate::plans` decides which are phones).
            // In the automaton as it is: a looser automaton pattern checked by the exact DFA
            // (as for IPv6) made the forward DFA smaller (1.55 MB -> 0.85 MB) but cost more,
            // +6 % instructions dense and +19 % typical, from the candidates it adds
            // (`bench/runs/2026-12-04-epyc-2vcpu.md`).
            // trunk-0 forms ending in a group of 3+ digits (so `2024-01-15` is not one), pairs
            // (FR, NL), an area code in parentheses (AU, BR, DE, GB, JP), `0 98765 43210` (IN),
            // and the forms without a trunk prefix: ES 3-3-3 / 3-2-2-2 / 2-3-2-2, IT mobiles,
            // BR `11 91234-5678`, IN `98765 43210`, AU 1300 / 1800.
            Shape::LocalPhone => concat!(
                r"\b0[1-9][0-9]{0,4}(?:[ \-./][0-9]{1,8}){0,3}[ \-./][0-9]{3,8}\b",
                r"|\b0[1-9](?:[ .\-][0-9]{2}){4}\b",
                r"|\b0[1-9][0-9][ .\-][0-9]{3}(?:[ .\-][0-9]{2}){2}\b",
                r"|\(0?[1-9][0-9]{0,4}\) ?[0-9]{2,8}(?:[ \-.][0-9]{2,8}){0,3}\b",
                r"|\b0 [6-9][0-9]{4} [0-9]{5}\b",
                r"|\b[6-9][0-9]{2}(?:[ .\-][0-9]{3}[ .\-][0-9]{3}|(?:[ .\-][0-9]{2}){3})\b",
                r"|\b[89][0-9][ .\-][0-9]{3}(?:[ .\-][0-9]{2}){2}\b",
                r"|\b3[0-9]{2}[ .\-](?:[0-9]{7}|[0-9]{3}[ .\-][0-9]{3,4})\b",
                r"|\b[1-9][0-9][ \-.]9?[0-9]{4}[ \-.][0-9]{4}\b",
                r"|\b[6-9][0-9]{4}[ \-][0-9]{5}\b",
                r"|\b1[38]00[ \-][0-9]{3}[ \-][0-9]{3}\b",
            ),
            Shape::SlashDate => r"\b[0-9]{1,4}/[0-9]{1,2}/[0-9]{2,4}\b",
            Shape::MonthDate => {
                return format!(
                    r"(?i:\b{MONTHS} [0-9]{{1,2}}(?:st|nd|rd|th)?,? [0-9]{{4}}\b|\b[0-9]{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTHS},? [0-9]{{4}}\b|\b[0-9]{{1,2}}-{MONTHS}-[0-9]{{2,4}}\b)"
                );
            }
            Shape::Passport => {
                r"\b(?:[A-Z][0-9]{7,8}|[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}|[0-9]{2}[A-Z]{2}[0-9]{5})\b"
            }
        };
        p.to_owned()
    }

    /// The pattern the multi-pattern automaton runs for this shape. The two secret shapes only
    /// contribute their anchor (the `secret` keyword, the access key id): their `[^\n]{0,160}?`
    /// gap before a 40-character token would multiply the lazy DFA's states with every other
    /// pattern's, so the engine matches the tail by hand ([`crate::shapes::secret_tail`]), with exactly the
    /// semantics of the full [`Shape::pattern`]; so does the e-mail after its `@`
    /// ([`crate::shapes::email_tail`]). The access key id, IPv6, IBAN and parenthesised phone patterns are
    /// looser than the exact ones (a match wherever the exact one matches, at the same start)
    /// and cheaper to determinize; the engine checks each candidate with the exact pattern.
    pub(crate) fn automaton_pattern(self, t: TypeSet) -> String {
        match self {
            // Only the `@`: the engine matches the rest by hand ([`crate::shapes::email_tail`]); the host's
            // counted labels were the largest part of the compiled automaton.
            Shape::Email => "@".to_owned(),
            Shape::AwsSecret => r"(?i:secret)".to_owned(),
            // Looser than the access key id (any 20-character word of `[A-Z0-9]` starting with
            // `A`): the prefixes split `3`, `A`, `B`, `C`, `I`, `K`, `S`, `T` from their
            // classes, which multiplied the lazy DFA's transitions; the engine checks the exact
            // pattern ([`crate::shapes::access_key_end`]) at each candidate.
            Shape::IdSecret => LOOSE_ACCESS_KEY.to_owned(),
            // The same pattern as `IdSecret`'s, which has priority, so it can never match there
            // (the engine turns an `IdSecret` without its secret into `AwsAccess`): an empty
            // class, which never matches and adds nothing to the automaton.
            Shape::AwsAccess if Shape::IdSecret.needed(t) => "[a&&b]".to_owned(),
            Shape::AwsAccess => LOOSE_ACCESS_KEY.to_owned(),
            // Where the exact pattern matches, this does too (`::` with the hex run before it,
            // or six hex groups), with no counted groups; the engine runs the exact pattern
            // from each candidate's start ([`crate::engine`]).
            Shape::Ipv6 => {
                r"(?:\b[0-9A-Fa-f][0-9A-Fa-f:]*)?::|\b(?:[0-9A-Fa-f]{1,4}:){6}[0-9A-Fa-f]"
                    .to_owned()
            }
            // The country code and check digits; the groups are matched by the exact pattern.
            Shape::Iban => r"\b[A-Z]{2}[0-9]{2}".to_owned(),
            // Up to the area code.
            Shape::ParenPhone => r"(?:\b1[ \-.]?)?\([2-9][0-9]{2}\)".to_owned(),
            _ => self.pattern(t),
        }
    }

    /// Whether the automaton has a looser pattern for this shape, whose candidates the engine
    /// checks with the exact [`Shape::pattern`] in a second DFA (see `Engine::find`).
    pub(crate) fn exact_by_dfa(self) -> bool {
        matches!(self, Shape::Ipv6 | Shape::Iban | Shape::ParenPhone)
    }

    /// Whether any requested type needs this shape.
    pub(crate) fn needed(self, t: TypeSet) -> bool {
        match self {
            Shape::Email => t.contains(T::Email),
            Shape::AwsSecret | Shape::IdSecret => t.contains(T::AwsSecretKey),
            Shape::AwsAccess => t.contains(T::AwsAccessKey),
            Shape::Iban => t.contains(T::InternationalBankAccountNumber),
            Shape::MacColon | Shape::MacDash | Shape::MacDot => t.contains(T::MacAddress),
            Shape::Ipv6 => t.contains(T::IpAddress),
            Shape::Dotted => t.any(&[T::IpAddress, T::Phone, T::DateTime]),
            Shape::ParenPhone | Shape::IntlPhone | Shape::LocalPhone => t.contains(T::Phone),
            Shape::DashGroups | Shape::SpaceGroups => {
                t.any(&[T::Ssn, T::Phone, T::CreditDebitNumber, T::DateTime])
            }
            Shape::Digits => t.any(&[
                T::CreditDebitNumber,
                T::Ssn,
                T::Phone,
                T::BankRouting,
                T::BankAccountNumber,
                T::PassportNumber,
            ]),
            Shape::SlashDate | Shape::MonthDate => t.contains(T::DateTime),
            Shape::Passport => t.contains(T::PassportNumber),
        }
    }
}

/// The automaton's pattern for the access key id shapes: every match of the exact one is a
/// match of this one, at the same start and end (both are 20 bytes between word boundaries).
const LOOSE_ACCESS_KEY: &str = r"\bA[A-Z0-9]{19}\b";

/// Digit groups separated by `sep`, only in the groupings the requested types use.
fn groups_pattern(t: TypeSet, sep: &str) -> String {
    let g = |s: &str| s.replace('_', sep);
    let mut alts = Vec::new();
    if t.contains(T::Ssn) {
        alts.push(g("[0-9]{3}_[0-9]{2}_[0-9]{4}"));
    }
    if t.contains(T::Phone) {
        alts.push(g("(?:1_)?[0-9]{3}_[0-9]{3}_[0-9]{4}"));
        alts.push(g("0[1-9](?:_[0-9]{2}){4}"));
        alts.push(g("0[0-9]{1,4}(?:_[0-9]{3,8}){1,3}"));
    }
    if t.contains(T::CreditDebitNumber) {
        alts.push(g("[0-9]{4}(?:_[0-9]{4}){2,3}(?:_[0-9]{1,4})?"));
        alts.push(g("[0-9]{4}_[0-9]{6}_[0-9]{4,5}"));
    }
    if t.contains(T::DateTime) {
        alts.push(g("[0-9]{4}_[0-9]{1,2}_[0-9]{1,2}"));
        alts.push(g("[0-9]{1,2}_[0-9]{1,2}_[0-9]{2,4}"));
    }
    format!(r"\b(?:{})\b", alts.join("|"))
}

impl Shape {
    /// Whether the engine finds a match's start with the reverse DFA (otherwise it knows the
    /// start from the shape).
    pub(crate) fn reverse_start(self) -> bool {
        !matches!(
            self,
            Shape::Email
                | Shape::Iban
                | Shape::IntlPhone
                | Shape::AwsSecret
                | Shape::IdSecret
                | Shape::AwsAccess
                | Shape::MacColon
                | Shape::MacDash
                | Shape::MacDot
                | Shape::DashGroups
                | Shape::SpaceGroups
                | Shape::Dotted
                | Shape::Digits
        )
    }
}

/// The patterns of the engine's automata for one set of types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Automata {
    /// The shapes the types need, in priority order.
    pub(crate) shapes: Vec<Shape>,
    /// The forward multi-pattern DFA's patterns, one per shape ([`Shape::automaton_pattern`]).
    pub(crate) fwd: Vec<String>,
    /// The reverse DFA's patterns: the indices in `fwd` of the shapes whose start the reverse
    /// DFA finds ([`Shape::reverse_start`]).
    pub(crate) rev: Vec<usize>,
    /// The exact patterns of the shapes that `fwd` has looser patterns for
    /// ([`Shape::exact_by_dfa`]), searched anchored.
    pub(crate) exact: Vec<String>,
}

impl Automata {
    /// The automata for the types `t`.
    pub(crate) fn new(t: TypeSet) -> Automata {
        let shapes: Vec<Shape> = Shape::ALL.into_iter().filter(|s| s.needed(t)).collect();
        Automata {
            fwd: shapes.iter().map(|s| s.automaton_pattern(t)).collect(),
            rev: (0..shapes.len())
                .filter(|i| shapes[*i].reverse_start())
                .collect(),
            exact: shapes
                .iter()
                .filter(|s| s.exact_by_dfa())
                .map(|s| s.pattern(t))
                .collect(),
            shapes,
        }
    }

    /// The reverse DFA's patterns.
    pub(crate) fn rev_patterns(&self) -> Vec<&str> {
        self.rev.iter().map(|i| self.fwd[*i].as_str()).collect()
    }

    /// Everything that decides the automata, as one string: an automaton compiled ahead of
    /// time is used only for the same key.
    pub(crate) fn key(&self) -> String {
        let mut k = String::new();
        for (name, list) in [
            ("fwd", self.fwd.iter().map(String::as_str).collect()),
            ("rev", self.rev_patterns()),
            (
                "exact",
                self.exact.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
        ] {
            k.push_str(name);
            k.push('\n');
            for p in list {
                k.push_str(p);
                k.push('\n');
            }
        }
        k
    }
}
