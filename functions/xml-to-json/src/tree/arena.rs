//! The string arena of the tree: one growing byte buffer in an anonymous mapping of its own,
//! so that the kernel can back it with transparent huge pages.
//!
//! The arena holds every string of the document until the root closes (about the input's
//! size). In a `Vec` each 4 KiB page of it is a page fault when first written, and on a VM a
//! fault costs about 3 µs: 1 500 faults, an eighth of the CPU time of a 6 MB conversion
//! (bench/runs/2026-12-05-amd-epyc-2.md). Here the first 2 MiB are ordinary pages (a small
//! document touches a few, as before), and the next 30 MiB are advised as huge pages
//! (`MADV_HUGEPAGE`, which Linux honours when transparent huge pages are `always` or
//! `madvise`): one fault per 2 MiB. Elsewhere it is an ordinary mapping.
//!
//! The mapping reserves address space only ([`RESERVE`], not backed until written, not
//! counted against swap); a bigger arena moves to a mapping twice the size.

use memmap2::{MmapMut, MmapOptions};

/// Address space reserved up front.
const RESERVE: usize = 1 << 30;
/// Smaller reservations tried when the system refuses a big one (strict overcommit,
/// address-space limits).
const FALLBACKS: [usize; 3] = [64 << 20, 1 << 20, 64 << 10];
/// Offset from which the mapping is advised as huge pages: a small document keeps to
/// ordinary pages (a huge page is 2 MiB zeroed at its first write).
#[cfg(target_os = "linux")]
const HUGE_FROM: usize = 2 << 20;
/// End of the range advised as huge pages. On a VM that hands freed memory back to its
/// host (virtio-balloon free page reporting), a huge page is mostly memory the host must
/// back anew, which costs more than the 4 KiB pages it replaces: a few are cheaper, a
/// hundred (a 200 MB document) were not (bench/runs/2026-12-05-amd-epyc-2.md).
#[cfg(target_os = "linux")]
const HUGE_TO: usize = 32 << 20;

/// A byte buffer with the part of `Vec<u8>`'s interface the tree uses.
pub(crate) struct Arena {
    map: MmapMut,
    len: usize,
}

/// A mapping of `len` bytes (or a smaller one, if the system refuses), advised as huge
/// pages from [`HUGE_FROM`].
fn reserve(len: usize) -> MmapMut {
    let sizes = std::iter::once(len).chain(FALLBACKS.into_iter().filter(|&s| s < len));
    for size in sizes {
        if let Ok(map) = MmapOptions::new().len(size).no_reserve_swap().map_anon() {
            #[cfg(target_os = "linux")]
            if size > HUGE_FROM {
                // Refused by kernels without transparent huge pages: nothing lost.
                let end = size.min(HUGE_TO);
                let _ = map.advise_range(memmap2::Advice::HugePage, HUGE_FROM, end - HUGE_FROM);
            }
            return map;
        }
    }
    // As a `Vec` whose allocation fails.
    std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 4096]>())
}

impl Arena {
    pub(crate) fn new() -> Arena {
        Arena {
            map: reserve(RESERVE),
            len: 0,
        }
    }

    /// About `len` bytes will be stored: from [`HUGE_FROM`] on, huge pages from the start
    /// (before anything is written; a 2 MiB page then costs less than the 4 KiB pages it
    /// replaces).
    pub(crate) fn expect(&mut self, len: u64) {
        #[cfg(target_os = "linux")]
        if self.len == 0 && len >= HUGE_FROM as u64 && self.map.len() > HUGE_FROM {
            let _ = self
                .map
                .advise_range(memmap2::Advice::HugePage, 0, HUGE_FROM);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = len;
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `additional` more bytes.
    #[inline(always)]
    pub(crate) fn reserve(&mut self, additional: usize) {
        let need = self.len.saturating_add(additional);
        if need > self.map.len() {
            self.grow(need);
        }
    }

    /// Moves the bytes to a mapping of at least `need` bytes (twice the current one).
    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        let size = need.max(self.map.len().saturating_mul(2));
        let mut map = reserve(size);
        if map.len() < need {
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 4096]>());
        }
        map[..self.len].copy_from_slice(&self.map[..self.len]);
        self.map = map;
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, b: u8) {
        // One bounds check: the slot exists, or the arena grows.
        match self.map.get_mut(self.len) {
            Some(slot) => *slot = b,
            None => self.push_cold(b),
        }
        self.len += 1;
    }

    #[cold]
    #[inline(never)]
    fn push_cold(&mut self, b: u8) {
        self.grow(self.len + 1);
        self.map[self.len] = b;
    }

    #[inline(always)]
    pub(crate) fn extend_from_slice(&mut self, s: &[u8]) {
        let end = self.len + s.len();
        match self.map.get_mut(self.len..end) {
            Some(dst) => dst.copy_from_slice(s),
            None => self.extend_cold(s, end),
        }
        self.len = end;
    }

    #[cold]
    #[inline(never)]
    fn extend_cold(&mut self, s: &[u8], end: usize) {
        self.grow(end);
        self.map[self.len..end].copy_from_slice(s);
    }

    /// Inserts `bytes` at `at`, moving what follows to the right.
    pub(crate) fn insert(&mut self, at: usize, bytes: &[u8]) {
        let at = at.min(self.len);
        self.reserve(bytes.len());
        self.map.copy_within(at..self.len, at + bytes.len());
        self.map[at..at + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    #[inline(always)]
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Empties the arena; the pages written stay mapped for the next use.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    #[inline(always)]
    pub(crate) fn get(&self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        self.map.get(..self.len)?.get(range)
    }

    #[inline(always)]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut u8> {
        self.map.get_mut(..self.len)?.get_mut(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_vec_and_grows() {
        let mut a = Arena {
            map: reserve(64 << 10),
            len: 0,
        };
        let mut v = Vec::new();
        for i in 0..100_000u32 {
            let bytes = i.to_le_bytes();
            a.extend_from_slice(&bytes[..(i % 4) as usize]);
            v.extend_from_slice(&bytes[..(i % 4) as usize]);
            a.push(i as u8);
            v.push(i as u8);
            if i % 7 == 0 {
                a.truncate(a.len() - 1);
                v.truncate(v.len() - 1);
            }
        }
        assert_eq!(a.len(), v.len());
        assert!(a.map.len() >= v.len());
        assert_eq!(a.get(0..v.len()), Some(&v[..]));
        assert_eq!(a.get(0..v.len() + 1), None);
        *a.get_mut(3).unwrap() = 9;
        assert_eq!(a.get(3..4), Some(&[9u8][..]));
        a.clear();
        assert_eq!((a.len(), a.get(0..1)), (0, None));
    }
}
