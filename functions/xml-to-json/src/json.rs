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

/// A control character that XML 1.0 does not allow (all below U+0020 except tab, LF, CR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidChar;

/// Appends the JSON-escaped form of `s` (without quotes) to `out`.
///
/// Fails on characters XML 1.0 forbids, so the output never carries them.
pub(crate) fn escape_into(out: &mut Vec<u8>, s: &str) -> Result<(), InvalidChar> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => return Err(InvalidChar),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    Ok(())
}

/// Appends `"s"` (escaped, quoted) to `out`.
pub(crate) fn quoted_into(out: &mut Vec<u8>, s: &str) -> Result<(), InvalidChar> {
    out.push(b'"');
    escape_into(out, s)?;
    out.push(b'"');
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
    fn escapes_specials_and_rejects_controls() {
        let mut out = Vec::new();
        quoted_into(&mut out, "a\"b\\c\nd\te\rf/é").unwrap();
        assert_eq!(out, b"\"a\\\"b\\\\c\\nd\\te\\rf/\xC3\xA9\"");
        let v: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(v, "a\"b\\c\nd\te\rf/é");
        assert_eq!(escape_into(&mut out, "x\u{1}"), Err(InvalidChar));
    }
}
