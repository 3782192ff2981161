//! XML → JSON conversion core of the `xml-to-json` function: a pure library.
//!
//! The default mapping is xmltodict 1.0.4's (`xmltodict.parse` + `json.dumps`):
//! attributes become `"@name"` keys, text next to attributes or children goes under
//! `"#text"`, repeated sibling names (adjacent or not) become arrays, empty elements
//! `null`, whitespace is stripped, CDATA merges into text, comments and processing
//! instructions are dropped, values stay strings, prefixes stay as written and `xmlns`
//! declarations are ordinary attributes. See [`Config`] for the options (the access-point
//! payload keys), including `item_depth` (NDJSON records in bounded memory) and `ordered`
//! (JsonML-style, order-preserving).
//!
//! Hostile input: entity declarations are refused (as xmltodict 1.0 does), so nothing is
//! ever expanded or fetched; only the five predefined entities and character references
//! resolve. Depth, attributes, namespace declarations, text and output sizes are limited,
//! and nothing recurses on document depth.
//!
//! ```
//! let config = xml_to_json::Config::from_payload(r#"{"force_list":["b"]}"#).unwrap();
//! let json = xml_to_json::convert(b"<a><b>1</b></a>", &config).unwrap();
//! assert_eq!(json, b"{\"a\":{\"b\":[\"1\"]}}\n");
//! ```

mod attrs;
mod config;
mod converter;
mod decode;
mod error;
#[cfg(feature = "lambda")]
pub mod function;
mod fxhash;
mod handler;
mod json;
#[cfg(feature = "lambda")]
mod local;
mod names;
mod ns;
mod ordered;
mod pipeline;
mod position;
mod problem;
mod scan;
mod segment;
mod tag;
mod tree;

pub use config::{CONTENT_TYPE_JSON, CONTENT_TYPE_NDJSON, Config, ForceList, content_type};
pub use converter::{Converter, convert};
pub use error::{Error, ErrorKind, Result};
pub use pipeline::{PIPELINE_MIN_BYTES, pipeline_pays_off, second_core_available};
pub use tree::OutputSink;
