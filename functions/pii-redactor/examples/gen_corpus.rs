//! Writes a generated mixed corpus to stdout: `gen_corpus SIZE_MB [SEED]`.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mb: usize = args
        .next()
        .ok_or("usage: gen_corpus SIZE_MB [SEED]")?
        .parse()?;
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Write in 1 MiB pieces so memory stays small for 200 MB corpora.
    for i in 0..mb {
        let piece = pii_redactor::corpus::mixed_text(
            seed.wrapping_mul(1_000_003).wrapping_add(i as u64),
            1 << 20,
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
