//! The compiled detector: one multi-pattern DFA over all requested shapes, then validators.
//!
//! The search is the one `regex-automata`'s meta regex would do (leftmost-first forward DFA
//! for the match end, then the match start), minus its per-call overhead: the start of most
//! shapes is known from the shape itself (an e-mail starts at its `@`, a MAC address is 17
//! bytes long...), so the reverse DFA only runs for the shapes whose start is ambiguous.
//! The default types' DFAs are dense ones compiled by `build.rs` (searched forward by
//! [`lockstep_fwd`]); other type sets get lazy DFAs built here.

use std::sync::Mutex;

use regex_automata::dfa::{Automaton, dense};
use regex_automata::hybrid::dfa::{Cache as LazyCache, DFA as LazyDfa};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, HalfMatch, Input, MatchError, MatchKind, PatternID};

use crate::config::DateTimeScope;
use crate::context::Keywords;
use crate::entity::TypeSet;
use crate::error::Error;
use crate::patterns::{Automata, nfa_config, syntax_config};
use crate::shapes::{
    self, Checker, Finding, SECRET_AFTER_ID, SECRET_AFTER_KEYWORD, Shape, email_tail, secret_tail,
};

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
enum Dfa {
    Dense(dense::DFA<&'static [u32]>, Starts),
    Lazy(LazyDfa),
}

/// A DFA's per-stream state: a lazy DFA's cache (a dense DFA needs none).
type DfaCache = Option<LazyCache>;

impl Dfa {
    fn create_cache(&self) -> DfaCache {
        match self {
            Dfa::Dense(..) => None,
            Dfa::Lazy(d) => Some(d.create_cache()),
        }
    }

