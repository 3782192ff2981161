//! The engine's DFAs: the forward (match end), reverse (match start) and exact (anchored)
//! automata, embedded ones for the default types (compiled by `build.rs`: the forward one as
//! a [`Table`], the others as dense DFAs) or lazy ones built at run time.

use regex_automata::dfa::{Automaton, dense};
use regex_automata::hybrid::dfa::{Cache as LazyCache, DFA as LazyDfa};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;
use regex_automata::{Anchored, HalfMatch, Input, MatchError, MatchKind, PatternID};

use crate::error::Error;
use crate::patterns::{Automata, nfa_config, syntax_config};

use super::table::Table;

/// Upper bound of each lazy DFA's transition cache. It only grows as states are met (about
/// 0.4 MB forward for the default types on the benchmark corpus); a full cache is cleared and
/// rebuilt, never an error.
const CACHE_CAPACITY: usize = 8 << 20;

/// Bytes aligned for a `u32` view: how a serialized dense DFA must be embedded for
/// [`dense::DFA::from_bytes`] (the documented pattern of `regex-automata`).
#[repr(C)]
struct Aligned<B: ?Sized> {
    _align: [u32; 0],
    bytes: B,
}

/// Aligned to a cache line: a [`Table`]'s transitions (so a row of 16 or 48 entries starts at
/// a line).
#[repr(C, align(64))]
struct Aligned64<B: ?Sized> {
    bytes: B,
}

/// Serialized dense DFAs that `build.rs` compiled from [`Automata`]'s patterns.
struct Embedded {
    /// [`Automata::key`] of the patterns they were compiled from.
    key: &'static str,
    fwd: &'static Table,
    rev: Option<&'static [u8]>,
    exact: Option<&'static [u8]>,
}

// `EMBEDDED`: the default types' automata.
include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// One of the engine's DFAs: compiled ahead of time ([`Embedded`], fully built: no build and
/// no determinization at run time) or at run time (a lazy DFA).
#[derive(Debug)]
pub(super) enum Dfa {
    /// The embedded forward DFA.
    Table(&'static Table),
    Dense(dense::DFA<&'static [u32]>),
    Lazy(LazyDfa),
}

/// A DFA's per-stream state: a lazy DFA's cache (a dense DFA needs none).
pub(super) type DfaCache = Option<LazyCache>;

impl Dfa {
    pub(super) fn create_cache(&self) -> DfaCache {
        match self {
            Dfa::Table(_) | Dfa::Dense(_) => None,
            Dfa::Lazy(d) => Some(d.create_cache()),
        }
    }

    pub(super) fn search_fwd(
        &self,
        cache: &mut DfaCache,
        input: &Input<'_>,
    ) -> Result<Option<HalfMatch>, MatchError> {
        match self {
            Dfa::Table(t) => t.search(input),
            // Anchored (a candidate's exact pattern): the few bytes of one match, without
            // `try_search_fwd`'s set-up.
            Dfa::Dense(d)
                if input.get_anchored() != Anchored::No
                    && input.end() == input.haystack().len() =>
            {
                let sid = d.start_state_forward(input)?;
                finish_fwd(d, input.haystack(), input.start(), sid, None)
            }
            Dfa::Dense(d) => d.try_search_fwd(input),
            Dfa::Lazy(d) => d.try_search_fwd(cache.get_or_insert_with(|| d.create_cache()), input),
        }
    }

    pub(super) fn search_rev(
        &self,
        cache: &mut DfaCache,
        input: &Input<'_>,
    ) -> Result<Option<HalfMatch>, MatchError> {
        match self {
            Dfa::Table(_) => Err(MatchError::unsupported_anchored(input.get_anchored())),
            Dfa::Dense(d) => d.try_search_rev(input),
            Dfa::Lazy(d) => d.try_search_rev(cache.get_or_insert_with(|| d.create_cache()), input),
        }
    }

    /// Loads a serialized dense DFA (validated by `from_bytes`).
    fn load(bytes: &'static [u8]) -> Result<Dfa, Error> {
        let (dfa, _) = dense::DFA::from_bytes(bytes).map_err(build_error)?;
        Ok(Dfa::Dense(dfa))
    }
}

/// The rest of a forward search from state `sid` before `hay[p]`, with `mat` the last match
/// so far: one byte at a time, as `regex-automata`'s own loop (match states record a match
/// ending at the current byte, a dead state ends the search, the end of the haystack is
/// stepped with the end-of-input transition).
#[inline(always)]
fn finish_fwd(
    dfa: &dense::DFA<&'static [u32]>,
    hay: &[u8],
    p: usize,
    mut sid: StateID,
    mut mat: Option<HalfMatch>,
) -> Result<Option<HalfMatch>, MatchError> {
    for (k, byte) in hay.iter().enumerate().skip(p) {
        sid = dfa.next_state(sid, *byte);
        if dfa.is_special_state(sid) {
            if dfa.is_match_state(sid) {
                mat = Some(HalfMatch::new(dfa.match_pattern(sid, 0), k));
            } else if dfa.is_dead_state(sid) {
                return Ok(mat);
            } else if dfa.is_quit_state(sid) {
                return Err(MatchError::quit(*byte, k));
            }
        }
    }
    sid = dfa.next_eoi_state(sid);
    if dfa.is_match_state(sid) {
        mat = Some(HalfMatch::new(dfa.match_pattern(sid, 0), hay.len()));
    }
    Ok(mat)
}

/// The forward (match end) DFA over all patterns, and the reverse (match start) one over
/// the patterns whose start is not known from the shape ([`Shape::reverse_start`]).
#[derive(Debug)]
pub(super) struct Dfas {
    pub(super) fwd: Dfa,
    pub(super) rev: Option<Dfa>,
    /// Forward pattern index → the pattern's id in `rev`.
    pub(super) rev_id: Vec<Option<PatternID>>,
    /// The exact patterns of the shapes that `fwd` has looser patterns for
    /// ([`Shape::exact_by_dfa`], see [`Engine::find`]), only ever searched anchored.
    pub(super) exact: Option<Dfa>,
    /// Forward pattern index → the pattern's id in `exact`.
    pub(super) exact_id: Vec<Option<PatternID>>,
}

/// DFA caches of one stream, one per DFA.
#[derive(Debug)]
pub(super) struct Caches {
    pub(super) fwd: DfaCache,
    pub(super) rev: Option<DfaCache>,
    pub(super) exact: Option<DfaCache>,
}

pub(super) fn build_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("pattern build failed: {e}"))
}

