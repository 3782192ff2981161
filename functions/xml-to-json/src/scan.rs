//! Attribute scanning of a start tag, in one pass per value.
//!
//! quick-xml splits the document into events; its attribute iterator then walks each value
//! byte by byte up to three times (find the quote, look for characters to normalise, and
//! our JSON escaping looks again). This scanner finds the closing quote and decides in the
//! same pass whether the value is *clean*: no reference, no tab/newline/CR to normalise,
//! nothing JSON must escape. A clean value is its own normalised text and can be copied
//! between quotes as is; anything else goes through quick-xml's normaliser as before.
//!
//! The syntax accepted is XML's (`name Eq quoted-value`, whitespace between attributes),
//! which is stricter than quick-xml's iterator: `a="1"b="2"` is an error, as in expat.

use std::borrow::Cow;

use quick_xml::XmlVersion;
use quick_xml::events::attributes::Attribute;
use quick_xml::name::QName;

/// Bytes that make a value unclean: `&` (reference), tab/LF/CR (normalised), and what JSON
/// must escape (`"`, `\`, control characters), and `<` (an error, reported by the
/// general path). `|` too, only because the word scan below finds it together with `<`
/// and `\` (such values take the general path, which gives the same output).
static UNCLEAN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'&' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'<' as usize] = true;
    t[b'|' as usize] = true;
    t
};

/// Malformed attribute syntax (the converter reports "invalid attribute").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadAttr;

/// One attribute as written: name, raw value (between the quotes), and whether the raw
/// value is already its normalised form and needs no JSON escaping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawAttr<'a> {
    pub(crate) key: &'a str,
    pub(crate) raw: &'a str,
    pub(crate) clean: bool,
}

impl<'a> RawAttr<'a> {
    /// The normalised value (references resolved by `resolve`, whitespace normalised).
    #[inline]
    pub(crate) fn value<'e>(
        &self,
        version: XmlVersion,
        depth: usize,
        resolve: impl FnMut(&str) -> Option<&'e str>,
    ) -> quick_xml::Result<Cow<'a, str>> {
        if self.clean {
            return Ok(Cow::Borrowed(self.raw));
        }
        self.normalized(version, depth, resolve)
    }

    #[inline(never)]
    fn normalized<'e>(
        &self,
        version: XmlVersion,
        depth: usize,
        resolve: impl FnMut(&str) -> Option<&'e str>,
    ) -> quick_xml::Result<Cow<'a, str>> {
        Attribute {
            key: QName(self.key),
            value: Cow::Borrowed(self.raw),
        }
        .normalized_value_with(version, depth, resolve)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that equals `byte`. Exact for the lowest such byte;
