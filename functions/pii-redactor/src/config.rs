//! Access-point payload: the typed, validated configuration.

use serde::Deserialize;

use crate::entity::{EntityType, TypeSet};
use crate::error::Error;
use crate::format::Format;

/// The characters Comprehend accepts as `mask_character`; all are safe inside JSON strings and CSV cells.
pub const MASK_CHARACTERS: &str = "!@#$%&*";

/// Most field names `redact_fields` may list.
pub const MAX_FIELDS: usize = 127;

/// The access-point payload (`configuration.payload`, a JSON object). Every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Entity types to find: a list of Comprehend labels, or `"ALL"` for every supported type.
    /// Default: EMAIL, PHONE, SSN, CREDIT_DEBIT_NUMBER, IP_ADDRESS, MAC_ADDRESS, AWS_ACCESS_KEY,
    /// AWS_SECRET_KEY, INTERNATIONAL_BANK_ACCOUNT_NUMBER (the context-gated DATE_TIME,
    /// PASSPORT_NUMBER, BANK_ACCOUNT_NUMBER and BANK_ROUTING are opt-in).
    pub entity_types: EntityTypes,
    /// `MASK` (default): every character of a value becomes `mask_character`, so lengths are kept.
    /// `REPLACE_WITH_PII_ENTITY_TYPE`: a value becomes `[TYPE]`, e.g. `[SSN]`.
    pub mask_mode: MaskMode,
    /// One of `! @ # $ % & *` (default `*`).
    pub mask_character: String,
    /// `redact` (default) returns the redacted object; `deny` returns the object unchanged, or
    /// 403 AccessDenied when it holds any requested entity type (or a non-empty `redact_fields` value).
    pub mode: Mode,
    /// What to do with objects that are not UTF-8 text: `fail` (default, 400
    /// UnsupportedContentType) or `pass` (return them unchanged, as Comprehend's `PASS`).
    pub unsupported_content: UnsupportedContent,
    /// How to read the object: `auto` (default: from Content-Type, then the key's extension),
    /// `text`, `json`, `jsonl`, `csv` or `tsv`.
    pub format: FormatChoice,
    /// JSON keys / CSV column names whose whole values are redacted (case-insensitive), for the
    /// PII a pattern cannot find: `["name", "address", "dob"]`. In `REPLACE_WITH_PII_ENTITY_TYPE`
    /// mode the label is the upper-cased name, e.g. `[ADDRESS]`. Ignored for plain text.
    pub redact_fields: Vec<String>,
    /// Which dates DATE_TIME redacts: `DOB` (default: only after a birth keyword such as `dob`,
    /// `date of birth`, `born`) or `ALL` (every calendar-valid date, including log timestamps).
    pub date_time_scope: DateTimeScope,
    /// Threads that search the object: `1`, `2`, or absent (default) for automatic: two when
    /// [`crate::two_threads`] says they pay (a second core, an object of at least
    /// [`crate::TWO_THREADS_MIN_BYTES`] or of unknown size, and on Lambda at least 3 538 MB
    /// of memory, two vCPUs' worth of CPU time). On two threads the object is searched in blocks of
    /// [`crate::stream::PARALLEL_BLOCK`] bytes, each split at a line break into two parts
    /// searched at once; the output is the same.
    pub threads: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            entity_types: EntityTypes::default(),
            mask_mode: MaskMode::Mask,
            mask_character: "*".to_owned(),
            mode: Mode::Redact,
            unsupported_content: UnsupportedContent::Fail,
            format: FormatChoice::Auto,
            redact_fields: Vec::new(),
            date_time_scope: DateTimeScope::Dob,
            threads: None,
        }
    }
}

/// `entity_types`: `"ALL"` or a list of labels.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum EntityTypes {
    /// A single string; only `"ALL"` is valid.
    Keyword(String),
    /// Labels such as `["SSN", "EMAIL"]`.
    List(Vec<String>),
}

impl Default for EntityTypes {
    fn default() -> Self {
        EntityTypes::List(
            EntityType::DEFAULT
                .iter()
                .map(|t| t.name().to_owned())
                .collect(),
        )
    }
}

/// `mask_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum MaskMode {
    /// Replace every character of the value with the mask character.
    #[default]
    #[serde(rename = "MASK")]
    Mask,
    /// Replace the value with `[TYPE]`.
    #[serde(rename = "REPLACE_WITH_PII_ENTITY_TYPE")]
    ReplaceWithType,
}

/// `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Return the redacted object.
    #[default]
    Redact,
    /// Refuse (403) objects that hold PII; return others unchanged.
    Deny,
}

/// `unsupported_content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UnsupportedContent {
    /// 400 UnsupportedContentType.
    #[default]
    Fail,
    /// Return the object unchanged.
    Pass,
}

/// `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FormatChoice {
    /// From the Content-Type / key hint the runtime passes.
    #[default]
    Auto,
    /// Plain text.
    Text,
    /// One JSON document (or several, whitespace separated).
    Json,
    /// JSON Lines.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
}

