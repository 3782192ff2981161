//! Integration tests of the xml-to-json core (one binary, topic modules).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on unexpected failures"
)]

mod golden;
#[cfg(feature = "lambda")]
mod local_mode;
mod properties;
mod security;
mod streaming;

use xml_to_json::{Config, Converter, Error};

/// Converts `input` fed in chunks of `chunk` bytes, on one thread and pipelined: both must
/// give the same output, or the same error at the same position.
pub(crate) fn convert_chunked(
    input: &[u8],
    config: &Config,
    chunk: usize,
) -> Result<Vec<u8>, Error> {
    let inline = run(input, config, chunk, false);
    let piped = run(input, config, chunk, true);
    assert_eq!(
        summary(&piped),
        summary(&inline),
        "pipelined and one-thread conversions differ (chunk {chunk})"
    );
    inline
}

fn run(input: &[u8], config: &Config, chunk: usize, pipelined: bool) -> Result<Vec<u8>, Error> {
    let mut conv = Converter::new(config.clone())?;
    conv.set_pipelined(pipelined);
    let mut out = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        conv.feed(c, &mut out)?;
    }
    conv.finish(&mut out)?;
    Ok(out)
}

fn summary(r: &Result<Vec<u8>, Error>) -> Result<&[u8], String> {
    r.as_ref().map(Vec::as_slice).map_err(|e| format!("{e:?}"))
}

pub(crate) fn testdata(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}
