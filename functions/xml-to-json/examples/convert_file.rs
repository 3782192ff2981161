//! Whole-process converter for benchmarks and manual checks until the real binary exists.
//!
//! `convert_file [PAYLOAD_JSON] < in.xml > out.json` — streams stdin in 64 KiB chunks
//! through [`xml_to_json::Converter`] and writes output as it is produced.
//! Exit 2 with the error on stderr when the input is rejected.

use std::io::{Read, Write};
use std::os::fd::AsFd;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let payload = std::env::args().nth(1).unwrap_or_default();
    let config = xml_to_json::Config::from_payload(&payload)?;
    let mut conv = xml_to_json::Converter::new(config)?;
    // As the Lambda function: two threads when there is a second core and the input is
    // big enough (a file's size; a pipe's is unknown), unless XML_TO_JSON_THREADS says.
    let stdin_len = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?)
        .metadata()
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len());
    conv.set_expected_len(stdin_len);
    conv.set_pipelined(match std::env::var("XML_TO_JSON_THREADS").as_deref() {
        Ok("1") => false,
        Ok("2") => true,
        _ => xml_to_json::pipeline_pays_off(stdin_len) && xml_to_json::second_core_available(),
    });
    let mut stdin = std::io::stdin().lock();
    // Standard output as a plain file: `Stdout` is line-buffered and would scan every
    // output byte for a newline.
    let mut stdout = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    // Tree mode: the document's JSON leaves in 64 KiB pieces while it is serialised.
    let mut sink = stdout.try_clone()?;
    conv.set_sink(Box::new(move |piece| sink.write_all(piece)));
    let mut chunk = vec![0u8; 64 << 10];
    let mut out = Vec::with_capacity(256 << 10);
    loop {
        let n = stdin.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        conv.feed(&chunk[..n], &mut out)?;
        if out.len() >= 128 << 10 {
            stdout.write_all(&out)?;
            out.clear();
        }
    }
    conv.finish(&mut out)?;
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("convert_file: rejected: {e}");
        std::process::exit(2);
    }
}
