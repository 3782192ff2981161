//! `*` / `?` wildcard matching, as IAM uses in `Action`, `Resource`, `StringLike` and `ArnLike`.
//!
//! A pattern is a list of tokens rather than a string, so that text substituted from a policy
//! variable (`${aws:username}`) is matched literally even when it contains `*` or `?`.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character that must be present as is.
    Lit(char),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Compiles `pattern`, reading `*` and `?` as wildcards.
pub(crate) fn compile(pattern: &str, out: &mut Vec<Tok>) {
    out.extend(pattern.chars().map(|c| match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        c => Tok::Lit(c),
    }));
}

/// Appends `text` as literal characters.
pub(crate) fn literal(text: &str, out: &mut Vec<Tok>) {
    out.extend(text.chars().map(Tok::Lit));
}

/// Does `text` match the whole `pattern`? Linear in practice, O(n·m) at worst, no recursion.
pub(crate) fn matches(pattern: &[Tok], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| {
        if ignore_case {
            a == b || a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index it consumed up to).
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Tok::Star) => {
                p += 1;
                resume = Some((p, t));
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if eq(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match resume {
                Some((rp, rt)) => {
                    p = rp;
                    t = rt + 1;
                    resume = Some((rp, rt + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|tok| *tok == Tok::Star)
}

/// Convenience for tests and plain patterns: compile and match in one go.
#[cfg(test)]
pub(crate) fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let mut toks = Vec::new();
    compile(pattern, &mut toks);
    matches(&toks, text, ignore_case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn basics() {
        assert!(glob("*", "", false));
        assert!(glob("*", "anything/at/all", false));
        assert!(glob("Finance/*", "Finance/q1.csv", false));
        assert!(glob("Finance/*", "Finance/", false));
        assert!(!glob("Finance/*", "Sales/q1.csv", false));
        assert!(!glob("Finance/*", "finance/q1.csv", false));
        assert!(glob("Finance/*", "finance/q1.csv", true));
        assert!(glob("s3:Get*", "s3:GetObject", false));
        assert!(glob("s3:?etObject", "s3:GetObject", false));
        assert!(!glob("s3:?etObject", "s3:etObject", false));
        assert!(glob("a*b*c", "aXXbYYc", false));
        assert!(!glob("a*b*c", "aXXbYY", false));
        assert!(glob("a**", "a", false));
        assert!(!glob("", "a", false));
        assert!(glob("", "", false));
    }

    #[test]
    fn literal_tokens_do_not_expand() {
        let mut toks = Vec::new();
        compile("home/", &mut toks);
        literal("a*", &mut toks);
        compile("/*", &mut toks);
        assert!(matches(&toks, "home/a*/x", false));
        assert!(!matches(&toks, "home/abc/x", false));
    }

    /// Reference: the textbook recursive definition.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && reference(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
        }
    }

    proptest! {
        #[test]
        fn agrees_with_reference(p in "[ab*?/]{0,8}", t in "[ab/]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            prop_assert_eq!(glob(&p, &t, false), reference(&pc, &tc));
        }
    }
}
