//! Integration tests: one binary, topic modules.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod corpus;
mod entities;
mod phones;
mod streaming;
mod structured;
mod threads;

use std::collections::BTreeMap;
use std::sync::Mutex;

use pii_redactor::{Config, EntityType, Format, Redactor};

/// A redactor for `payload` (compiled once per payload: debug builds compile regexes slowly).
pub(crate) fn redactor(payload: &str) -> Redactor {
    static CACHE: Mutex<BTreeMap<String, Redactor>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(payload.to_owned())
        .or_insert_with(|| Redactor::new(&Config::from_payload(payload).unwrap()).unwrap())
        .clone()
}

/// The findings' types and texts in `text` for `payload`.
pub(crate) fn found(payload: &str, text: &str) -> Vec<(EntityType, String)> {
    redactor(payload)
        .find(text.as_bytes())
        .into_iter()
        .map(|f| (f.entity, text[f.start..f.end].to_owned()))
        .collect()
}

/// Plain-text REPLACE redaction with all types on.
pub(crate) fn typed(text: &str) -> String {
    let r = redactor(r#"{"entity_types":"ALL","mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#);
    String::from_utf8(r.redact_bytes(Format::Text, text.as_bytes()).unwrap()).unwrap()
}
