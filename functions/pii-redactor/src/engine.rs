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
        let patterns: Vec<String> = shapes.iter().map(|s| s.pattern()).collect();
        let re = if patterns.is_empty() {
            None
        } else {
            let re = Regex::builder()
                .configure(Regex::config().match_kind(MatchKind::LeftmostFirst).utf8_empty(false))
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
        let kw = Keywords::new().map_err(|e| Error::Internal(format!("keyword build failed: {e}")))?;
        Ok(Engine { re, shapes, fallbacks, kw, types, scope })
    }

    pub(crate) fn create_cache(&self) -> Option<Cache> {
        self.re.as_ref().map(Regex::create_cache)
    }

    /// The candidate patterns, one per line (for comparing raw engine speed with other tools).
    pub(crate) fn patterns(&self) -> Vec<String> {
        self.shapes.iter().map(|s| s.pattern()).collect()
    }

    /// The first validated finding that `accept`s and starts in `from..limit`.
    ///
    /// `hay` must extend at least [`crate::stream::LOOKAHEAD`] bytes past `limit` unless it
    /// ends where the object ends, so every decision here is the same as on the whole object.
    pub(crate) fn next(
        &self,
        cache: &mut Option<Cache>,
        hay: &[u8],
        from: usize,
        limit: usize,
        mut accept: impl FnMut(&Finding) -> Option<Finding>,
    ) -> Option<Finding> {
        let (Some(re), Some(cache)) = (self.re.as_ref(), cache.as_mut()) else {
            return None;
        };
        let checker = Checker { hay, kw: &self.kw, types: self.types, scope: self.scope };
        let mut at = from;
        while at < limit {
            let m = re.search_with(cache, &Input::new(hay).range(at..hay.len()))?;
            if m.start() >= limit {
                return None;
            }
            let pid = m.pattern();
            let shape = self.shapes[pid.as_usize()];
            if let Some(f) = checker.validate(shape, m.start(), m.end()).and_then(|f| accept(&f)) {
                return Some(f);
            }
            for fb in &self.fallbacks[pid.as_usize()] {
                let input = Input::new(hay).range(m.start()..hay.len()).anchored(Anchored::Pattern(*fb));
                if let Some(m2) = re.search_with(cache, &input) {
                    let shape = self.shapes[fb.as_usize()];
                    if let Some(f) = checker.validate(shape, m2.start(), m2.end()).and_then(|f| accept(&f)) {
                        return Some(f);
                    }
                }
            }
            at = m.start() + 1;
        }
        None
    }
}
