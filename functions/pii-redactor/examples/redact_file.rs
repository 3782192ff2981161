//! Redacts a file (or stdin) to stdout, streaming in 64 KiB reads: the whole-process
//! benchmark stand-in for the Lambda binary.
//!
//! `cargo run --release --example redact_file -- [--payload JSON] [--format text|json|jsonl|csv|tsv] [FILE]`
//! `--patterns` prints the candidate patterns (one per line, for `rg -f`).

use std::io::{Read, Write};

use pii_redactor::{Config, Redactor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut payload = String::new();
    let mut format = None;
    let mut file = None;
    let mut print_patterns = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--payload" => payload = args.next().ok_or("--payload needs a value")?,
            "--format" => format = Some(args.next().ok_or("--format needs a value")?),
            "--patterns" => print_patterns = true,
            _ => file = Some(a),
        }
    }
    let redactor = Redactor::new(&Config::from_payload(&payload)?)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if print_patterns {
        for p in redactor.patterns() {
            writeln!(out, "{p}")?;
        }
        return Ok(());
    }
    let format = match format.as_deref() {
        Some(f) => redactor.format_for(None, Some(&format!("x.{f}"))),
        None => redactor.format_for(None, file.as_deref()),
    };
    // The size decides the threads as the Lambda function's Content-Length does.
    let (mut input, len): (Box<dyn Read>, Option<u64>) = match &file {
        Some(f) => {
            let f = std::fs::File::open(f)?;
            let len = f.metadata()?.len();
            (Box::new(f), Some(len))
        }
        None => (Box::new(std::io::stdin().lock()), None),
    };
    let mut stream = redactor.stream_sized(format, len, pii_redactor::second_core_available());
    let mut buf = vec![0u8; 64 * 1024];
    let mut redacted = Vec::with_capacity(80 * 1024);
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        stream.push(&buf[..n], &mut redacted)?;
        out.write_all(&redacted)?;
        redacted.clear();
    }
    stream.finish(&mut redacted)?;
    out.write_all(&redacted)?;
    Ok(())
}
