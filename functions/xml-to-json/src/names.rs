//! XML 1.0 (5th edition) `Name` production; quick-xml does not check names.

/// ASCII bytes allowed in names after the first character.
static ASCII_NAME_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b':' || c == b'-' || c == b'.';
        b += 1;
    }
    t
};

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `s` is an XML `Name`.
pub(crate) fn is_valid_name(s: &str) -> bool {
    // ASCII fast path: names in real documents are almost always ASCII.
    let bytes = s.as_bytes();
    match bytes.first() {
        None => return false,
        Some(&b) if b.is_ascii() => {
            if !(b.is_ascii_alphabetic() || b == b'_' || b == b':') {
                return false;
            }
        }
        Some(_) => {}
    }
    if bytes.iter().all(|&b| ASCII_NAME_CHAR[b as usize]) {
        return true;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "_x", "p:q", "a-b.c1", "données", "名前", "x\u{B7}y"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "1a", "-a", ".a", "a b", "a<", "\u{B7}a", "a\"", "a="] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}
