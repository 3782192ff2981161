//! Writes a generated mixed corpus to stdout: `gen_corpus [--typical] SIZE_MB [SEED]`.
//!
//! Default: the dense corpus (PII or a look-alike every ~57 bytes, the worst case).
//! `--typical`: the same documents padded with PII-free text of their own kind to one planted
//! PII value per KiB (see `pii_redactor::corpus::Density::Typical`).
//! `gen_corpus --national COUNT [SEED]`: COUNT lines `REGION<TAB>number` from
//! `Rng::national_phone` (for checking the generator against libphonenumber by hand).

use std::io::Write;

use pii_redactor::corpus::{Density, Rng, mixed_text_at};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: gen_corpus [--typical] SIZE_MB [SEED]";
    let mut density = Density::Dense;
    let mut pos = Vec::new();
    let mut national = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--national" => national = true,
            "--typical" => density = Density::Typical,
            "--dense" => density = Density::Dense,
            _ => pos.push(a),
        }
    }
    let mb: usize = pos.first().ok_or(usage)?.parse()?;
    let seed: u64 = pos.get(1).map_or(Ok(1), |s| s.parse())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if national {
        let mut rng = Rng::new(seed);
        for _ in 0..mb {
            let (region, number) = rng.national_phone();
            writeln!(out, "{region}\t{number}")?;
        }
        out.flush()?;
        return Ok(());
    }
    // Write in 1 MiB pieces so memory stays small for 200 MB corpora.
    for i in 0..mb {
        let piece = mixed_text_at(
            seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
            1 << 20,
            density,
        );
        let mut end = piece.len().min(1 << 20);
        while !piece.is_char_boundary(end) {
            end -= 1;
        }
        out.write_all(&piece.as_bytes()[..end])?;
    }
    out.flush()?;
    Ok(())
}
