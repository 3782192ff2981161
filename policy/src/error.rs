//! The one error type: a policy that cannot be used, and where in it the problem is.

use std::fmt;

/// A policy document that was refused, with the statement and field at fault.
///
/// The config loader prints it and refuses to start, so the message names the place:
///
/// ```text
/// statement 2 (Sid "DenyHttp"), Condition: unknown condition operator "StringEqualz"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct PolicyError {
    statement: Option<usize>,
    sid: Option<String>,
    field: Option<String>,
    message: String,
}

impl PolicyError {
    /// An error about the document as a whole (not JSON, no `Statement`, bad `Version`).
    pub(crate) fn document(field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            statement: None,
            sid: None,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An error inside statement `index` (0-based here, 1-based when shown).
    pub(crate) fn statement(
        index: usize,
        sid: Option<&str>,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            statement: Some(index),
            sid: sid.map(str::to_owned),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// The statement at fault, 0-based, if the error is inside one.
    #[must_use]
    pub fn statement_index(&self) -> Option<usize> {
        self.statement
    }

    /// The `Sid` of the statement at fault, if it has one.
    #[must_use]
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The policy element at fault (`Effect`, `Condition`, `Resource`, ...), if known.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong, without the location.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(index) = self.statement {
            out.push_str(&format!("statement {}", index + 1));
            if let Some(sid) = &self.sid {
                out.push_str(&format!(" (Sid {sid:?})"));
            }
        }
        if let Some(field) = &self.field {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(field);
        }
        if out.is_empty() {
            self.message.clone()
        } else {
            format!("{out}: {}", self.message)
        }
    }
}

/// Display helper used in messages: a JSON value kind.
pub(crate) struct Kind<'a>(pub(crate) &'a serde_json::Value);

impl fmt::Display for Kind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::Object(_) => "an object",
        })
    }
}
