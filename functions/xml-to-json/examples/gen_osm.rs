//! Writes a deterministic OpenStreetMap-like document to stdout: `gen_osm MEGABYTES`.

#[path = "../benches/osm_gen.rs"]
mod osm_gen;

fn main() -> std::io::Result<()> {
    let mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(6);
    let stdout = std::io::stdout().lock();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout);
    osm_gen::write_osm(&mut w, mb * 1_000_000)?;
    Ok(())
}
