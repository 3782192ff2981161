//! Writes a deterministic OpenStreetMap-like document to stdout: `gen_osm MEGABYTES`
//! (decimals allowed: `gen_osm 5.7`).

#[path = "../benches/osm_gen.rs"]
mod osm_gen;

fn main() -> std::io::Result<()> {
    let mb: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(6.0);
    let stdout = std::io::stdout().lock();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout);
    osm_gen::write_osm(&mut w, (mb * 1e6) as u64)?;
    Ok(())
}
