//! The engine's DFAs: the forward (match end), reverse (match start) and exact (anchored)
//! automata, embedded dense ones for the default types (compiled by `build.rs`) or lazy ones
//! built at run time, and the two-run forward search [`lockstep_fwd`] over a dense DFA.

use regex_automata::dfa::{Automaton, dense};
use regex_automata::hybrid::dfa::{Cache as LazyCache, DFA as LazyDfa};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, HalfMatch, Input, MatchError, MatchKind, PatternID};

use crate::error::Error;
use crate::patterns::{Automata, nfa_config, syntax_config};

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

/// Serialized dense DFAs that `build.rs` compiled from [`Automata`]'s patterns.
struct Embedded {
    /// [`Automata::key`] of the patterns they were compiled from.
    key: &'static str,
    fwd: &'static [u8],
    rev: Option<&'static [u8]>,
    exact: Option<&'static [u8]>,
}

// `EMBEDDED`: the default types' automata.
include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// One of the engine's DFAs: compiled ahead of time ([`Embedded`], a fully built dense DFA:
/// no build and no determinization at run time) or at run time (a lazy DFA).
#[derive(Debug)]
pub(super) enum Dfa {
    Dense(dense::DFA<&'static [u32]>, Starts),
    Lazy(LazyDfa),
}

/// A DFA's per-stream state: a lazy DFA's cache (a dense DFA needs none).
pub(super) type DfaCache = Option<LazyCache>;

impl Dfa {
    pub(super) fn create_cache(&self) -> DfaCache {
        match self {
            Dfa::Dense(..) => None,
            Dfa::Lazy(d) => Some(d.create_cache()),
        }
    }

    pub(super) fn search_fwd(
        &self,
        cache: &mut DfaCache,
        input: &Input<'_>,
    ) -> Result<Option<HalfMatch>, MatchError> {
        match self {
            Dfa::Dense(d, starts)
                if input.get_anchored() == Anchored::No
                    && input.end() == input.haystack().len() =>
            {
                lockstep_fwd(d, starts, input.haystack(), input.start())
            }
            // Anchored (a candidate's exact pattern, a fallback): the few bytes of one match,
            // without `try_search_fwd`'s set-up.
            Dfa::Dense(d, _) if input.end() == input.haystack().len() => {
                let sid = d.start_state_forward(input)?;
                finish_fwd(d, input.haystack(), input.start(), sid, None)
            }
            Dfa::Dense(d, _) => d.try_search_fwd(input),
            Dfa::Lazy(d) => d.try_search_fwd(cache.get_or_insert_with(|| d.create_cache()), input),
        }
    }

    pub(super) fn search_rev(
        &self,
        cache: &mut DfaCache,
        input: &Input<'_>,
    ) -> Result<Option<HalfMatch>, MatchError> {
        match self {
            Dfa::Dense(d, _) => d.try_search_rev(input),
            Dfa::Lazy(d) => d.try_search_rev(cache.get_or_insert_with(|| d.create_cache()), input),
        }
    }

    /// Loads a serialized dense DFA (validated by `from_bytes`).
    fn load(bytes: &'static [u8]) -> Result<Dfa, Error> {
        let (dfa, _) = dense::DFA::from_bytes(bytes).map_err(build_error)?;
        Ok(Dfa::Dense(dfa, Starts::default()))
    }

    /// [`Dfa::load`] for a forward DFA searched unanchored, with its start states.
    fn load_fwd(bytes: &'static [u8]) -> Result<Dfa, Error> {
        let (dfa, _) = dense::DFA::from_bytes(bytes).map_err(build_error)?;
        let starts = Starts::new(&dfa).map_err(build_error)?;
        Ok(Dfa::Dense(dfa, starts))
    }
}

/// The unanchored forward start state for each byte before the search start (the start
/// state depends on it through `\b`): [`lockstep_fwd`] starts a run every few dozen bytes.
#[derive(Debug, Default)]
pub(super) struct Starts(Vec<StateID>);

impl Starts {
    fn new(dfa: &dense::DFA<&'static [u32]>) -> Result<Starts, regex_automata::dfa::StartError> {
        (0..=255u8)
            .map(|b| dfa.start_state(&start::Config::new().look_behind(Some(b))))
            .collect::<Result<_, _>>()
            .map(Starts)
    }

