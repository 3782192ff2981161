//! Compiles the default entity types' automata ahead of time.
//!
//! Building the multi-pattern automaton is work every process would otherwise repeat: the lazy
//! DFA determinizes its states while it searches, which was a fifth of the instructions on a
//! 5 MB object. Here the same patterns (`src/patterns.rs`, shared with the library) become
//! fully built dense DFAs, serialized into `OUT_DIR` and embedded with `include_bytes!`; the
//! engine loads them with the validating `dense::DFA::from_bytes`, and builds lazy DFAs at run
//! time for every other set of types. The forward DFA, the largest, is written out as a
//! transition table instead (`src/engine/table.rs`: it needs no validation at start-up).

use std::fmt::Write as _;
use std::path::Path;

use std::collections::{BTreeSet, HashMap};

use regex_automata::dfa::{Automaton, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind, PatternID};

#[allow(dead_code, unreachable_pub)]
#[path = "src/entity.rs"]
mod entity;
#[allow(dead_code, unreachable_pub)]
#[path = "src/patterns.rs"]
mod patterns;

/// One dense DFA over `patterns`, serialized in the target's byte order.
fn dense_dfa(patterns: &[&str], kind: MatchKind, reverse: bool, big_endian: bool) -> Vec<u8> {
    let dfa = build_dfa(patterns, kind, reverse);
    let (bytes, pad) = if big_endian {
        dfa.to_bytes_big_endian()
    } else {
        dfa.to_bytes_little_endian()
    };
    bytes[pad..].to_vec()
}

fn build_dfa(patterns: &[&str], kind: MatchKind, reverse: bool) -> dense::DFA<Vec<u32>> {
    dense::Builder::new()
        .configure(
            dense::DFA::config()
                .match_kind(kind)
                .starts_for_each_pattern(true)
                .minimize(true),
        )
        .syntax(patterns::syntax_config())
        .thompson(patterns::nfa_config(reverse))
        .build_many(patterns)
        .unwrap_or_else(|e| panic!("building a DFA over {patterns:?}: {e}"))
}

/// Bytes of text roughly from the commonest down (letters of English, digits, punctuation of
/// logs and data): a table row's columns follow this order, meant to put the transitions taken
/// most often on one cache line. Only the speed depends on it, and against byte-value order no
/// difference was measured (run record 2026-12-06).
const BYTE_RANK: &[u8] = b" etaoinsrhldcumfpgwybvkxjqz0123456789.,-:/_=\"'@()ETAOINSRHLDCUMFPGWYBVKXJQZ\n;#+*&%$!?<>[]{}|~`^\\\t\r";