/// a borrow can only mark bytes above a true match, so "any below position p" is exact.
#[inline]
fn eq_mask(w: u64, byte: u8) -> u64 {
    let x = w ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// High bit set in each byte of `w` that is unclean (see [`UNCLEAN`]), exact for the
/// lowest such byte as in [`eq_mask`]: control characters; `"` and `&` (0x22, 0x26: equal
/// once bit 2 is set); `<` and `\\` (0x3C, 0x5C: equal once bits 5 and 6 are set, which
/// also catches 0x1C and `|`).
#[inline(always)]
fn unclean_mask(w: u64) -> u64 {
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote_amp = (w | (ONES * 0x04)) ^ (ONES * 0x26);
    let quote_amp = quote_amp.wrapping_sub(ONES) & !quote_amp;
    let lt_backslash = (w | (ONES * 0x60)) ^ (ONES * 0x7C);
    let lt_backslash = lt_backslash.wrapping_sub(ONES) & !lt_backslash;
    (control | quote_amp | lt_backslash) & HIGHS
}

/// 0xFF in each byte of `bytes` that is unclean (see [`UNCLEAN`]) or `quote`, 0 elsewhere,
/// as one little-endian number: its lowest set byte is the first such byte.
#[inline(always)]
fn special16(bytes: &[u8; 16], quote: u8) -> u128 {
    let mut marks = [0u8; 16];
    for (mark, &c) in marks.iter_mut().zip(bytes) {
        let hit = (c < 0x20)
            | (c == b'&')
            | (c == b'"')
            | (c == b'\\')
            | (c == b'<')
            | (c == b'|')
            | (c == quote);
        *mark = if hit { 0xFF } else { 0 };
    }
    u128::from_le_bytes(marks)
}

/// Scans a value from `start` to its closing `quote`: returns the quote's position and
/// whether the bytes before it are clean. Eight bytes at a time up to the first byte that
/// is unclean or the quote (`"` is both): if that is the quote, the value is clean.
/// `scan_value`'s answer once the word scan stopped at byte `i`: the closing quote (clean), or
/// an unclean byte, after which only the closing quote is still needed.
#[inline(always)]
fn first_special(b: &[u8], i: usize, quote: u8) -> Option<(usize, bool)> {
    if b.get(i) == Some(&quote) {
        return Some((i, true));
    }
    let end = i + memchr::memchr(quote, b.get(i..)?)?;
    Some((end, false))
}

#[inline(always)]
pub(crate) fn scan_value(b: &[u8], start: usize, quote: u8) -> Option<(usize, bool)> {
    let mut i = start;
    // Sixteen bytes at a time (the compiler turns this into SSE2 compares), then eight.
    while let Some(chunk) = b.get(i..i + 16) {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        let special = special16(&bytes, quote);
        if special != 0 {
            return first_special(b, i + (special.trailing_zeros() / 8) as usize, quote);
        }
        i += 16;
    }
    while let Some(chunk) = b.get(i..i + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let w = u64::from_le_bytes(bytes);
        let mut special = unclean_mask(w);
        if quote != b'"' {
            special |= eq_mask(w, quote);
        }
        if special != 0 {
            return first_special(b, i + (special.trailing_zeros() / 8) as usize, quote);
        }
        i += 8;
    }
    let mut clean = true;
    loop {
        let c = *b.get(i)?;
        if c == quote {
            return Some((i, clean));
        }
        clean &= !UNCLEAN[c as usize];
        i += 1;
    }
}

#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Iterator over the attributes of a tag (`attributes_raw()`: everything after the name).
pub(crate) struct AttrScanner<'a> {
    s: &'a str,
    pos: usize,
    /// XML 1.1 also normalises NEL and LINE SEPARATOR: only ASCII values count as clean.
    ascii_only: bool,
}

impl<'a> AttrScanner<'a> {
    pub(crate) fn new(s: &'a str, version: XmlVersion) -> Self {
        AttrScanner {
            s,
            pos: 0,
            ascii_only: matches!(version, XmlVersion::Explicit1_1),
        }
    }