    /// The start state of an unanchored search of `hay[at..]`.
    fn at(
        &self,
        dfa: &dense::DFA<&'static [u32]>,
        hay: &[u8],
        at: usize,
    ) -> Result<StateID, MatchError> {
        match at
            .checked_sub(1)
            .and_then(|p| self.0.get(usize::from(hay[p])))
        {
            Some(s) => Ok(*s),
            None => dfa.start_state_forward(&Input::new(hay).range(at..)),
        }
    }
}

/// How far ahead of the search the second stream of [`lockstep_fwd`] starts.
const LEAD: usize = 32;

/// `dfa.try_search_fwd` for an unanchored search of `hay[at..]` (leftmost-first, the same
/// answer), stepping two positions at once to hide the latency of the transition loads.
///
/// Following a DFA is one dependent load per byte, so a single search waits on memory at every
/// byte. Here a second run `L` starts `LEAD` bytes ahead, at `m`, and both step in lockstep.
/// Until its first match, an unanchored DFA's state is a function of the threads started since
/// the search began; when the main run `T` reaches `m` without a match and then is in the same
/// state as `L` at the same position (both before any match), everything after is the same,
/// so `T` takes over `L`'s position and state (or its finished result) and starts a new lead.
/// When they do not meet within `L`'s recorded states, `L`'s work is dropped.
fn lockstep_fwd(
    dfa: &dense::DFA<&'static [u32]>,
    starts: &Starts,
    hay: &[u8],
    at: usize,
) -> Result<Option<HalfMatch>, MatchError> {
    let mut t = at;
    let mut ts = starts.at(dfa, hay, at)?;
    loop {
        let m = t + LEAD;
        if m + LEAD > hay.len() {
            return finish_fwd(dfa, hay, t, ts, None);
        }
        let l0 = starts.at(dfa, hay, m)?;
        let (tb, lb) = (&hay[t..m], &hay[m..m + LEAD]);
        let mut ls = l0;
        // L's state after each byte (only the first `pre` are before its first match).
        let mut rec = [l0; LEAD];
        let mut pre = LEAD;
        // L's result once it has finished (`None`: still running, or given up).
        let mut l_done: Option<Option<HalfMatch>> = None;
        let mut given_up = false;
        let mut n = 0;
        // Both runs, until L finishes or T reaches `m`.
        while n < LEAD {
            let a = dfa.next_state(ts, tb[n]);
            let b = dfa.next_state(ls, lb[n]);
            rec[n] = b;
            if !(dfa.is_special_state(a) || dfa.is_special_state(b)) {
                (ts, ls) = (a, b);
                n += 1;
                continue;
            }
            if let Some(r) = special_fwd(dfa, hay, t + n, a)? {
                return Ok(r);
            }
            ts = a;
            if dfa.is_special_state(b) && (dfa.is_match_state(b) || dfa.is_dead_state(b)) {
                pre = n;
                l_done = Some(if dfa.is_match_state(b) {
                    let mat = HalfMatch::new(dfa.match_pattern(b, 0), m + n);
                    finish_fwd(dfa, hay, m + n + 1, b, Some(mat))?
                } else {
                    None
                });
                n += 1;
                break;
            } else if dfa.is_quit_state(b) {
                (pre, given_up) = (0, true);
                n += 1;
                break;
            }
            ls = b;
            n += 1;
        }
        // T alone up to `m`.
        for (k, byte) in tb.iter().enumerate().skip(n) {
            let a = dfa.next_state(ts, *byte);
            if dfa.is_special_state(a)
                && let Some(r) = special_fwd(dfa, hay, t + k, a)?
            {
                return Ok(r);
            }
            ts = a;
        }
        // T meets L?
        let mut met = ts == l0 && !given_up;
        let mut k = 0;
        while !met && k < pre {
            let a = dfa.next_state(ts, lb[k]);
            if dfa.is_special_state(a)
                && let Some(r) = special_fwd(dfa, hay, m + k, a)?
            {
                return Ok(r);
            }
            ts = a;
            met = a == rec[k];
            k += 1;
        }
        match (met, l_done) {
            (true, Some(r)) => return Ok(r),
            (true, None) => (t, ts) = (m + LEAD, ls),
            (false, _) => t = m + k,
        }
    }
}

/// T entered the special state `sid` on the byte at `p` before any match: its final answer
/// (a match, continued to its end; or no match at a dead state), or `None` to go on.
#[inline(always)]
fn special_fwd(
    dfa: &dense::DFA<&'static [u32]>,
    hay: &[u8],
    p: usize,
    sid: StateID,
) -> Result<Option<Option<HalfMatch>>, MatchError> {
    if dfa.is_match_state(sid) {
        let mat = HalfMatch::new(dfa.match_pattern(sid, 0), p);
        finish_fwd(dfa, hay, p + 1, sid, Some(mat)).map(Some)
    } else if dfa.is_dead_state(sid) {
        Ok(Some(None))
    } else if dfa.is_quit_state(sid) {
        Err(MatchError::quit(hay[p], p))
    } else {
        Ok(None)
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
        Some((
            Dfa::load_fwd(e.fwd).ok()?,
            load(e.rev).ok()?,
            load(e.exact).ok()?,
        ))
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
