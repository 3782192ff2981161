//! The access-point payload: options of the conversion, with documented defaults.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Content type of a JSON document (tree mode).
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// Content type of newline-delimited JSON records (`item_depth` mode).
pub const CONTENT_TYPE_NDJSON: &str = "application/x-ndjson";

/// Upper bound accepted for `max_text_bytes` (values are stored with 30-bit lengths).
const MAX_TEXT_BYTES_CAP: u64 = 256 << 20;

/// Conversion options. The serde names are the payload keys; unknown keys are rejected.
///
/// All defaults reproduce xmltodict 1.0.4's `parse()` defaults followed by `json.dumps`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Prefix of attribute keys (`"@"`): `<a id="1"/>` → `{"a":{"@id":"1"}}`. May be empty.
    pub attr_prefix: String,
    /// Key of an element's text when it also has attributes or children (`"#text"`).
    pub text_key: String,
    /// Element names whose values are always arrays (`["item"]`), or `true` for every
    /// element including the root and `#text` (xmltodict semantics). Default `false`.
    pub force_list: ForceList,
    /// Expand prefixes to namespace URIs (`URI:local`) and gather `xmlns` declarations in
    /// one `@xmlns` object, as xmltodict's `process_namespaces=True`. Default `false`:
    /// names stay as written and `xmlns`/`xmlns:p` are ordinary attributes.
    pub process_namespaces: bool,
    /// With `process_namespaces`: map a namespace URI to a short prefix (`{"URI":"s"}` →
    /// `s:local`), or drop it (`{"URI":null}` or `""` → `local`). Default empty.
    pub namespaces: BTreeMap<String, Option<String>>,
    /// Strip leading/trailing whitespace of each element's joined text and drop
    /// whitespace-only text (`true`). In `ordered` mode only whitespace-only text nodes
    /// are dropped; other text nodes are kept intact.
    pub strip_whitespace: bool,
    /// Indent the JSON output (2 spaces). Not allowed with `item_depth` (NDJSON is one
    /// record per line). Default `false`.
    pub pretty: bool,
    /// Order-preserving JsonML-style output instead of the xmltodict mapping: each element
    /// is `["name", {attributes}?, children...]`, text nodes are strings, document order
    /// and mixed content are kept. Default `false`. `attr_prefix`, `text_key` and
    /// `force_list` do not apply and must keep their defaults.
    pub ordered: bool,
    /// `0` (default): one JSON document for the root. `N ≥ 1`: emit one NDJSON record
    /// `{"name": value}` (or a JsonML array in `ordered` mode) per element at depth `N`
    /// (the root is depth 1), in document order, skipping everything outside those
    /// elements. Memory then depends on the largest record, not on the object size.
    pub item_depth: u32,
    /// Maximum element nesting depth (`1000`).
    pub max_depth: u32,
    /// Maximum attributes on one element, namespace declarations included (`1024`).
    pub max_attributes: u32,
    /// Maximum namespace declarations (`xmlns`, `xmlns:p`) in scope at once (`256`).
    pub max_namespace_declarations: u32,
    /// Maximum bytes (UTF-8) of one element's text, one attribute value, and of any single
    /// markup construct (tag, comment, CDATA section, DOCTYPE) (`16777216`, 16 MiB;
    /// at most 256 MiB).
    pub max_text_bytes: u64,
    /// Maximum bytes of JSON output (`1073741824`, 1 GiB). In tree mode the document is
    /// also refused as soon as its stored size crosses this limit.
    pub max_output_bytes: u64,
}

/// Value of `force_list`: `true`/`false`, or a list of element names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ForceList {
    /// `true`: every element (and `#text`) is an array; `false`: none.
    All(bool),
    /// Only these names (after namespace processing) are always arrays.
    Names(Vec<String>),
}

impl Default for ForceList {
    fn default() -> Self {
        ForceList::All(false)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            attr_prefix: "@".to_owned(),
            text_key: "#text".to_owned(),
            force_list: ForceList::default(),
            process_namespaces: false,
            namespaces: BTreeMap::new(),
            strip_whitespace: true,
            pretty: false,
            ordered: false,
            item_depth: 0,
            max_depth: 1000,
            max_attributes: 1024,
            max_namespace_declarations: 256,
            max_text_bytes: 16 << 20,
            max_output_bytes: 1 << 30,
        }
    }
}

fn invalid(key: &'static str, message: &str) -> Error {
    Error::InvalidConfig {
        key,
        message: message.to_owned(),
    }
}