impl Dfas {
    /// The DFAs for `a`: the embedded ones when `build.rs` compiled the same patterns, else
    /// built here.
    pub(super) fn new(a: &Automata, embedded: bool) -> Result<Dfas, Error> {
        let mut rev_id = vec![None; a.fwd.len()];
        for (k, i) in a.rev.iter().enumerate() {
            rev_id[*i] = Some(PatternID::new(k).map_err(build_error)?);
        }
        let mut exact_id = vec![None; a.fwd.len()];
        let loose = (0..a.shapes.len()).filter(|i| a.shapes[*i].exact_by_dfa());
        for (k, i) in loose.enumerate() {
            exact_id[i] = Some(PatternID::new(k).map_err(build_error)?);
        }
        let (fwd, rev, exact) = match Dfas::embedded(a).filter(|_| embedded) {
            Some(d) => d,
            None => Dfas::build(a)?,
        };
        Ok(Dfas {
            fwd,
            rev,
            rev_id,
            exact,
            exact_id,
        })
    }

    /// The DFAs `build.rs` compiled for the same patterns, if it did (and they load).
    #[allow(clippy::type_complexity)]
    fn embedded(a: &Automata) -> Option<(Dfa, Option<Dfa>, Option<Dfa>)> {
        let key = a.key();
        let e = EMBEDDED.iter().find(|e| e.key == key)?;
        let load = |b: Option<&'static [u8]>| b.map(Dfa::load).transpose();
        Some((Dfa::Table(e.fwd), load(e.rev).ok()?, load(e.exact).ok()?))
    }

    /// Lazy DFAs; each pattern is parsed once, both directions are compiled from the same
    /// syntax trees.
    #[allow(clippy::type_complexity)]
    fn build(a: &Automata) -> Result<(Dfa, Option<Dfa>, Option<Dfa>), Error> {
        let hirs = syntax::parse_many_with(&a.fwd, &syntax_config()).map_err(build_error)?;
        let build = |hirs: &[&_], kind: MatchKind, reverse: bool| {
            let nfa = thompson::Compiler::new()
                .configure(nfa_config(reverse))
                .build_many_from_hir(hirs)
                .map_err(build_error)?;
            LazyDfa::builder()
                .configure(
                    LazyDfa::config()
                        .match_kind(kind)
                        .starts_for_each_pattern(true)
                        .cache_capacity(CACHE_CAPACITY)
                        .minimum_cache_clear_count(None),
                )
                .build_from_nfa(nfa)
                .map(Dfa::Lazy)
                .map_err(build_error)
        };
        let all: Vec<_> = hirs.iter().collect();
        let fwd = build(&all, MatchKind::LeftmostFirst, false)?;
        let rev_hirs: Vec<_> = a.rev.iter().map(|i| &hirs[*i]).collect();
        let rev = if rev_hirs.is_empty() {
            None
        } else {
            Some(build(&rev_hirs, MatchKind::All, true)?)
        };
        let exact = if a.exact.is_empty() {
            None
        } else {
            let hirs = syntax::parse_many_with(&a.exact, &syntax_config()).map_err(build_error)?;
            let hirs: Vec<_> = hirs.iter().collect();
            Some(build(&hirs, MatchKind::LeftmostFirst, false)?)
        };
        Ok((fwd, rev, exact))
    }
}
