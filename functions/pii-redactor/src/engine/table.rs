//! The forward DFA of the default types as a plain transition table that `build.rs` writes
//! out of the fully built dense DFA, and its searches (unanchored by [`Table::lockstep`],
//! anchored by [`Table::finish`]), with the answers of `regex-automata`'s dense DFA.
//!
//! Why not the dense DFA itself: loading a serialized one safely (`dense::DFA::from_bytes`)
//! validates every transition, ~0.3 ms of every process's start-up for the 1.5 MB forward
//! DFA, while an embedded table needs no validation (indexing is bounds-checked, so a wrong
//! table could only give wrong answers or panic, never undefined behaviour). Its rows are
//! also shorter: the DFA's 48 columns (192 bytes, three cache lines) instead of a stride of
//! 64, the commonest text bytes' columns first (the order made no measurable difference).

use regex_automata::{Anchored, HalfMatch, Input, MatchError, PatternID};

/// A forward DFA as `build.rs` wrote it.
///
/// A state is the index of its row's first entry in [`Table::trans`]; each row holds the next
/// state for each column. The dead state is 0, then come the match states (so "dead or
/// match" is one comparison), then the rest.
#[derive(Debug)]
pub(crate) struct Table {
    /// Each byte's column.
    pub(super) columns: [u8; 256],
    /// The column of the end of input.
    pub(super) eoi: usize,
    /// States below this are the dead state or match states.
    pub(super) special_end: u32,
    /// The (highest priority) pattern of each match state, at its state divided by 16 (rows
    /// have at least 16 entries, so no two share an entry; a shift where the row length would
    /// take a division, which showed in the profile at one match per ~50 bytes).
    pub(super) patterns: &'static [u32],
    /// Start states: 257 unanchored ones (at the text start, then after each byte value),
    /// then 257 anchored ones for each pattern.
    pub(super) starts: &'static [u32],
    /// The transitions (generated Rust source, not `include_bytes!`: a `u32` slice is indexed
    /// with one bounds check, where decoding bytes took more instructions and was ~10 %
    /// slower on typical text).
    pub(super) trans: &'static [u32],
}

/// How far ahead of the search the second run of [`Table::lockstep`] starts.
const LEAD: usize = 32;