impl Config {
    /// Parses a payload (JSON text; empty means defaults) and validates it.
    pub fn from_payload(payload: &str) -> Result<Self> {
        if payload.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_json::from_str(payload).map_err(|e| Error::InvalidConfig {
            key: "payload",
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Semantic checks that serde cannot express; the error names the bad key.
    pub fn validate(&self) -> Result<()> {
        let defaults = Config::default();
        if self.text_key.is_empty() {
            return Err(invalid("text_key", "must not be empty"));
        }
        if !self.text_key.is_empty() && self.text_key == self.attr_prefix {
            return Err(invalid("text_key", "must differ from attr_prefix"));
        }
        if let ForceList::Names(names) = &self.force_list
            && names.iter().any(String::is_empty)
        {
            return Err(invalid("force_list", "names must not be empty"));
        }
        if !self.namespaces.is_empty() && !self.process_namespaces {
            return Err(invalid("namespaces", "requires process_namespaces: true"));
        }
        if self.namespaces.keys().any(String::is_empty) {
            return Err(invalid("namespaces", "namespace URIs must not be empty"));
        }
        if self.ordered {
            if self.attr_prefix != defaults.attr_prefix {
                return Err(invalid("attr_prefix", "does not apply in ordered mode"));
            }
            if self.text_key != defaults.text_key {
                return Err(invalid("text_key", "does not apply in ordered mode"));
            }
            if self.force_list != defaults.force_list {
                return Err(invalid("force_list", "does not apply in ordered mode"));
            }
        }
        if self.pretty && self.item_depth > 0 {
            return Err(invalid(
                "pretty",
                "cannot be combined with item_depth (NDJSON)",
            ));
        }
        for (key, value) in [
            ("max_depth", u64::from(self.max_depth)),
            ("max_attributes", u64::from(self.max_attributes)),
            (
                "max_namespace_declarations",
                u64::from(self.max_namespace_declarations),
            ),
            ("max_text_bytes", self.max_text_bytes),
            ("max_output_bytes", self.max_output_bytes),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self.max_text_bytes > MAX_TEXT_BYTES_CAP {
            return Err(invalid(
                "max_text_bytes",
                "must be at most 268435456 (256 MiB)",
            ));
        }
        if self.item_depth > self.max_depth {
            return Err(invalid("item_depth", "must not exceed max_depth"));
        }
        Ok(())
    }

    /// Content type of the output this configuration produces.
    pub fn content_type(&self) -> &'static str {
        if self.item_depth > 0 {
            CONTENT_TYPE_NDJSON
        } else {
            CONTENT_TYPE_JSON
        }
    }

    /// Whether `name` (after namespace processing) is always an array.
    pub(crate) fn forces_list(&self, name: &str) -> bool {
        match &self.force_list {
            ForceList::All(all) => *all,
            ForceList::Names(names) => names.iter().any(|n| n == name),
        }
    }
}

/// Content type of the output for `config` (same as [`Config::content_type`]).
pub fn content_type(config: &Config) -> &'static str {
    config.content_type()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_keys() {
        assert_eq!(Config::from_payload("").unwrap(), Config::default());
        assert_eq!(Config::from_payload("{}").unwrap(), Config::default());
        let err = Config::from_payload(r#"{"attr_prefx":"_"}"#).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidPayload);
        assert!(err.to_string().contains("attr_prefx"));
    }

    #[test]
    fn force_list_forms() {
        let c = Config::from_payload(r#"{"force_list":["item","entry"]}"#).unwrap();
        assert!(c.forces_list("item") && !c.forces_list("x"));
        let c = Config::from_payload(r#"{"force_list":true}"#).unwrap();
        assert!(c.forces_list("anything"));
        assert!(Config::from_payload(r#"{"force_list":3}"#).is_err());
    }

    #[test]
    fn semantic_errors_name_the_key() {
        for (payload, key) in [
            (r#"{"text_key":""}"#, "text_key"),
            (r#"{"pretty":true,"item_depth":2}"#, "pretty"),
            (r#"{"ordered":true,"attr_prefix":"_"}"#, "attr_prefix"),
            (r#"{"namespaces":{"u":"p"}}"#, "namespaces"),
            (r#"{"max_depth":0}"#, "max_depth"),
            (r#"{"max_text_bytes":1000000000}"#, "max_text_bytes"),
            (r#"{"item_depth":5,"max_depth":4}"#, "item_depth"),
        ] {
            let err = Config::from_payload(payload).unwrap_err();
            assert_eq!(err.payload_key(), Some(key), "{payload}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(Config::default().content_type(), CONTENT_TYPE_JSON);
        let c = Config {
            item_depth: 2,
            ..Config::default()
        };
        assert_eq!(content_type(&c), CONTENT_TYPE_NDJSON);
    }
}
