//! The engine must decide exactly as the previous one did: a `meta::Regex` over the full
//! shape patterns (secret tails included), with a reverse search for every match start.
//! That engine is kept here as the reference (with two fixes applied to both: a finding
//! between an access key id and its secret no longer drops the secret, and the text between
//! a `secret` keyword and its token is searched before the secret is taken).

use super::*;
use crate::corpus::{Density, Rng, mixed_text, mixed_text_at};
use crate::entity::EntityType as T;
use regex_automata::MatchKind;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;

struct Reference<'e> {
    engine: &'e Engine,
    re: Regex,
    cache: meta::Cache,
    pending: Option<Finding>,
    floor: usize,
    in_gap: bool,
}

impl<'e> Reference<'e> {
    fn new(engine: &'e Engine) -> Reference<'e> {
        Reference::with(engine, Reference::regex(engine))
    }

    /// The reference regex for `engine` (cheap to clone).
    fn regex(engine: &Engine) -> Regex {
        Regex::builder()
            .configure(
                Regex::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .utf8_empty(false),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(&engine.patterns())
            .unwrap()
    }

    fn with(engine: &'e Engine, re: Regex) -> Reference<'e> {
        let cache = re.create_cache();
        Reference {
            engine,
            re,
            cache,
            pending: None,
            floor: 0,
            in_gap: false,
        }
    }

    fn find(mut self, hay: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(f) = self.next(hay, at) {
            at = f.end.max(f.start + 1);
            out.push(f);
        }
        out
    }

    fn next(&mut self, hay: &[u8], from: usize) -> Option<Finding> {
        let limit = hay.len();
        let found = match self.pending {
            Some(p) => match self.search(hay, from, limit.min(p.start)) {
                Some(f) => {
                    if f.end > p.start {
                        self.pending = None;
                    }
                    Some(f)
                }
                None => {
                    self.pending = None;
                    Some(p)
                }
            },
            None => self.search(hay, from, limit),
        };
        if let Some(f) = found {
            self.floor = f.end;
        }
        found
    }

    fn search(&mut self, hay: &[u8], from: usize, limit: usize) -> Option<Finding> {
        let e = self.engine;
        let checker = Checker {
            hay,
            floor: self.floor,
            extra: std::cell::Cell::new(None),
            kw: &e.kw,
            types: e.types,
            scope: e.scope,
        };
        let mut at = from;
        while at < limit {
            let m = self
                .re
                .search_with(&mut self.cache, &Input::new(hay).range(at..hay.len()))?;
            if m.start() >= limit {
                return None;
            }
            let pid = m.pattern();
            let shape = e.shapes[pid.as_usize()];
            if let Some(f) = checker.validate(shape, m.start(), m.end()) {
                if let Some(x) = checker.extra.take() {
                    self.pending = Some(x);
                }
                // The engine's gap rule: text between a secret keyword and its token is
                // searched first (one level deep), the secret then waits its turn.
                if shape == Shape::AwsSecret
                    && f.start > m.start()
                    && self.pending.is_none()
                    && !self.in_gap
                {
                    self.in_gap = true;
                    let inner = self.search(hay, m.start() + 1, f.start);
                    self.in_gap = false;
                    if let Some(g) = inner {
                        if self.pending.is_none() && g.end <= f.start {
                            self.pending = Some(f);
                        }
                        return Some(g);
                    }
                }
                return Some(f);
            }
            for fb in &e.fallbacks[pid.as_usize()] {
                let input = Input::new(hay)
                    .range(m.start()..hay.len())
                    .anchored(Anchored::Pattern(*fb));
                if let Some(m2) = self.re.search_with(&mut self.cache, &input)
                    && let Some(f) = checker.validate(e.shapes[fb.as_usize()], m2.start(), m2.end())
                {
                    if let Some(x) = checker.extra.take() {
                        self.pending = Some(x);
                    }
                    return Some(f);
                }
            }
            checker.extra.set(None);
            at = if shape.skip_rejected() {
                crate::shapes::next_group(hay, m.start(), m.end())
            } else {
                m.start() + 1
            };
        }
        None
    }
}

fn find(engine: &Engine, hay: &[u8]) -> Vec<Finding> {
    let mut st = engine.scan_state();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(f) = engine
        .next(&mut st, hay, at, hay.len(), |f| Some(*f))
        .unwrap()
    {
        at = f.end.max(f.start + 1);
        out.push(f);
    }
    out
}

fn type_sets() -> Vec<(TypeSet, DateTimeScope)> {
    vec![
        (TypeSet::default_on(), DateTimeScope::Dob),
        (TypeSet::all(), DateTimeScope::All),
        (
            TypeSet::of(&[T::AwsSecretKey, T::Email]),
            DateTimeScope::Dob,
        ),
        (TypeSet::of(&[T::AwsAccessKey]), DateTimeScope::Dob),
        (
            TypeSet::of(&[T::Phone, T::IpAddress, T::MacAddress]),
            DateTimeScope::Dob,
        ),
    ]
}

/// Random text made of the pieces the shapes are built from, so candidates overlap,
/// nest and break in every way.
fn fragment_text(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        " ",
        " ",
        "\n",
        "=",
        "\"",
        "'",
        ":",
        "::",
        ".",
        "-",
        "/",
        "+",
        "(",
        ")",
        "@",
        ",",
        "secret",
        "SECRET_KEY",
        "aws_secret_access_key = ",
        "AKIA",
        "ASIA",
        "A3TX",
        "IOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "abcdEFGH12345678",
        "0",
        "1",
        "12",
        "202",
        "555",
        "0143",
        "4111",
        "1111",
        "2001",
        "db8",
        "fe80",
        "ffff",
        "192.168.1.1",
        "00:1A:2B",
        "ab",
        "DE89",
        "3704",
        "example.com",
        "bob",
        "ssn ",
        "phone ",
        "born ",
        "March 12, 1985",
        "12/03/1985",
        "passport ",
        "X1234567",
        "routing ",
        "021000021",
        "x",
        "é",
        "1985-03-12",
        "%eth0",
        "_",
        "a-b",
        "io",
        "c0",
        "mail.example.org",
        "AT61",
        "1904300234573201",
        "AXIA",
        "A3T",
        "QRSTUVWX",
    ];
    let n = rng.range(1, 60) as usize;
    (0..n).map(|_| *rng.pick(PIECES)).collect()
}

#[test]
fn default_types_use_the_embedded_automata() {
    let engine = Engine::new(TypeSet::default_on(), DateTimeScope::Dob).unwrap();
    let dfas = engine.dfas.as_ref().unwrap();
    assert!(matches!(dfas.fwd, Dfa::Table(_)));
    assert!(matches!(dfas.rev, Some(Dfa::Dense(..))));
    assert!(matches!(dfas.exact, Some(Dfa::Dense(..))));
    let other = Engine::new(TypeSet::all(), DateTimeScope::Dob).unwrap();
    assert!(matches!(other.dfas.as_ref().unwrap().fwd, Dfa::Lazy(_)));
}

/// The DFAs `build.rs` compiled give every search the same answer as the lazy DFAs built
/// at run time from the same patterns: forward from every position, anchored for every
/// pattern, reverse for every reverse pattern; and the engine finds the same values.
#[test]
fn embedded_automata_search_like_lazy_ones() {
    let a = Automata::new(TypeSet::default_on());
    let dense = Dfas::new(&a, true).unwrap();
    let lazy = Dfas::new(&a, false).unwrap();
    assert!(matches!(dense.fwd, Dfa::Table(_)) && matches!(lazy.fwd, Dfa::Lazy(_)));
    let mut texts = vec![
        mixed_text(3, 6_000),
        mixed_text_at(4, 8_000, Density::Typical),
    ];
    let mut rng = Rng::new(17);
    texts.extend((0..100).map(|_| fragment_text(&mut rng)));
    // Longer soups, so the second run of `Table::lockstep` starts, meets and gives up
    // in every way.
    texts.extend((0..20).map(|_| (0..25).map(|_| fragment_text(&mut rng)).collect()));
    let (mut dc, mut lc) = (dense.fwd.create_cache(), lazy.fwd.create_cache());
    let (rd, rl) = (dense.rev.as_ref().unwrap(), lazy.rev.as_ref().unwrap());
    let (ed, el) = (dense.exact.as_ref().unwrap(), lazy.exact.as_ref().unwrap());
    let (mut rdc, mut rlc) = (rd.create_cache(), rl.create_cache());
    let (mut edc, mut elc) = (ed.create_cache(), el.create_cache());
    for text in &texts {
        let hay = text.as_bytes();
        for p in 0..hay.len() {
            let input = Input::new(hay).range(p..);
            let want = lazy.fwd.search_fwd(&mut lc, &input).unwrap();
            assert_eq!(dense.fwd.search_fwd(&mut dc, &input).unwrap(), want);
            for i in 0..a.fwd.len() {
                let pid = PatternID::new(i).unwrap();
                let input = input.clone().anchored(Anchored::Pattern(pid));
                let want = lazy.fwd.search_fwd(&mut lc, &input).unwrap();
                assert_eq!(dense.fwd.search_fwd(&mut dc, &input).unwrap(), want);
            }
            for k in 0..a.exact.len() {
                let pid = PatternID::new(k).unwrap();
                let input = input.clone().anchored(Anchored::Pattern(pid));
                let want = el.search_fwd(&mut elc, &input).unwrap();
                assert_eq!(ed.search_fwd(&mut edc, &input).unwrap(), want);
            }
            for k in 0..a.rev.len() {
                let pid = PatternID::new(k).unwrap();
                let input = Input::new(hay)
                    .range(p.saturating_sub(40)..p)
                    .anchored(Anchored::Pattern(pid));
                let want = rl.search_rev(&mut rlc, &input).unwrap();
                assert_eq!(rd.search_rev(&mut rdc, &input).unwrap(), want);
            }
        }
    }
    let embedded = Engine::new(TypeSet::default_on(), DateTimeScope::Dob).unwrap();
    let built = Engine::with(TypeSet::default_on(), DateTimeScope::Dob, false).unwrap();
    for seed in 0..2 {
        for text in [
            mixed_text(seed, 40_000),
            mixed_text_at(seed, 60_000, Density::Typical),
        ] {
            let hay = text.as_bytes();
            assert_eq!(find(&embedded, hay), find(&built, hay), "seed {seed}");
        }
    }
}

/// [`email_tail`] matches exactly what the e-mail shape's regex matches from an `@`.
#[test]
fn email_tail_is_the_email_regex() {
    let re = Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(&Shape::Email.pattern(TypeSet::default_on()))
        .unwrap();
    let mut cache = re.create_cache();
    const PIECES: &[&str] = &[
        "@",
        ".",
        ".",
        "-",
        "_",
        "a",
        "b1",
        "x",
        "com",
        "org",
        "c0m",
        "9",
        " ",
        "é",
        "\n",
        "abcdefghijklmnopqrstuvw",
        "example",
        "-x",
        "..",
    ];
    let mut rng = Rng::new(5);
    let mut hays: Vec<String> = vec![
        format!("@{}.com", "a".repeat(63)),
        format!("@{}.com", "a".repeat(64)),
        format!("@b.{}", "z".repeat(24)),
        format!("@b.{}", "z".repeat(25)),
        "@a.b.c.d.e.f.g.h.ij".into(),
        "@a.b.c.d.e.f.g.h.i.jk".into(),
        "@a.b.c.d.e.f.g.hi.j".into(),
        "@x.co_".into(),
        "@x.co-uk".into(),
        "@x.c".into(),
        "@x.com.".into(),
        "@x.com1".into(),
    ];
    for _ in 0..20_000 {
        let n = rng.range(1, 24) as usize;
        let mut h = String::from("@");
        h.extend((0..n).map(|_| *rng.pick(PIECES)));
        hays.push(h);
    }
    for h in &hays {
        let input = Input::new(h.as_bytes()).anchored(Anchored::Yes);
        let want = re.search_with(&mut cache, &input).map(|m| m.end());
        assert_eq!(email_tail(h.as_bytes(), 0), want, "{h:?}");
    }
}

/// Hex groups, colons and dots: IPv6 forms and their near misses (the automaton's IPv6
/// pattern is looser than the exact one, see [`Engine::find`]), MAC addresses, times,
/// IPv4 tails, zones and ports.
#[test]
fn same_findings_on_hex_and_colon_soup() {
    const PIECES: &[&str] = &[
        ":",
        ":",
        "::",
        ".",
        "a",
        "f",
        "F",
        "0",
        "1",
        "12",
        "123",
        "1234",
        "12345",
        "abcd",
        "ffff",
        "g",
        " ",
        "-",
        "[",
        "]",
        "%",
        "eth0",
        "/",
        "1.2.3.4",
        "255",
        "_",
        "\n",
        "aa:bb:cc:dd:ee:ff",
        "10:22:01",
        "::ffff:",
        "fe80::",
        "]:8080",
    ];
    for (types, scope) in [
        (TypeSet::default_on(), DateTimeScope::Dob),
        (TypeSet::all(), DateTimeScope::All),
        (TypeSet::of(&[T::IpAddress]), DateTimeScope::Dob),
    ] {
        let engine = Engine::new(types, scope).unwrap();
        let re = Reference::regex(&engine);
        let mut rng = Rng::new(23);
        for i in 0..1500 {
            let n = rng.range(1, 40) as usize;
            let text: String = (0..n).map(|_| *rng.pick(PIECES)).collect();
            let want = Reference::with(&engine, re.clone()).find(text.as_bytes());
            assert_eq!(find(&engine, text.as_bytes()), want, "case {i}: {text:?}");
        }
    }
}

#[test]
fn same_findings_as_the_meta_regex_reference() {
    for (types, scope) in type_sets() {
        let engine = Engine::new(types, scope).unwrap();
        for seed in 0..2 {
            let text = mixed_text(seed, 40_000);
            let want = Reference::new(&engine).find(text.as_bytes());
            assert_eq!(find(&engine, text.as_bytes()), want, "corpus seed {seed}");
            // Typical density: long PII-free stretches of logs, rows, events and prose.
            let text = mixed_text_at(seed, 60_000, Density::Typical);
            let want = Reference::new(&engine).find(text.as_bytes());
            assert_eq!(find(&engine, text.as_bytes()), want, "typical seed {seed}");
        }
        let re = Reference::regex(&engine);
        let mut rng = Rng::new(11);
        for i in 0..600 {
            let text = fragment_text(&mut rng);
            let want = Reference::with(&engine, re.clone()).find(text.as_bytes());
            assert_eq!(find(&engine, text.as_bytes()), want, "case {i}: {text:?}");
        }
    }
}
