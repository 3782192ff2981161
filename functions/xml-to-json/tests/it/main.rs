//! Integration tests of the xml-to-json core (one binary, topic modules).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on unexpected failures"
)]

mod golden;
mod properties;
mod security;
mod streaming;

use xml_to_json::{Config, Converter, Error};

/// Converts `input` fed in chunks of `chunk` bytes.
pub(crate) fn convert_chunked(
    input: &[u8],
    config: &Config,
    chunk: usize,
) -> Result<Vec<u8>, Error> {
    let mut conv = Converter::new(config.clone())?;
    let mut out = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        conv.feed(c, &mut out)?;
    }
    conv.finish(&mut out)?;
    Ok(out)
}

pub(crate) fn testdata(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}
