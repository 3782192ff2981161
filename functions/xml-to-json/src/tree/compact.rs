//! Attribute blocks kept compact until they are written.
//!
//! An element's attributes stay in the arena until the root closes, and in documents such
//! as OpenStreetMap extracts they are most of it: a node's nine keys spelled out as
//! `,"@timestamp":"` took 101 of its bytes, and memory the kernel (and, on a VM, the host)
//! backs anew is what a big conversion pays most for (clear_page 24 % of the samples on
//! 200 MB, bench/runs/2026-12-06-intel-xeon-vm.md). So a block stores, per attribute, the
//! key id and the length of the value as LEB128 varints, then the value already
//! JSON-escaped:
//!
//! ```text
//! MARKER  key len value  key len value ...
//! ```
//!
//! The serialiser spells the keys out ([`View::write_block`]). A block that is a
//! whole value (an element with attributes only) keeps its [`MARKER`], which no other
//! string value starts with (they start with `"`); a block that opens an object with
//! children is a pending entry under `BLOCK_KEY` and starts after the marker.

use super::Arena;
use super::write::View;
use crate::json;

/// First byte of a block in the arena.
pub(super) const MARKER: u8 = 0x01;

/// Longest LEB128 encoding of a `u64`.
const MAX_VARINT: usize = 10;

/// The LEB128 bytes of `v` and their count.
#[inline(always)]
pub(super) fn varint(mut v: u64) -> ([u8; MAX_VARINT], usize) {
    let mut bytes = [0u8; MAX_VARINT];
    let mut n = 0;
    while let Some(slot) = bytes.get_mut(n) {
        let low = (v & 0x7F) as u8;
        v >>= 7;
        n += 1;
        if v == 0 {
            *slot = low;
            break;
        }
        *slot = low | 0x80;
    }
    (bytes, n)
}

/// Appends `v` as LEB128.
#[inline(always)]
pub(super) fn push_varint(out: &mut Arena, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else {
        let (bytes, n) = varint(v);
        out.extend_from_slice(&bytes[..n]);
    }
}

/// Reads a LEB128 value at `*i` and moves past it.
#[inline(always)]
fn read_varint(bytes: &[u8], i: &mut usize) -> Option<u64> {
    // Most keys and lengths are below 128: one byte.
    let first = *bytes.get(*i)?;
    if first < 0x80 {
        *i += 1;
        return Some(u64::from(first));
    }
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*i)?;
        *i += 1;
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Appends the one-byte placeholder of a value's length, which [`finish_len`] fills in once
/// the value (escaped while it is appended) is complete. Returns its position.
#[inline(always)]
pub(super) fn open_len(out: &mut Arena) -> usize {
    let at = out.len();
    out.push(0);
    at
}

/// Writes the length of everything after the placeholder at `at`; a value of 128 bytes or
/// more (rare in attributes) moves right to make room for the longer varint.
#[inline(always)]
pub(super) fn finish_len(out: &mut Arena, at: usize) {
    let len = out.len() - at - 1;
    let (bytes, n) = varint(len as u64);
    if let Some(slot) = out.get_mut(at) {
        *slot = bytes[0];
    }
    if n > 1 {
        out.insert(at + 1, &bytes[1..n]);
    }
}

impl View<'_> {
    /// Writes the members of the block at `members` in the arena (`"@a":"1","@b":"2"`,
    /// without braces) to `out`.
    pub(super) fn write_block(&self, members: std::ops::Range<usize>, out: &mut Vec<u8>) {
        // The whole arena, so that short copies can read past a value's end.
        let arena = self.strings.get(0..self.strings.len()).unwrap_or_default();
        let keys = &self.keys.bytes;
        let mut i = members.start;
        let mut first = true;
        while i < members.end {
            // The block was written by this module, so it always decodes.
            let (Some(key), Some(len)) = (
                read_varint(arena, &mut i),
                read_varint(arena, &mut i).map(|l| l as usize),
            ) else {
                debug_assert!(false, "malformed attribute block");
                return;
            };
            // `,"key":"`, without the comma before the first member.
            let (mut start, end) = self.keys.span(key as u32);
            if first {
                start += 1;
                first = false;
            }
            out.reserve(end - start + len + 64);
            // Keys and most values are short: one 32-byte copy each.
            json::append_short::<32, _>(out, keys, start, end - start);
            json::append_short::<32, _>(out, arena, i, len);
            out.push(b'"');
            i += len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let (bytes, n) = varint(v);
            let mut i = 0;
            assert_eq!(read_varint(&bytes[..n], &mut i), Some(v));
            assert_eq!(i, n);
        }
        let mut i = 0;
        assert_eq!(read_varint(&[0x80, 0x80], &mut i), None);
    }

    #[test]
    fn long_values_move_right_for_their_length() {
        for len in [0, 5, 127, 128, 200, 20_000] {
            let mut a = Arena::new();
            a.push(b'x');
            let at = open_len(&mut a);
            a.extend_from_slice(&vec![b'v'; len]);
            finish_len(&mut a, at);
            let bytes = a.get(0..a.len()).unwrap();
            let mut i = 1;
            assert_eq!(read_varint(bytes, &mut i), Some(len as u64));
            assert_eq!(&bytes[i..], &vec![b'v'; len][..]);
        }
    }
}
