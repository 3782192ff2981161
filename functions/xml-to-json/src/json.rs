//! JSON output helpers: string escaping and indentation.

/// Bytes that need escaping in a JSON string: `"`, `\` and control characters.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` is below 0x20, `"` or `\` (SWAR; exact as a yes/no answer).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    let below = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q & HIGHS;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b & HIGHS;
    below | quote | backslash != 0
}

/// Length of the prefix made of whole 8-byte words that need no escaping.
#[inline]
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if word_needs_escape(u64::from_le_bytes(w)) {
            return i;
        }
        i += 8;
    }
    // The tail (< 8 bytes) is checked byte by byte.
    i + bytes[i..]
        .iter()
        .take_while(|&&b| !NEEDS_ESCAPE[b as usize])
        .count()
}

/// Where JSON text is appended: the output (`Vec<u8>`) or the tree's string arena.
pub(crate) trait JsonOut {
    fn push_byte(&mut self, b: u8);
    fn push_bytes(&mut self, s: &[u8]);
    fn byte_len(&self) -> usize;
    fn cut(&mut self, len: usize);
}

/// The output and the arena have the same four methods under the same names.
macro_rules! json_out {
    ($($t:ty),*) => {$(
        impl JsonOut for $t {
            #[inline(always)]
            fn push_byte(&mut self, b: u8) {
                self.push(b);
            }

            #[inline(always)]
            fn push_bytes(&mut self, s: &[u8]) {
                self.extend_from_slice(s);
            }

            #[inline(always)]
            fn byte_len(&self) -> usize {
                self.len()
            }

            #[inline(always)]
            fn cut(&mut self, len: usize) {
                self.truncate(len);
            }
        }
    )*};
}

json_out!(Vec<u8>, crate::tree::Arena);

/// Appends `src[at..at + len]`. A run of up to `N` bytes (most names, keys and values) is
/// copied as one `N`-byte block and cut back, cheaper than a `memcpy` call; that needs `N`
/// readable bytes in `src` from `at`, else it is an ordinary copy.
#[inline(always)]
pub(crate) fn append_short<const N: usize, O: JsonOut>(
    out: &mut O,
    src: &[u8],
    at: usize,
    len: usize,
) {
    if len <= N
        && let Some(block) = src.get(at..at + N)
    {
        let keep = out.byte_len() + len;
        out.push_bytes(block);
        out.cut(keep);
        return;
    }
    out.push_bytes(src.get(at..at + len).unwrap_or_default());
}

/// A control character that XML 1.0 does not allow (all below U+0020 except tab, LF, CR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidChar;

/// Appends the JSON-escaped form of `s` (without quotes) to `out`.
///
/// Fails on characters XML 1.0 forbids, so the output never carries them.
pub(crate) fn escape_into<O: JsonOut>(out: &mut O, s: &str) -> Result<(), InvalidChar> {
    let bytes = s.as_bytes();
    // Most strings need no escaping: skip clean 8-byte words first.
    let clean = clean_prefix(bytes);
    if clean == bytes.len() {
        out.push_bytes(bytes);
        return Ok(());
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        out.push_bytes(&bytes[start..i]);
        match b {
            b'"' => out.push_bytes(b"\\\""),
            b'\\' => out.push_bytes(b"\\\\"),
            b'\n' => out.push_bytes(b"\\n"),
            b'\r' => out.push_bytes(b"\\r"),
            b'\t' => out.push_bytes(b"\\t"),
            _ => return Err(InvalidChar),
        }
        start = i + 1;
    }
    out.push_bytes(&bytes[start..]);
    Ok(())
}

/// Appends `"s"` to `out`; `clean` (the attribute scanner found nothing to escape) copies
/// `s` as it is instead of escaping it.
#[inline]
pub(crate) fn value_into<O: JsonOut>(out: &mut O, s: &str, clean: bool) -> Result<(), InvalidChar> {
    if clean {
        out.push_byte(b'"');
        out.push_bytes(s.as_bytes());
        out.push_byte(b'"');
        Ok(())
    } else {
        quoted_into(out, s)
    }
}

/// Appends `"s"` (escaped, quoted) to `out`.
pub(crate) fn quoted_into<O: JsonOut>(out: &mut O, s: &str) -> Result<(), InvalidChar> {
    out.push_byte(b'"');
    escape_into(out, s)?;
    out.push_byte(b'"');
    Ok(())
}

/// Newline and two spaces per level, for pretty output.
pub(crate) fn newline_indent(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    out.resize(out.len() + 2 * level, b' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_check_matches_table() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = b;
                assert_eq!(
                    word_needs_escape(u64::from_le_bytes(w)),
                    NEEDS_ESCAPE[b as usize],
                    "{b} at {pos}"
                );
            }
        }
        let s = "0123456789abcdef\"x";
        assert_eq!(clean_prefix(s.as_bytes()), 16);
        assert_eq!(clean_prefix(b"abc"), 3);
    }

    #[test]
    fn escapes_specials_and_rejects_controls() {
        let mut out = Vec::new();
        quoted_into(&mut out, "a\"b\\c\nd\te\rf/é").unwrap();
        assert_eq!(out, b"\"a\\\"b\\\\c\\nd\\te\\rf/\xC3\xA9\"");
        let v: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, "a\"b\\c\nd\te\rf/é");
        assert_eq!(escape_into(&mut out, "x\u{1}"), Err(InvalidChar));
    }
}