impl Table {
    /// The transition at `i` (a wrong table panics here: a branch off the dependent chain of
    /// loads, where a `get` that falls back to the dead state put a conditional move on it and
    /// was slower).
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        self.trans[i]
    }

    #[inline(always)]
    fn next(&self, s: u32, byte: u8) -> u32 {
        self.at(s as usize + usize::from(self.columns[usize::from(byte)]))
    }

    #[inline(always)]
    fn special(&self, s: u32) -> bool {
        s < self.special_end
    }

    /// A match state's pattern (`s` is a match state).
    fn pattern(&self, s: u32) -> PatternID {
        let p = self.patterns.get((s >> 4) as usize).copied().unwrap_or(0);
        PatternID::new_unchecked(p as usize)
    }

    /// The start state of a search of `hay[at..]`.
    fn start(&self, anchored: Anchored, hay: &[u8], at: usize) -> Result<u32, MatchError> {
        let base = match anchored {
            Anchored::No => 0,
            Anchored::Pattern(p) => 257 * (1 + p.as_usize()),
            Anchored::Yes => return Err(MatchError::unsupported_anchored(anchored)),
        };
        let look = at.checked_sub(1).map_or(0, |p| 1 + usize::from(hay[p]));
        self.starts
            .get(base + look)
            .copied()
            .ok_or_else(|| MatchError::unsupported_anchored(anchored))
    }

    /// `try_search_fwd` of the dense DFA this table was written from.
    pub(super) fn search(&self, input: &Input<'_>) -> Result<Option<HalfMatch>, MatchError> {
        let hay = input.haystack();
        let sid = self.start(input.get_anchored(), hay, input.start())?;
        if input.get_anchored() == Anchored::No && input.end() == hay.len() {
            Ok(self.lockstep(hay, input.start(), sid))
        } else {
            Ok(self.finish(hay, input.start(), input.end(), sid, None))
        }
    }

    /// An unanchored search of `hay[at..]` from its start state `ts` (leftmost-first, the
    /// dense DFA's answer), stepping two positions at once to hide the latency of the
    /// transition loads.
    ///
    /// Following a DFA is one dependent load per byte, so a single search waits on memory at
    /// every byte. Here a second run `L` starts `LEAD` bytes ahead, at `m`, and both step in
    /// lockstep. Until its first match, an unanchored DFA's state is a function of the threads
    /// started since the search began; when the main run `T` reaches `m` without a match and
    /// then is in the same state as `L` at the same position (both before any match),
    /// everything after is the same, so `T` takes over `L`'s position and state (or its
    /// finished result) and starts a new lead. When they do not meet within `L`'s recorded
    /// states, `L`'s work is dropped.
    fn lockstep(&self, hay: &[u8], at: usize, mut ts: u32) -> Option<HalfMatch> {
        let mut t = at;
        loop {
            let m = t + LEAD;
            if m + LEAD > hay.len() {
                return self.finish(hay, t, hay.len(), ts, None);
            }
            let l0 = self.starts.get(1 + usize::from(hay[m - 1])).copied()?;
            let (tb, lb) = (&hay[t..m], &hay[m..m + LEAD]);
            let mut ls = l0;
            // L's state after each byte (only the first `pre` are before its first match).
            let mut rec = [l0; LEAD];
            let mut pre = LEAD;
            // L's result once it has finished (`None`: still running).
            let mut l_done: Option<Option<HalfMatch>> = None;
            let mut n = 0;
            // Both runs, until L finishes or T reaches `m`.
            while n < LEAD {
                let a = self.next(ts, tb[n]);
                let b = self.next(ls, lb[n]);
                rec[n] = b;
                if !(self.special(a) || self.special(b)) {
                    (ts, ls) = (a, b);
                    n += 1;
                    continue;
                }
                if let Some(r) = self.special_t(hay, t + n, a) {
                    return r;
                }
                ts = a;
                if self.special(b) {
                    pre = n;
                    l_done = Some(if b == 0 {
                        None
                    } else {
                        let mat = HalfMatch::new(self.pattern(b), m + n);
                        self.finish(hay, m + n + 1, hay.len(), b, Some(mat))
                    });
                    n += 1;
                    break;
                }
                ls = b;
                n += 1;
            }
            // T alone up to `m`.
            for (k, byte) in tb.iter().enumerate().skip(n) {
                let a = self.next(ts, *byte);
                if self.special(a)
                    && let Some(r) = self.special_t(hay, t + k, a)
                {
                    return r;
                }
                ts = a;
            }
            // T meets L?
            let mut met = ts == l0;
            let mut k = 0;
            while !met && k < pre {
                let a = self.next(ts, lb[k]);
                if self.special(a)
                    && let Some(r) = self.special_t(hay, m + k, a)
                {
                    return r;
                }
                ts = a;
                met = a == rec[k];
                k += 1;
            }
            match (met, l_done) {
                (true, Some(r)) => return r,
                (true, None) => (t, ts) = (m + LEAD, ls),
                (false, _) => t = m + k,
            }
        }
    }

    /// T entered the special state `s` on the byte at `p` before any match: its final answer
    /// (a match, continued to its end; or no match at the dead state).
    #[inline(always)]
    fn special_t(&self, hay: &[u8], p: usize, s: u32) -> Option<Option<HalfMatch>> {
        if s == 0 {
            return Some(None);
        }
        let mat = HalfMatch::new(self.pattern(s), p);
        Some(self.finish(hay, p + 1, hay.len(), s, Some(mat)))
    }

    /// The rest of a forward search of `hay[..end]` from state `s` before `hay[p]`, with `mat`
    /// the last match so far: one byte at a time, as `regex-automata`'s own loop (match states
    /// record a match ending at the current byte, the dead state ends the search, the end is
    /// stepped with the byte after it, or the end-of-input transition at the haystack's end).
    #[inline(always)]
    fn finish(
        &self,
        hay: &[u8],
        p: usize,
        end: usize,
        mut s: u32,
        mut mat: Option<HalfMatch>,
    ) -> Option<HalfMatch> {
        for (k, byte) in hay[..end].iter().enumerate().skip(p) {
            s = self.next(s, *byte);
            if self.special(s) {
                if s == 0 {
                    return mat;
                }
                mat = Some(HalfMatch::new(self.pattern(s), k));
            }
        }
        s = match hay.get(end) {
            Some(b) => self.next(s, *b),
            None => self.at(s as usize + self.eoi),
        };
        if s != 0 && self.special(s) {
            mat = Some(HalfMatch::new(self.pattern(s), end));
        }
        mat
    }
}
