//! Two threads for plain text (`threads: 2`): a block is split at a line break near its
//! middle and both halves are searched at once.
//!
//! Why a line break is a safe split: no shape matches across `\n` (digit groups, hosts and
//! tokens never contain it, and the secret shapes' gaps are `[^\n]`), an e-mail's local part
//! stops at it, and a secret that waits its turn (behind an access key id or a `secret`
//! keyword) is on its trigger's line. So once the first half has been searched up to the line
//! start `q` with nothing waiting and no finding reaching past `q`, a fresh search from `q`
//! decides exactly what the sequential search would. When that does not hold, the caller
//! goes on sequentially from where the first half ended, so the output is the same either way.

use crate::engine::{Engine, ScanState};
use crate::error::Error;
use crate::shapes::Finding;

/// Fewest bytes worth two threads (a thread's start costs tens of microseconds).
pub(crate) const MIN_SPLIT: usize = 64 * 1024;

/// The findings in `hay[from..limit]`, searched by two threads, and where the sequential
/// search goes on (`limit` when both halves were used); `None` when the range is too small or
/// has no line break in its second half.
pub(crate) fn find_split(
    engine: &Engine,
    st: &mut ScanState,
    hay: &[u8],
    from: usize,
    limit: usize,
) -> Result<Option<(Vec<Finding>, usize)>, Error> {
    if limit.saturating_sub(from) < MIN_SPLIT {
        return Ok(None);
    }
    let mid = from + (limit - from) / 2;
    let Some(q) = memchr::memchr(b'\n', &hay[mid..limit]).map(|p| mid + p + 1) else {
        return Ok(None);
    };
    if q >= limit {
        return Ok(None);
    }
    let mut second = engine.scan_state();
    let (first, rest) = std::thread::scope(|s| {
        let h = s.spawn(|| collect(engine, &mut second, hay, q, limit));
        let first = collect(engine, st, hay, from, q);
        (first, h.join())
    });
    let mut found = first?;
    let rest = rest.map_err(|_| Error::Internal("search thread panicked".to_owned()))?;
    let scanned = found.last().map_or(q, |f| f.end.max(q));
    if !st.settled(q) {
        engine.recycle(&mut second);
        return Ok(Some((found, scanned)));
    }
    found.extend(rest?);
    st.take_over(&mut second);
    engine.recycle(&mut second);
    let scanned = found.last().map_or(limit, |f| f.end.max(limit));
    Ok(Some((found, scanned)))
}

/// Every finding starting in `from..limit`, as the sequential loop takes them.
fn collect(
    engine: &Engine,
    st: &mut ScanState,
    hay: &[u8],
    from: usize,
    limit: usize,
) -> Result<Vec<Finding>, Error> {
    let mut found = Vec::new();
    let mut at = from;
    while at < limit {
        let Some(f) = engine.next(st, hay, at, limit, |f| Some(*f))? else {
            break;
        };
        at = f.end;
        found.push(f);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DateTimeScope;
    use crate::corpus::mixed_text;
    use crate::entity::TypeSet;

    /// On a dense corpus both halves are used and the findings are the sequential ones.
    #[test]
    fn both_halves_find_what_one_search_finds() {
        let engine = Engine::new(TypeSet::default_on(), DateTimeScope::Dob).unwrap();
        let text = mixed_text(9, 600_000);
        let hay = text.as_bytes();
        let limit = hay.len() - crate::stream::LOOKAHEAD;
        let mut st = engine.scan_state();
        let want = collect(&engine, &mut st, hay, 0, limit).unwrap();
        let mut st = engine.scan_state();
        let (got, scanned) = find_split(&engine, &mut st, hay, 0, limit)
            .unwrap()
            .unwrap();
        assert!(scanned >= limit, "the second half was used");
        assert!(got.len() > 5000);
        assert_eq!(got, want);
        // Too small to split.
        let mut st = engine.scan_state();
        assert!(
            find_split(&engine, &mut st, hay, 0, MIN_SPLIT - 1)
                .unwrap()
                .is_none()
        );
    }
}
