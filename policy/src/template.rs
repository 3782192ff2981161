//! Strings from a policy that may hold policy variables (`${aws:username}`), and ARN matching.

use std::borrow::Cow;

use crate::context::Keys;
use crate::wildcard::{self, Tok};

/// A policy string split into text and `${...}` variables, parsed once when the policy loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text from the policy: `*` and `?` in it are wildcards where the element takes them.
    Text(String),
    /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`.
    Var {
        key: String,
        default: Option<String>,
    },
}

impl Template {
    /// A string without variables.
    pub(crate) fn plain(s: &str) -> Self {
        Self {
            parts: vec![Part::Text(s.to_owned())],
        }
    }

    /// Parses `s`. With `variables` false (policy `Version` 2008-10-17) `${` is plain text.
    pub(crate) fn parse(s: &str, variables: bool) -> Result<Self, String> {
        if !variables || !s.contains("${") {
            return Ok(Self::plain(s));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("unterminated policy variable in {s:?}"));
            };
            parts.push(parse_var(after[..end].trim()).map_err(|e| format!("{e} in {s:?}"))?);
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    /// The string as written, if it holds no variable (used to recognise `"*"`).
    pub(crate) fn as_plain(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Substitutes variables; `None` if one is absent (and has no default) or multi-valued.
    pub(crate) fn expand(&self, keys: &Keys<'_>) -> Option<Cow<'_, str>> {
        if let Some(plain) = self.as_plain() {
            return Some(Cow::Borrowed(plain));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(lookup(keys, key, default.as_deref())?),
            }
        }
        Some(Cow::Owned(out))
    }

    /// Builds the wildcard pattern; substituted values are literal. `None` as for [`expand`](Self::expand).
    pub(crate) fn pattern(&self, keys: &Keys<'_>) -> Option<Vec<Tok>> {
        let mut toks = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => wildcard::compile(t, &mut toks),
                Part::Escaped(c) => toks.push(Tok::Lit(*c)),
                Part::Var { key, default } => {
                    wildcard::literal(lookup(keys, key, default.as_deref())?, &mut toks);
                }
            }
        }
        Some(toks)
    }
}

fn lookup<'k>(keys: &Keys<'k>, key: &str, default: Option<&'k str>) -> Option<&'k str> {
    keys.get(key)
        .and_then(crate::context::Values::single)
        .or(default)
}

fn parse_var(inner: &str) -> Result<Part, String> {
    match inner {
        "*" => return Ok(Part::Escaped('*')),
        "?" => return Ok(Part::Escaped('?')),
        "$" => return Ok(Part::Escaped('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let Some(quoted) = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
            else {
                return Err(format!(
                    "policy variable default must be in single quotes: ${{{inner}}}"
                ));
            };
            (key.trim(), Some(quoted.to_owned()))
        }
        None => (inner, None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return Err(format!("bad policy variable ${{{inner}}}"));
    }
    Ok(Part::Var {
        key: key.to_owned(),
        default,
    })
}

/// ARN matching as IAM does for `Resource` and `ArnLike`: each of the six `:`-separated parts
/// is matched on its own, so a wildcard never spans a `:` outside the resource part. A pattern
/// without any `:` (such as `*`) is matched against the whole string.
pub(crate) fn arn_matches(pattern: &[Tok], arn: &str) -> bool {
    let pat_parts = split_tokens(pattern);
    if pat_parts.len() == 1 {
        return wildcard::matches(pattern, arn, false);
    }
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    if pat_parts.len() != arn_parts.len() {
        return false;
    }
    pat_parts
        .iter()
        .zip(arn_parts)
        .all(|(p, a)| wildcard::matches(p, a, false))
}

fn split_tokens(pattern: &[Tok]) -> Vec<&[Tok]> {
    let mut parts = Vec::with_capacity(6);
    let mut rest = pattern;
    while parts.len() < 5 {
        match rest.iter().position(|t| *t == Tok::Lit(':')) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + 1..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, Principal};

    fn keys<'a>(p: &'a Principal, c: &'a Context) -> Keys<'a> {
        Keys {
            principal: p,
            layers: [Some(c), None],
        }
    }

    #[test]
    fn variables() {
        let p = Principal::iam_user("111122223333", "alice");
        let c = Context::new().with("s3:prefix", "x");
        let k = keys(&p, &c);
        let t = Template::parse("home/${aws:username}/*", true).unwrap();
        assert_eq!(t.expand(&k).unwrap(), "home/alice/*");
        let t = Template::parse("${aws:missing, 'none'}-${*}${$}", true).unwrap();
        assert_eq!(t.expand(&k).unwrap(), "none-*$");
        assert!(
            Template::parse("${aws:missing}", true)
                .unwrap()
                .expand(&k)
                .is_none()
        );
        assert_eq!(
            Template::parse("${aws:username}", false)
                .unwrap()
                .expand(&k)
                .unwrap(),
            "${aws:username}"
        );
        assert!(Template::parse("${aws:username", true).is_err());
        assert!(Template::parse("${a, nodefault}", true).is_err());
    }

    #[test]
    fn arn_parts() {
        let pat = |s: &str| {
            let mut v = Vec::new();
            wildcard::compile(s, &mut v);
            v
        };
        assert!(arn_matches(
            &pat("arn:aws:s3:::bucket/*"),
            "arn:aws:s3:::bucket/a/b"
        ));
        assert!(arn_matches(
            &pat("arn:aws:s3:*:111122223333:accesspoint/*"),
            "arn:aws:s3:us-east-1:111122223333:accesspoint/fin"
        ));
        // `*` in the region part does not swallow the account part.
        assert!(!arn_matches(
            &pat("arn:aws:s3:*:accesspoint/x"),
            "arn:aws:s3:us-east-1:111122223333:accesspoint/x"
        ));
        assert!(arn_matches(&pat("*"), "arn:aws:s3:::b"));
        assert!(!arn_matches(
            &pat("arn:aws:s3:::bucket"),
            "arn:aws:s3:::bucket/key"
        ));
    }
}
