//! Start and empty-element tags read without quick-xml's reader: the tag ends at the first
//! `>` outside a quoted value, exactly as quick-xml's `ElementParser` decides, but found
//! with one `memchr` and a count of the quotes before it, 8 bytes at a time. quick-xml
//! calls `memchr3` once per quote and `>` (21 calls for an OpenStreetMap `<node>` with 10
//! attributes, each about 60 instructions for a few bytes): a fifth of the instructions of
//! a 6 MB conversion (bench/runs/2026-12-06-intel-xeon-vm.md). The UTF-8 check is the
//! segment's, done once ([`valid_prefix`]).

use quick_xml::events::{BytesStart, Event};

use crate::scan::is_space;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `x`. Bits above the lowest zero byte may be wrong
/// (a borrow), the lowest set bit is always right, and all that is used.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

/// Index of the first `>`, `"` or `'` in `bytes[from..]` (`quote == 0`), or of `quote`.
#[inline(always)]
fn find(bytes: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while let Some(word) = bytes
        .get(from..from + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let w = u64::from_le_bytes(word);
        let hits = if quote == 0 {
            zero_bytes(w ^ (LO * u64::from(b'>')))
                | zero_bytes(w ^ (LO * u64::from(b'"')))
                | zero_bytes(w ^ (LO * u64::from(b'\'')))
        } else {
            zero_bytes(w ^ (LO * u64::from(quote)))
        };
        if hits != 0 {
            return Some(from + (hits.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    let rest = bytes.get(from..)?;
    let at = if quote == 0 {
        rest.iter().position(|&c| matches!(c, b'>' | b'"' | b'\''))
    } else {
        rest.iter().position(|&c| c == quote)
    };
    at.map(|at| from + at)
}

/// Index of the `>` that ends the tag starting at `tag[0]` (`<`): the first one outside
/// single- or double-quoted text. `None` when the tag does not end in `tag`.
///
/// Usually the first `>` of all, which `memchr` finds: it is outside quotes when no `'`
/// comes before it and an even number of `"` do ([`plain_quotes`]). Otherwise the quotes
/// are followed one by one ([`tag_end_quoted`]).
fn tag_end(tag: &[u8]) -> Option<usize> {
    let gt = 1 + memchr::memchr(b'>', tag.get(1..)?)?;
    if plain_quotes(tag.get(..gt)?) {
        Some(gt)
    } else {
        tag_end_quoted(tag)
    }
}

/// Whether `bytes` has no `'` and an even number of `"`, 8 bytes a step: the exact masks
/// of the `"` bytes of all words XORed together have an even number of bits when the
/// count is even.
fn plain_quotes(bytes: &[u8]) -> bool {
    let mut odd = 0u64;
    let mut single = 0u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        odd ^= equal_bytes(w, b'"');
        single |= equal_bytes(w, b'\'');
    }
    for &c in words.remainder() {
        odd ^= u64::from(c == b'"');
        single |= u64::from(c == b'\'');
    }
    single == 0 && odd.count_ones().is_multiple_of(2)
}

/// The high bit of each byte of `w` that equals `b`, and no other bit (no borrow from one
/// byte to the next, unlike [`zero_bytes`]).
#[inline(always)]
fn equal_bytes(w: u64, b: u8) -> u64 {
    let x = w ^ (LO * u64::from(b));
    !(((x & !HI).wrapping_add(!HI)) | x) & HI
}

/// [`tag_end`] following the quotes from the start of the tag, as quick-xml does.
fn tag_end_quoted(tag: &[u8]) -> Option<usize> {
    let mut quote = 0;
    let mut from = 1;
    loop {
        let at = find(tag, from, quote)?;
        let c = *tag.get(at)?;
        if quote != 0 {
            quote = 0;
        } else if c == b'>' {
            return Some(at);
        } else {
            quote = c;
        }
        from = at + 1;
    }
}

/// Length of the name at the start of a tag's content: up to the first XML whitespace.
fn name_len(content: &str) -> usize {
    content.bytes().position(is_space).unwrap_or(content.len())
}

/// The start or empty-element tag at `data[at..]` and its length in bytes, the same event
/// quick-xml's reader returns for it. `None` when no such tag starts there, it does not end
/// in `data` or it is not UTF-8: the reader then reads it (and reports what is wrong,
/// where). `valid` is the part of `data` from its start known to be UTF-8 ([`valid_prefix`]):
/// a tag within it needs no check of its own.
pub(crate) fn start_tag<'a>(
    data: &'a [u8],
    valid: &'a str,
    at: usize,
) -> Option<(usize, Event<'a>)> {
    let rest = data.get(at..)?;
    if rest.first() != Some(&b'<') || matches!(rest.get(1), None | Some(b'/' | b'!' | b'?')) {
        return None;
    }
    let end = tag_end(rest)?;
    let tag = match valid.get(at..=at + end) {
        Some(tag) => tag,
        None => std::str::from_utf8(rest.get(..=end)?).ok()?,
    };
    let content = tag.get(1..end)?;
    let event = match content.strip_suffix('/') {
        Some(content) => Event::Empty(BytesStart::from_content(content, name_len(content))),
        None => Event::Start(BytesStart::from_content(content, name_len(content))),
    };
    Some((end + 1, event))
}

/// The longest prefix of `data` that is UTF-8, checked once for the whole segment (the
/// standard library's check runs a word or two at a time on long text; per tag, most of
/// its time went to the unaligned start and end of each tag: 7 % of a 6 MB conversion).
pub(crate) fn valid_prefix(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            std::str::from_utf8(data.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::reader::Reader;

    /// quick-xml's reader on the same bytes, for comparison.
    fn by_reader(data: &[u8]) -> Option<(usize, Event<'_>)> {
        let mut reader = Reader::from_reader(data);
        reader.config_mut().expand_empty_elements = false;
        match reader.read_event() {
            Ok(e @ (Event::Start(_) | Event::Empty(_))) => {
                Some((reader.buffer_position() as usize, e))
            }
            _ => None,
        }
    }

    /// `start_tag` against quick-xml's reader on one input: the same event and length, or
    /// `None` where the reader would take the tag itself.
    fn check(case: &[u8]) {
        let got = start_tag(case, valid_prefix(case), 0);
        let unchecked = start_tag(case, "", 0);
        assert_eq!(got, unchecked, "{:?}", String::from_utf8_lossy(case));
        let want = by_reader(case);
        let text = String::from_utf8_lossy(case);
        match (&got, &want) {
            (Some(g), Some(w)) => assert_eq!(g, w, "{text:?}"),
            // Left to the reader: it may still take it (not UTF-8) or refuse it.
            (None, _) => assert!(
                std::str::from_utf8(case).is_err() || want.is_none(),
                "{text:?}"
            ),
            (Some(_), None) => panic!("{text:?}"),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Tag-like byte soup: quotes of both kinds, `>`, `/`, whitespace, a two-byte
        /// character and a byte that is never UTF-8.
        #[test]
        fn same_as_quick_xml_on_soup(
            body in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"a"[..], b"b", b" ", b"\n", b"=", b"\"", b"'", b">", b"/", b"<",
                    b"\xc3\xa9", b"\xff", b"abcdefgh",
                ]),
                0..40,
            )
        ) {
            let mut case = b"<".to_vec();
            for piece in body {
                case.extend_from_slice(piece);
            }
            check(&case);
        }
    }

    #[test]
    fn same_tags_as_quick_xml() {
        let cases: &[&[u8]] = &[
            b"<a>",
            b"<a/>",
            b"<a x=\"1\" y='2'>rest",
            b"<a x=\"1\" y='2'/>",
            b"<a x='>' y=\"'>\">",
            b"<a x=\"\"/>",
            b"<a\tx='1'\n/>",
            b"<>",
            b"</>",
            b"<a",
            b"<a x=\">",
            b"<a x='>\"'",
            b"<node id=\"1000005\" version=\"8\" user=\"\xc3\xa9mile\" lat=\"51.77\"/>",
            b"<a x=\"\xff\">",
            b"<!-- c -->",
            b"<?pi?>",
            b"text<a>",
            b"<a x=\"a>b\" y=\"c\">",
            b"<a x='a\"b' y=\"c\">",
            b"<a x=\"1\">\"",
            b"<a0123456789abcdef x=\"0123456789abcdef'\" y='01234567\"89abcdef'>",
        ];
        for &case in cases {
            check(case);
        }
    }

    #[test]
    fn ends_at_every_offset() {
        // The word-at-a-time scan and its byte-by-byte tail agree wherever the `>` is.
        for pad in 0..20 {
            let tag = format!("<a x=\"{}\" y='>'>", "v".repeat(pad));
            assert_eq!(tag_end(tag.as_bytes()), Some(tag.len() - 1), "{tag}");
            assert_eq!(tag_end_quoted(tag.as_bytes()), Some(tag.len() - 1), "{tag}");
            let quoted = format!("<a x=\"{}>", "v".repeat(pad));
            assert_eq!(tag_end(quoted.as_bytes()), None, "{quoted}");
            assert_eq!(tag_end_quoted(quoted.as_bytes()), None, "{quoted}");
        }
    }
}
