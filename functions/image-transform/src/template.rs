//! Watermark text templates: `{principal_id}`, `{arn}`, `{account_id}`, `{user_name}`,
//! `{date}`, `{key}`.

use crate::CallerInfo;

/// Longest rendered watermark text, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 256;

const PLACEHOLDERS: [&str; 6] = [
    "principal_id",
    "arn",
    "account_id",
    "user_name",
    "date",
    "key",
];

/// Checks a template: balanced braces, known placeholder names, a sane length.
pub(crate) fn check(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    if template.chars().count() > 1024 {
        return Err("longer than 1024 characters".to_owned());
    }
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("unmatched `}`".to_owned());
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| "unmatched `{`".to_owned())?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder `{{{name}}}`; known: {}",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Expands a template checked by [`check`]; control characters are dropped and the result is
/// cut at [`MAX_TEXT_CHARS`].
pub(crate) fn render(template: &str, caller: &CallerInfo) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let value = match &after[..close] {
            "principal_id" => caller.principal_id.as_str(),
            "arn" => caller.arn.as_str(),
            "account_id" => caller.account_id.as_str(),
            "user_name" => caller.user_name.as_deref().unwrap_or(""),
            "date" => caller.date.as_str(),
            "key" => caller.key.as_str(),
            other => other,
        };
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> CallerInfo {
        CallerInfo {
            principal_id: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            account_id: "123456789012".into(),
            user_name: Some("alice".into()),
            key: "photos/cat.jpg".into(),
            date: "2026-11-27".into(),
        }
    }

    #[test]
    fn expands_every_placeholder() {
        let t = "{user_name} {account_id} {principal_id} {arn} {date} {key}";
        assert!(check(t).is_ok());
        assert_eq!(
            render(t, &caller()),
            "alice 123456789012 AIDAEXAMPLE arn:aws:iam::123456789012:user/alice 2026-11-27 photos/cat.jpg"
        );
    }

    #[test]
    fn missing_user_name_is_empty_and_controls_are_dropped() {
        let mut c = caller();
        c.user_name = None;
        c.key = "a\nb".into();
        assert_eq!(render("[{user_name}] {key}", &c), "[] ab");
    }

    #[test]
    fn rejects_unknown_and_unbalanced() {
        assert!(check("{password}").is_err());
        assert!(check("{arn").is_err());
        assert!(check("arn}").is_err());
        assert!(check("  ").is_err());
    }

    #[test]
    fn caps_length() {
        let mut c = caller();
        c.key = "k".repeat(1000);
        assert_eq!(render("{key}", &c).chars().count(), MAX_TEXT_CHARS);
    }
}