    /// The next attribute, `None` at the end of the tag.
    #[inline(always)]
    pub(crate) fn next_attr(&mut self) -> Result<Option<RawAttr<'a>>, BadAttr> {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = self.pos;
        let before = i;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i == b.len() {
            self.pos = i;
            return Ok(None);
        }
        // Attributes are separated by whitespace (the name already ended at one).
        if i == before && before != 0 {
            return Err(BadAttr);
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' && !is_space(b[i]) {
            i += 1;
        }
        let key_end = i;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if b.get(i) != Some(&b'=') || key_end == key_start {
            return Err(BadAttr);
        }
        i += 1;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let Some(&quote @ (b'"' | b'\'')) = b.get(i) else {
            return Err(BadAttr);
        };
        i += 1;
        let value_start = i;
        let (value_end, mut clean) = scan_value(b, i, quote).ok_or(BadAttr)?;
        i = value_end;
        self.pos = i + 1;
        // Byte positions found above are ASCII delimiters, so these are char boundaries.
        let (Some(key), Some(raw)) = (s.get(key_start..key_end), s.get(value_start..value_end))
        else {
            return Err(BadAttr);
        };
        if clean && self.ascii_only {
            clean = raw.is_ascii();
        }
        Ok(Some(RawAttr { key, raw, clean }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Result<Vec<(String, String, bool)>, BadAttr> {
        let mut sc = AttrScanner::new(s, XmlVersion::Implicit1_0);
        let mut v = Vec::new();
        while let Some(a) = sc.next_attr()? {
            v.push((a.key.to_owned(), a.raw.to_owned(), a.clean));
        }
        Ok(v)
    }

    #[test]
    fn scans_like_xml() {
        assert_eq!(all("").unwrap(), vec![]);
        assert_eq!(all("  ").unwrap(), vec![]);
        assert_eq!(
            all(" a=\"1\" b = 'x\"y'\n c=\"é&amp;\"").unwrap(),
            vec![
                ("a".into(), "1".into(), true),
                ("b".into(), "x\"y".into(), false),
                ("c".into(), "é&amp;".into(), false),
            ]
        );
        assert!(!all(" a=\"x\ty\"").unwrap()[0].2);
        assert_eq!(all(" a='it''s'"), Err(BadAttr));
        for bad in [
            " a",
            " a=",
            " a=1",
            " a=\"1",
            " =\"1\"",
            " a=\"1\"b=\"2\"",
            " a b=\"1\"",
        ] {
            assert_eq!(all(bad), Err(BadAttr), "{bad:?}");
        }
    }

    #[test]
    fn word_scan_matches_byte_scan() {
        let specials = [
            b'a', b'"', b'\'', b'&', b'\\', b'\n', b'\t', b'<', 0x1f, 0x20, 0x7f, 0xc3, b'|', 0x1c,
            0x7c, 0x3c, 0x5c, 0x24, 0x27, 0x06, 0x02, 0x80, 0xa2, 0xfc,
        ];
        for quote in [b'"', b'\''] {
            for len in 0..20 {
                for pos in 0..len {
                    for &sp in &specials {
                        let mut v = vec![b'x'; len];
                        v[pos] = sp;
                        v.extend_from_slice(&[
                            quote, b' ', b'y', b'=', b'"', b'1', b'"', b' ', b' ',
                        ]);
                        let got = scan_value(&v, 0, quote);
                        let end = v.iter().position(|&c| c == quote).unwrap();
                        let clean = v[..end].iter().all(|&c| !UNCLEAN[c as usize]);
                        assert_eq!(got, Some((end, clean)), "{v:?}");
                    }
                }
            }
        }
        // Every byte value, and pairs of specials (a borrow from one must not hide or fake
        // the other), against the table.
        for quote in [b'"', b'\''] {
            for len in 1..12 {
                for pos in 0..len {
                    for first in 0..=255u8 {
                        for &second in &specials {
                            let mut v = vec![b'x'; len];
                            v[pos] = first;
                            if pos + 1 < len {
                                v[pos + 1] = second;
                            }
                            v.extend_from_slice(&[quote, b' ', b' ', b' ', b' ', b' ', b' ', b' ']);
                            let end = v.iter().position(|&c| c == quote).unwrap();
                            let clean = v[..end].iter().all(|&c| !UNCLEAN[c as usize]);
                            assert_eq!(scan_value(&v, 0, quote), Some((end, clean)), "{v:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(scan_value(b"abcdefghijklmnop", 0, b'"'), None);
    }

    #[test]
    fn unclean_values_are_normalised_by_quick_xml() {
        let mut sc = AttrScanner::new(" a=\"x&lt;\r\ny\"", XmlVersion::Implicit1_0);
        let a = sc.next_attr().unwrap().unwrap();
        let v = a
            .value(
                XmlVersion::Implicit1_0,
                1,
                quick_xml::escape::resolve_predefined_entity,
            )
            .unwrap();
        assert_eq!(v, "x< y");
        let mut sc = AttrScanner::new(" a=\"\u{85}\"", XmlVersion::Explicit1_1);
        assert!(!sc.next_attr().unwrap().unwrap().clean);
    }
}