/// `dfa` (forward, no quit bytes) as the source of a `Table` (`src/engine/table.rs`) whose
/// transitions are in the file `trans` (an array expression): every state reachable from a
/// start state, the dead state first and the match states next, each the index of its row.
fn table_source(dfa: &dense::DFA<Vec<u32>>, trans: &Path) -> String {
    let npat = dfa.pattern_len();
    let looks = std::iter::once(None).chain((0..=255u8).map(Some));
    let mut starts = Vec::new();
    for anchored in std::iter::once(Anchored::No)
        .chain((0..npat).map(|p| Anchored::Pattern(PatternID::new(p).expect("pattern id"))))
    {
        for look in looks.clone() {
            let cfg = start::Config::new().anchored(anchored).look_behind(look);
            starts.push(dfa.start_state(&cfg).expect("start state"));
        }
    }
    let mut seen: BTreeSet<StateID> = starts.iter().copied().collect();
    let mut todo: Vec<StateID> = seen.iter().copied().collect();
    while let Some(s) = todo.pop() {
        let next = (0..=255u8)
            .map(|b| dfa.next_state(s, b))
            .chain([dfa.next_eoi_state(s)]);
        for n in next {
            if seen.insert(n) {
                todo.push(n);
            }
        }
    }
    let mut order: Vec<StateID> = seen.into_iter().collect();
    assert!(order.iter().all(|s| !dfa.is_quit_state(*s)), "quit state");
    order.sort_by_key(|s| (!dfa.is_dead_state(*s), !dfa.is_match_state(*s), *s));
    assert!(dfa.is_dead_state(order[0]), "no dead state");
    let nmatch = order.iter().filter(|s| dfa.is_match_state(**s)).count();
    // Columns: the byte classes by rank, then the end of input.
    let classes = dfa.byte_classes();
    let nclass = dfa.alphabet_len() - 1;
    let rank = |b: u8| {
        BYTE_RANK
            .iter()
            .position(|x| *x == b)
            .unwrap_or(BYTE_RANK.len())
    };
    let mut by_rank: Vec<(usize, u8)> = (0..nclass)
        .map(|c| {
            let r = (0..=255u8)
                .filter(|b| usize::from(classes.get(*b)) == c)
                .map(|b| (rank(b), b))
                .min()
                .expect("class without bytes");
            (r.0, r.1)
        })
        .collect();
    by_rank.sort();
    // Column -> a byte of its class.
    let reps: Vec<u8> = by_rank.iter().map(|(_, b)| *b).collect();
    let row = nclass + 1;
    assert!((16..=256).contains(&row), "byte classes unfit for a table");
    let id: HashMap<StateID, u32> = order
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, u32::try_from(i * row).expect("table too large")))
        .collect();
    let mut text = String::with_capacity(order.len() * row * 7);
    text.push('[');
    for s in &order {
        let next = reps
            .iter()
            .map(|b| dfa.next_state(*s, *b))
            .chain([dfa.next_eoi_state(*s)]);
        for n in next {
            write!(text, "{},", id[&n]).expect("write to String");
        }
    }
    text.push(']');
    std::fs::write(trans, text).expect("writing a table");
    let columns: Vec<usize> = (0..=255u8)
        .map(|b| {
            reps.iter()
                .position(|r| classes.get(*r) == classes.get(b))
                .expect("class")
        })
        .collect();
    let mut patterns = vec![0; (1 + nmatch) * row / 16 + 1];
    for (i, s) in order.iter().enumerate().take(1 + nmatch).skip(1) {
        patterns[i * row / 16] = dfa.match_pattern(*s, 0).as_usize();
    }
    let start_ids: Vec<u32> = starts.iter().map(|s| id[s]).collect();
    format!(
        "Table {{ columns: {columns:?}, eoi: {}, special_end: {}, patterns: &{patterns:?}, starts: &{start_ids:?}, trans: &Aligned64 {{ bytes: include!({:?}) }}.bytes }}",
        nclass,
        (1 + nmatch) * row,
        trans.display().to_string()
    )
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src/entity.rs");
    println!("cargo::rerun-if-changed=src/patterns.rs");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let big_endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").is_ok_and(|e| e == "big");
    let sets = [("default", entity::TypeSet::default_on())];
    let mut code = String::from(
        "// Generated by build.rs: the automata compiled ahead of time.\n\
         static EMBEDDED: &[Embedded] = &[\n",
    );
    let mut statics = String::new();
    for (name, types) in sets {
        let a = patterns::Automata::new(types);
        let fwd: Vec<&str> = a.fwd.iter().map(String::as_str).collect();
        let exact: Vec<&str> = a.exact.iter().map(String::as_str).collect();
        let fwd_var = format!("{}_FWD", name.to_uppercase());
        let table = table_source(
            &build_dfa(&fwd, MatchKind::LeftmostFirst, false),
            &Path::new(&out).join(format!("{name}.fwd.table.rs")),
        );
        writeln!(statics, "static {fwd_var}: Table = {table};").expect("write to String");
        let mut file = |part: &str, bytes: Vec<u8>| {
            let path = Path::new(&out).join(format!("{name}.{part}.dfa"));
            std::fs::write(&path, bytes).expect("writing a DFA");
            let var = format!("{}_{}", name.to_uppercase(), part.to_uppercase());
            writeln!(
                statics,
                "static {var}: &Aligned<[u8]> = &Aligned {{ _align: [], bytes: *include_bytes!({:?}) }};",
                path.display().to_string()
            )
            .expect("write to String");
            var
        };
        let rev_var = if a.rev.is_empty() {
            "None".to_owned()
        } else {
            let v = file(
                "rev",
                dense_dfa(&a.rev_patterns(), MatchKind::All, true, big_endian),
            );
            format!("Some(&{v}.bytes)")
        };
        let exact_var = if exact.is_empty() {
            "None".to_owned()
        } else {
            let v = file(
                "exact",
                dense_dfa(&exact, MatchKind::LeftmostFirst, false, big_endian),
            );
            format!("Some(&{v}.bytes)")
        };
        writeln!(
            code,
            "    Embedded {{ key: {:?}, fwd: &{fwd_var}, rev: {rev_var}, exact: {exact_var} }},",
            a.key()
        )
        .expect("write to String");
    }
    code.push_str("];\n");
    code.push_str(&statics);
    std::fs::write(Path::new(&out).join("embedded.rs"), code).expect("writing embedded.rs");
}