    fn search_fwd(
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

    fn search_rev(
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
struct Starts(Vec<StateID>);

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
struct Dfas {
    fwd: Dfa,
    rev: Option<Dfa>,
    /// Forward pattern index → the pattern's id in `rev`.
    rev_id: Vec<Option<PatternID>>,
    /// The exact patterns of the shapes that `fwd` has looser patterns for
    /// ([`Shape::exact_by_dfa`], see [`Engine::find`]), only ever searched anchored.
    exact: Option<Dfa>,
    /// Forward pattern index → the pattern's id in `exact`.
    exact_id: Vec<Option<PatternID>>,
}

/// DFA caches of one stream, one per DFA.
#[derive(Debug)]
struct Caches {
    fwd: DfaCache,
    rev: Option<DfaCache>,
    exact: Option<DfaCache>,
}

fn build_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("pattern build failed: {e}"))
}

impl Dfas {
    /// The DFAs for `a`: the embedded ones when `build.rs` compiled the same patterns, else
    /// built here.
    fn new(a: &Automata, embedded: bool) -> Result<Dfas, Error> {
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

/// Lazy DFA caches kept for the next stream (more only when streams run concurrently).
const POOL: usize = 4;

/// Compiled, immutable detection state; cheap to share between streams.
#[derive(Debug)]
pub(crate) struct Engine {
    dfas: Option<Dfas>,
    /// Caches of finished streams: the DFA states they built are reused, so a small object
    /// (one warm Lambda invocation) does not rebuild them.
    pool: Mutex<Vec<Caches>>,
    shapes: Vec<Shape>,
    fallbacks: Vec<Vec<PatternID>>,
    kw: Keywords,
    types: TypeSet,
    scope: DateTimeScope,
}

fn search_error(e: &MatchError) -> Error {
    Error::Internal(format!("pattern search failed: {e}"))
}

impl Engine {
    pub(crate) fn new(types: TypeSet, scope: DateTimeScope) -> Result<Engine, Error> {
        Engine::with(types, scope, true)
    }

    /// `embedded`: whether DFAs compiled ahead of time may be used (tests compare both kinds).
    fn with(types: TypeSet, scope: DateTimeScope, embedded: bool) -> Result<Engine, Error> {
        let automata = Automata::new(types);
        let dfas = if automata.fwd.is_empty() {
            None
        } else {
            Some(Dfas::new(&automata, embedded)?)
        };
        let shapes = automata.shapes;
        let fallbacks = shapes
            .iter()
            .map(|s| {
                s.fallbacks()
                    .iter()
                    .filter_map(|f| shapes.iter().position(|x| x == f))
                    .filter_map(|i| PatternID::new(i).ok())
                    .collect()
            })
            .collect();
        let kw =
            Keywords::new().map_err(|e| Error::Internal(format!("keyword build failed: {e}")))?;
        Ok(Engine {
            dfas,
            pool: Mutex::new(Vec::new()),
            shapes,
            fallbacks,
            kw,
            types,
            scope,
        })
    }

    pub(crate) fn scan_state(&self) -> ScanState {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        ScanState {
            caches: pooled.or_else(|| {
                self.dfas.as_ref().map(|d| Caches {
                    fwd: d.fwd.create_cache(),
                    rev: d.rev.as_ref().map(Dfa::create_cache),
                    exact: d.exact.as_ref().map(Dfa::create_cache),
                })
            }),
            pending: None,
            floor: 0,
        }
    }

    /// Takes back a finished stream's caches for the next one.
    pub(crate) fn recycle(&self, st: &mut ScanState) {
        if let Some(c) = st.caches.take()
            && let Ok(mut pool) = self.pool.lock()
            && pool.len() < POOL
        {
            pool.push(c);
        }
    }

    /// The candidate patterns, one per line (for comparing raw engine speed with other tools).
    pub(crate) fn patterns(&self) -> Vec<String> {
        self.shapes.iter().map(|s| s.pattern(self.types)).collect()
    }

    /// The next validated finding that `accept`s and starts in `from..limit`; findings come
    /// in order and never overlap.
    ///
    /// `hay` must extend at least [`crate::stream::LOOKAHEAD`] bytes past `limit` unless it
    /// ends where the object ends, so every decision here is the same as on the whole object.
    pub(crate) fn next(
        &self,
        st: &mut ScanState,
        hay: &[u8],
        from: usize,
        limit: usize,
        mut accept: impl FnMut(&Finding) -> Option<Finding>,
    ) -> Result<Option<Finding>, Error> {
        let found = match st.pending {
            Some(p) => match self.search(st, hay, from, limit.min(p.start), &mut accept)? {
                Some(f) => {
                    if f.end > p.start {
                        st.pending = None;
                    }
                    Some(f)
                }
                None if p.start < limit || limit == hay.len() => {
                    st.pending = None;
                    match accept(&p) {
                        Some(p) => Some(p),
                        None => self.search(st, hay, p.start, limit, &mut accept)?,
                    }
                }
                None => None,
            },
            None => self.search(st, hay, from, limit, &mut accept)?,
        };
        if let Some(f) = found {
            st.floor = f.end;
        }
        Ok(found)
    }

    fn index(&self, shape: Shape) -> Option<usize> {
        self.shapes.iter().position(|s| *s == shape)
    }

    fn search(
        &self,
        st: &mut ScanState,
        hay: &[u8],
        from: usize,
        limit: usize,
        accept: &mut impl FnMut(&Finding) -> Option<Finding>,
    ) -> Result<Option<Finding>, Error> {
        let (Some(dfas), Some(caches)) = (self.dfas.as_ref(), st.caches.as_mut()) else {
            return Ok(None);
        };
        let checker = Checker {
            hay,
            floor: st.floor,
            extra: std::cell::Cell::new(None),
            kw: &self.kw,
            types: self.types,
            scope: self.scope,
        };
        let mut at = from;
        let mut limit = limit;
        // A keyword-anchored secret whose token lies past other text (`secret for
        // bob@example.com: <token>`): the text between is searched first, with the secret
        // waiting here, so a value there is not skipped. `(secret, the caller's limit)`.
        let mut gap: Option<(Finding, usize)> = None;
        loop {
            let found = if at < limit {
                self.find(dfas, caches, hay, at)?
            } else {
                None
            };
            let Some((mut i, start, mut end)) = found else {
                // Nothing (else) in the gap: the waiting secret is next.
                let Some((secret, outer)) = gap.take() else {
                    return Ok(None);
                };
                match accept(&secret) {
                    Some(f) => return Ok(Some(f)),
                    None => {
                        (at, limit) = (secret.start + 1, outer);
                        continue;
                    }
                }
            };
            if start >= limit {
                // Past the gap (or the window): settle the waiting secret first.
                at = limit;
                continue;
            }
            // The secret shapes' automaton patterns are only their anchors; their tails are
            // matched here, and where the tail is missing the full pattern does not match.
            match self.shapes[i] {
                // No other shape starts with `@`, so without a tail the next match starts later.
                Shape::Email => match email_tail(hay, start) {
                    Some(e) => end = e,
                    None => {
                        at = start + 1;
                        continue;
                    }
                },
                Shape::AwsSecret => match secret_tail(hay, end, SECRET_AFTER_KEYWORD) {
                    Some(e) => end = e,
                    None => {
                        at = start + 1;
                        continue;
                    }
                },
                Shape::IdSecret => match secret_tail(hay, end, SECRET_AFTER_ID) {
                    Some(e) => end = e,
                    // The id alone is the next pattern in priority order.
                    None => match self.index(Shape::AwsAccess) {
                        Some(a) => i = a,
                        None => {
                            at = start + 1;
                            continue;
                        }
                    },
                },
                _ => {}
            }
            let shape = self.shapes[i];
            let validated = checker.validate(shape, start, end);
            if let Some(secret) = validated
                && shape == Shape::AwsSecret
                && secret.start > start
                && gap.is_none()
                && st.pending.is_none()
            {
                gap = Some((secret, limit));
                (at, limit) = (start + 1, secret.start);
                continue;
            }
            if let Some(f) = validated.and_then(|f| accept(&f)) {
                if let Some(w) = waiting_after(&f, checker.extra.take(), gap.map(|(s, _)| s)) {
                    st.pending = Some(w);
                }
                return Ok(Some(f));
            }
            for fb in &self.fallbacks[i] {
                if let Some(fb_end) = self.anchored(dfas, caches, hay, fb.as_usize(), start)? {
                    let shape = self.shapes[fb.as_usize()];
                    if let Some(f) = checker
                        .validate(shape, start, fb_end)
                        .and_then(|f| accept(&f))
                    {
                        if let Some(w) =
                            waiting_after(&f, checker.extra.take(), gap.map(|(s, _)| s))
                        {
                            st.pending = Some(w);
                        }
                        return Ok(Some(f));
                    }
                }
            }
            checker.extra.set(None);
            at = if shape.skip_rejected() {
                crate::shapes::next_group(hay, start, end)
            } else {
                start + 1
            };
        }
    }

    /// The leftmost-first match of the full shape patterns (the ones [`Engine::patterns`]
    /// lists) starting at or after `at`: `(pattern, start, end)`.
    ///
    /// The multi-pattern DFA has looser IPv6, IBAN, parenthesised phone and access key id
    /// patterns ([`Shape::automaton_pattern`]): they match wherever the exact ones do, and more, but
    /// determinize into far fewer states. Leftmost-first means the smallest start, then the
    /// earliest pattern there, so the DFA's answer is the exact one unless it is a loose
    /// candidate; then the exact shape, else the later patterns, are tried anchored at its
    /// start, else the search goes on from the next byte.
    fn find(
        &self,
        dfas: &Dfas,
        caches: &mut Caches,
        hay: &[u8],
        mut at: usize,
    ) -> Result<Option<(usize, usize, usize)>, Error> {
        loop {
            let input = Input::new(hay).range(at..);
            let Some(hm) = dfas
                .fwd
                .search_fwd(&mut caches.fwd, &input)
                .map_err(|e| search_error(&e))?
            else {
                return Ok(None);
            };
            let i = hm.pattern().as_usize();
            let end = hm.offset();
            let start = self.start(dfas, &mut caches.rev, i, hay, at, end)?;
            let shape = self.shapes[i];
            if !(shape.exact_by_dfa() || matches!(shape, Shape::IdSecret | Shape::AwsAccess)) {
                return Ok(Some((i, start, end)));
            }
            for j in i..self.shapes.len() {
                if let Some(e) = self.anchored(dfas, caches, hay, j, start)? {
                    return Ok(Some((j, start, e)));
                }
            }
            at = start + 1;
        }
    }

    /// The end of pattern `i`'s leftmost-first match starting exactly at `start`.
    fn anchored(
        &self,
        dfas: &Dfas,
        caches: &mut Caches,
        hay: &[u8],
        i: usize,
        start: usize,
    ) -> Result<Option<usize>, Error> {
        let input = Input::new(hay).range(start..);
        let m = match (
            self.shapes[i],
            dfas.exact_id[i],
            &dfas.exact,
            &mut caches.exact,
        ) {
            (Shape::IdSecret | Shape::AwsAccess, ..) => {
                return Ok(shapes::access_key_end(hay, start));
            }
            (_, Some(pid), Some(dfa), Some(cache)) => {
                dfa.search_fwd(cache, &input.anchored(Anchored::Pattern(pid)))
            }
            _ => {
                let pid = PatternID::new(i).map_err(|e| Error::Internal(e.to_string()))?;
                dfas.fwd
                    .search_fwd(&mut caches.fwd, &input.anchored(Anchored::Pattern(pid)))
            }
        };
        Ok(m.map_err(|e| search_error(&e))?.map(|m| m.offset()))
    }

    /// The start of the leftmost-first match of pattern `i` that the forward search from `at`
    /// found ending at `end`: the smallest `s >= at` with `hay[s..end]` in the pattern.
    fn start(
        &self,
        dfas: &Dfas,
        rev: &mut Option<DfaCache>,
        i: usize,
        hay: &[u8],
        at: usize,
        end: usize,
    ) -> Result<usize, Error> {
        let span = &hay[at..end];
        let s = match self.shapes[i] {
            // Exactly one `@` / `+` per match, at its start (a few bytes before `end`: a plain
            // backward scan beats setting up `memrchr`).
            Shape::Email => span.iter().rposition(|c| *c == b'@').map(|p| at + p),
            Shape::IntlPhone => span.iter().rposition(|c| *c == b'+').map(|p| at + p),
            // Fixed lengths: `secret`, an access key id, MAC addresses.
            Shape::AwsSecret => end.checked_sub(6),
            Shape::IdSecret | Shape::AwsAccess => end.checked_sub(20),
            Shape::MacColon | Shape::MacDash => end.checked_sub(17),
            Shape::MacDot => end.checked_sub(14),
            // The automaton's IBAN pattern: country code and check digits.
            Shape::Iban => end.checked_sub(4),
            // Digit groups: the first word start in the run of digits and separators before
            // `end` from which the whole rest is in the pattern.
            Shape::DashGroups => self.group_start(hay, at, end, b'-'),
            Shape::SpaceGroups => self.group_start(hay, at, end, b' '),
            Shape::Dotted => self.group_start(hay, at, end, b'.'),
            // `\b[0-9]{7,19}\b`: a digit run, which no match can start inside.
            Shape::Digits => {
                Some(end - span.iter().rev().take_while(|c| c.is_ascii_digit()).count())
            }
            _ => {
                let (Some(pid), Some(dfa), Some(cache)) = (dfas.rev_id[i], &dfas.rev, rev) else {
                    return Err(Error::Internal("no reverse pattern".to_owned()));
                };
                let input = Input::new(hay)
                    .range(at..end)
                    .anchored(Anchored::Pattern(pid));
                dfa.search_rev(cache, &input)
                    .map_err(|e| search_error(&e))?
                    .map(|m| m.offset())
            }
        };
        s.filter(|s| *s >= at && *s < end)
            .ok_or_else(|| Error::Internal("match without a start".to_owned()))
    }

    /// Start of a `DashGroups` / `SpaceGroups` / `Dotted` match ending at `end`: the smallest
    /// `s >= at` where `\b` holds and `hay[s..end]` is in the pattern. Such a start begins one
    /// of the digit groups of the `sep`-joined run that ends at `end`.
    fn group_start(&self, hay: &[u8], at: usize, end: usize, sep: u8) -> Option<usize> {
        // The run's groups, right to left (no pattern has more than 5).
        const MAX: usize = 8;
        let (mut lens, mut starts, mut n) = ([0usize; MAX], [0usize; MAX], 0);
        let mut p = end;
        while n < MAX {
            let group_end = p;
            while p > at && hay[p - 1].is_ascii_digit() {
                p -= 1;
            }
            if p == group_end {
                break;
            }
            (lens[n], starts[n]) = (group_end - p, p);
            n += 1;
            if p > at && hay[p - 1] == sep {
                p -= 1;
            } else {
                break;
            }
        }
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut l = [0usize; MAX];
        (0..n).rev().find_map(|k| {
            let p = starts[k];
            if p > 0 && word(hay[p - 1]) {
                return None;
            }
            for (j, len) in lens[..=k].iter().rev().enumerate() {
                l[j] = *len;
            }
            shapes::groups_match(&l[..=k], &hay[p..end], sep, self.types).then_some(p)
        })
    }
}

/// The secret that waits its turn once `found` is returned (`None`: whatever waited before still
/// does; a gap secret only exists when nothing waited): one its validator found behind it
/// (an access key id's secret), else the keyword secret whose gap `found` was in — unless `found`
/// reaches into it (another keyword before the same token), which would emit it twice.
fn waiting_after(
    found: &Finding,
    behind: Option<Finding>,
    gap_secret: Option<Finding>,
) -> Option<Finding> {
    behind.or_else(|| gap_secret.filter(|s| found.end <= s.start))
}

/// Per-stream search state: the lazy DFA caches, a finding waiting its turn, and where the
/// previous finding ended.
#[derive(Debug)]
pub(crate) struct ScanState {
    caches: Option<Caches>,
    pending: Option<Finding>,
    floor: usize,
}

impl ScanState {
    /// The window dropped its first `n` bytes.
    pub(crate) fn shift(&mut self, n: usize) {
        self.floor = self.floor.saturating_sub(n);
        if let Some(p) = &mut self.pending {
            p.start -= n;
            p.end -= n;
        }
    }
}

#[cfg(test)]
mod tests {
    //! The engine must decide exactly as the previous one did: a `meta::Regex` over the full
    //! shape patterns (secret tails included), with a reverse search for every match start.
    //! That engine is kept here as the reference (with two fixes applied to both: a finding
    //! between an access key id and its secret no longer drops the secret, and the text between
    //! a `secret` keyword and its token is searched before the secret is taken).

    use super::*;
    use crate::corpus::{Density, Rng, mixed_text, mixed_text_at};
    use crate::entity::EntityType as T;
    use regex_automata::meta::{self, Regex};

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
                        && let Some(f) =
                            checker.validate(e.shapes[fb.as_usize()], m2.start(), m2.end())
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
        assert!(matches!(dfas.fwd, Dfa::Dense(..)));
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
        assert!(matches!(dense.fwd, Dfa::Dense(..)) && matches!(lazy.fwd, Dfa::Lazy(_)));
        let mut texts = vec![
            mixed_text(3, 6_000),
            mixed_text_at(4, 8_000, Density::Typical),
        ];
        let mut rng = Rng::new(17);
        texts.extend((0..100).map(|_| fragment_text(&mut rng)));
        // Longer soups, so the second stream of `lockstep_fwd` starts, meets and gives up
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
}
