//! Line/column bookkeeping for error messages.

/// Position of a byte in the decoded (UTF-8) document: 1-based line and column, the
/// column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub(crate) line: u64,
    pub(crate) column: u64,
    /// Bytes before this position.
    pub(crate) offset: u64,
}

impl Default for Position {
    fn default() -> Self {
        Position {
            line: 1,
            column: 1,
            offset: 0,
        }
    }
}

/// Counts `\n` with byte-wide accumulators (vectorises well; this runs over all input).
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|c| u64::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
        .sum()
}

fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

impl Position {
    /// The position after `bytes`, which follow `self`.
    pub(crate) fn after(self, bytes: &[u8]) -> Position {
        let offset = self.offset + bytes.len() as u64;
        match memchr::memrchr(b'\n', bytes) {
            None => Position {
                column: self.column + chars(bytes),
                offset,
                ..self
            },
            Some(last) => Position {
                line: self.line + count_newlines(bytes),
                column: 1 + chars(&bytes[last + 1..]),
                offset,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_characters() {
        let p = Position::default().after("ab\ncé".as_bytes());
        assert_eq!((p.line, p.column, p.offset), (2, 3, 6));
        let p = p.after(b"x");
        assert_eq!((p.line, p.column), (2, 4));
    }
}