/// `date_time_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum DateTimeScope {
    /// Only dates after a birth keyword.
    #[default]
    #[serde(rename = "DOB")]
    Dob,
    /// Every calendar-valid date.
    #[serde(rename = "ALL")]
    All,
}

impl Config {
    /// Parses a payload (JSON text; empty or whitespace means all defaults) and validates it.
    pub fn from_payload(payload: &str) -> Result<Config, Error> {
        if payload.trim().is_empty() {
            return Ok(Config::default());
        }
        let cfg: Config = serde_json::from_str(payload).map_err(|e| Error::InvalidConfig {
            key: "payload",
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Semantic checks serde cannot do; the error names the bad key.
    pub fn validate(&self) -> Result<(), Error> {
        self.types()?;
        self.mask_char()?;
        if self.redact_fields.len() > MAX_FIELDS {
            return Err(bad("redact_fields", format!("at most {MAX_FIELDS} names")));
        }
        if self.threads.is_some_and(|n| !(1..=2).contains(&n)) {
            return Err(bad(
                "threads",
                "must be 1 or 2 (or absent: automatic)".to_owned(),
            ));
        }
        for f in &self.redact_fields {
            if f.trim().is_empty() || f.len() > 128 {
                return Err(bad(
                    "redact_fields",
                    "names must be 1 to 128 bytes".to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// The requested entity types.
    pub fn types(&self) -> Result<TypeSet, Error> {
        match &self.entity_types {
            EntityTypes::Keyword(k) if k.eq_ignore_ascii_case("ALL") => Ok(TypeSet::all()),
            EntityTypes::Keyword(k) => {
                // Comprehend's env form: a comma-separated list.
                parse_list(k.split(','))
            }
            EntityTypes::List(list) => parse_list(list.iter().map(String::as_str)),
        }
    }

    /// The mask character.
    pub fn mask_char(&self) -> Result<char, Error> {
        let mut chars = self.mask_character.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if MASK_CHARACTERS.contains(c) => Ok(c),
            _ => Err(bad(
                "mask_character",
                format!("must be exactly one of {MASK_CHARACTERS}"),
            )),
        }
    }

    /// The format to use, given the runtime's hint (from Content-Type and the object key).
    pub fn format(&self, hint: Format) -> Format {
        match self.format {
            FormatChoice::Auto => hint,
            FormatChoice::Text => Format::Text,
            FormatChoice::Json => Format::Json,
            FormatChoice::Jsonl => Format::JsonLines,
            FormatChoice::Csv => Format::Csv,
            FormatChoice::Tsv => Format::Tsv,
        }
    }
}

fn parse_list<'a>(names: impl Iterator<Item = &'a str>) -> Result<TypeSet, Error> {
    let mut set = TypeSet::EMPTY;
    for raw in names {
        let name = raw.trim();
        if name.eq_ignore_ascii_case("ALL") {
            return Ok(TypeSet::all());
        }
        match EntityType::from_name(&name.to_ascii_uppercase()) {
            Some(t) => set = set.with(t),
            None => {
                let hint = if matches!(name, "NAME" | "ADDRESS" | "AGE" | "USERNAME" | "PASSWORD") {
                    " (no reliable pattern exists; list the JSON key / CSV column in redact_fields)"
                } else {
                    ""
                };
                return Err(bad(
                    "entity_types",
                    format!("unsupported entity type `{name}`{hint}"),
                ));
            }
        }
    }
    if set.is_empty() {
        return Err(bad("entity_types", "the list is empty".to_owned()));
    }
    Ok(set)
}

fn bad(key: &'static str, message: String) -> Error {
    Error::InvalidConfig { key, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_all() {
        let c = Config::from_payload("").unwrap();
        assert_eq!(c.types().unwrap(), TypeSet::default_on());
        let c = Config::from_payload(r#"{"entity_types":"ALL"}"#).unwrap();
        assert_eq!(c.types().unwrap(), TypeSet::all());
        let c = Config::from_payload(
            r#"{"entity_types":["SSN","EMAIL"],"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}"#,
        )
        .unwrap();
        assert_eq!(
            c.types().unwrap(),
            TypeSet::of(&[EntityType::Ssn, EntityType::Email])
        );
        assert_eq!(c.mask_mode, MaskMode::ReplaceWithType);
    }

    #[test]
    fn rejects_bad_keys_by_name() {
        let e = Config::from_payload(r#"{"entity_typs":"ALL"}"#).unwrap_err();
        assert_eq!(e.payload_key(), Some("payload"));
        let e = Config::from_payload(r#"{"entity_types":["NAME"]}"#).unwrap_err();
        assert_eq!(e.payload_key(), Some("entity_types"));
        let e = Config::from_payload(r#"{"mask_character":"ab"}"#).unwrap_err();
        assert_eq!(e.payload_key(), Some("mask_character"));
        let e = Config::from_payload(r#"{"mask_character":"\""}"#).unwrap_err();
        assert_eq!(e.payload_key(), Some("mask_character"));
        let e = Config::from_payload(r#"{"entity_types":[]}"#).unwrap_err();
        assert_eq!(e.payload_key(), Some("entity_types"));
        assert!(Config::from_payload(r#"{"mode":"block"}"#).is_err());
    }
}
