//! The compiled detector: one multi-pattern regex over all requested shapes, then validators.

use regex_automata::meta::{Cache, Regex};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};

use crate::config::DateTimeScope;
use crate::context::Keywords;
use crate::entity::TypeSet;
use crate::error::Error;
use crate::shapes::{Checker, Finding, Shape};

/// Compiled, immutable detection state; cheap to share between streams.
#[derive(Debug)]
pub(crate) struct Engine {
    re: Option<Regex>,
    shapes: Vec<Shape>,
    fallbacks: Vec<Vec<PatternID>>,
    kw: Keywords,
    types: TypeSet,
    scope: DateTimeScope,
}

impl Engine {
    pub(crate) fn new(types: TypeSet, scope: DateTimeScope) -> Result<Engine, Error> {
        let shapes: Vec<Shape> = Shape::ALL.into_iter().filter(|s| s.needed(types)).collect();
        let patterns: Vec<String> = shapes.iter().map(|s| s.pattern(types)).collect();
        let re = if patterns.is_empty() {
            None
        } else {
            let re = Regex::builder()
                .configure(
                    Regex::config()
                        .match_kind(MatchKind::LeftmostFirst)
                        .utf8_empty(false),
                )
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .build_many(&patterns)
                .map_err(|e| Error::Internal(format!("pattern build failed: {e}")))?;
            Some(re)
        };
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
            re,
            shapes,
            fallbacks,
            kw,
            types,
            scope,
        })
    }

    pub(crate) fn scan_state(&self) -> ScanState {
        ScanState {
            cache: self.re.as_ref().map(Regex::create_cache),
            pending: None,
            floor: 0,
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
    ) -> Option<Finding> {
        let found = match st.pending {
            Some(p) => match self.search(st, hay, from, limit.min(p.start), &mut accept) {
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
                        None => self.search(st, hay, p.start, limit, &mut accept),
                    }
                }
                None => None,
            },
            None => self.search(st, hay, from, limit, &mut accept),
        };
        if let Some(f) = found {
            st.floor = f.end;
        }
        found
    }

    fn search(
        &self,
        st: &mut ScanState,
        hay: &[u8],
        from: usize,
        limit: usize,
        accept: &mut impl FnMut(&Finding) -> Option<Finding>,
    ) -> Option<Finding> {
        let (Some(re), Some(cache)) = (self.re.as_ref(), st.cache.as_mut()) else {
            return None;
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
        while at < limit {
            let m = re.search_with(cache, &Input::new(hay).range(at..hay.len()))?;
            if m.start() >= limit {
                return None;
            }
            let pid = m.pattern();
            let shape = self.shapes[pid.as_usize()];
            if let Some(f) = checker
                .validate(shape, m.start(), m.end())
                .and_then(|f| accept(&f))
            {
                st.pending = checker.extra.take();
                return Some(f);
            }
            for fb in &self.fallbacks[pid.as_usize()] {
                let input = Input::new(hay)
                    .range(m.start()..hay.len())
                    .anchored(Anchored::Pattern(*fb));
                if let Some(m2) = re.search_with(cache, &input) {
                    let shape = self.shapes[fb.as_usize()];
                    if let Some(f) = checker
                        .validate(shape, m2.start(), m2.end())
                        .and_then(|f| accept(&f))
                    {
                        st.pending = checker.extra.take();
                        return Some(f);
                    }
                }
            }
            checker.extra.set(None);
            at = match shape {
                _ if shape.skip_rejected() => m.end(),
                _ => m.start() + 1,
            };
        }
        None
    }
}

/// Per-stream search state: the regex cache, a finding waiting its turn, and where the
/// previous finding ended.
#[derive(Debug)]
pub(crate) struct ScanState {
    cache: Option<Cache>,
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
