//! The compiled detector: one multi-pattern DFA over all requested shapes, then validators.
//!
//! The search is the one `regex-automata`'s meta regex would do (leftmost-first forward DFA
//! for the match end, then the match start), minus its per-call overhead: the start of most
//! shapes is known from the shape itself (an e-mail starts at its `@`, a MAC address is 17
//! bytes long...), so the reverse DFA only runs for the shapes whose start is ambiguous.
//! The default types' DFAs are compiled by `build.rs` (the forward one written out as a
//! [`table::Table`]); other type sets get lazy DFAs built here.

use std::sync::Mutex;

use regex_automata::{Anchored, Input, MatchError, PatternID};

use crate::config::DateTimeScope;
use crate::context::Keywords;
use crate::entity::TypeSet;
use crate::error::Error;
use crate::patterns::Automata;
use crate::shapes::{
    self, Checker, Finding, SECRET_AFTER_ID, SECRET_AFTER_KEYWORD, Shape, email_tail, secret_tail,
};

use crate::split::Worker;
use dfa::{Caches, Dfa, DfaCache, Dfas};

mod dfa;
mod table;
#[cfg(test)]
mod tests;

/// Lazy DFA caches kept for the next stream (more only when streams run concurrently).
const POOL: usize = 4;

/// Compiled, immutable detection state; cheap to share between streams.
#[derive(Debug)]
pub(crate) struct Engine {
    dfas: Option<Dfas>,
    /// Caches of finished streams: the DFA states they built are reused, so a small object
    /// (one warm Lambda invocation) does not rebuild them.
    pool: Mutex<Vec<Caches>>,
    /// Idle search threads of finished streams (two-thread search, `crate::split`).
    workers: Mutex<Vec<Worker>>,
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
            workers: Mutex::new(Vec::new()),
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

    /// An idle search thread a finished stream left, if any.
    pub(crate) fn take_worker(&self) -> Option<Worker> {
        self.workers.lock().ok().and_then(|mut w| w.pop())
    }

    /// Keeps a finished stream's idle search thread for the next stream (at most [`POOL`];
    /// dropping one ends its thread).
    pub(crate) fn give_worker(&self, worker: Worker) {
        if let Ok(mut workers) = self.workers.lock()
            && workers.len() < POOL
        {
            workers.push(worker);
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
    /// Nothing waits and no finding reached past `at`: a search from a line start `at` with a
    /// fresh state decides the same (see `crate::split`).
    pub(crate) fn settled(&self, at: usize) -> bool {
        self.pending.is_none() && self.floor <= at
    }

    /// Continues where `other`, a search of the text after this one's, ended; `delta` is
    /// what is added to `other`'s offsets to make them this one's.
    pub(crate) fn take_over(&mut self, other: &mut ScanState, delta: usize) {
        self.pending = other.pending.take().map(|p| Finding {
            start: p.start + delta,
            end: p.end + delta,
            ..p
        });
        // A search that found nothing leaves the floor where it was.
        if other.floor > 0 {
            self.floor = other.floor + delta;
        }
    }

    /// The state of a search that has found nothing yet (the caches are kept).
    pub(crate) fn reset(&mut self) {
        self.pending = None;
        self.floor = 0;
    }

    /// The window dropped its first `n` bytes.
    pub(crate) fn shift(&mut self, n: usize) {
        self.floor = self.floor.saturating_sub(n);
        if let Some(p) = &mut self.pending {
            p.start -= n;
            p.end -= n;
        }
    }
}
