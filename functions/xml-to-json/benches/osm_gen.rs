//! Deterministic OpenStreetMap-like XML (nodes with tags, ways with node refs, relations),
//! shared by the criterion bench and the `gen_osm` example.

use std::io::{self, Write};

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KEYS: &[&str] = &[
    "highway",
    "name",
    "amenity",
    "building",
    "addr:street",
    "surface",
    "source",
    "oneway",
];
const VALUES: &[&str] = &[
    "residential",
    "Main Street",
    "pub",
    "yes",
    "Rue de l'Église",
    "asphalt",
    "survey",
    "no",
];
const USERS: &[&str] = &["alice", "bob", "carol & dave", "émile", "ゆき", "mapper_42"];

/// Writes an OSM-like document of roughly `target` bytes to `w`.
pub(crate) fn write_osm<W: Write>(w: &mut W, target: u64) -> io::Result<u64> {
    let mut rng = Lcg(0x5EED);
    let mut written: u64 = 0;
    let put = |w: &mut W, written: &mut u64, s: &str| -> io::Result<()> {
        *written += s.len() as u64;
        w.write_all(s.as_bytes())
    };
    put(
        w,
        &mut written,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" generator=\"osm_gen\">\n",
    )?;
    put(
        w,
        &mut written,
        " <bounds minlat=\"51.2\" minlon=\"-0.5\" maxlat=\"51.7\" maxlon=\"0.3\"/>\n",
    )?;
    let mut id: u64 = 1_000_000;
    let mut line = String::new();
    while written + 20 < target {
        line.clear();
        id += 1 + rng.below(5);
        let user = USERS[rng.below(USERS.len() as u64) as usize].replace('&', "&amp;");
        let common = format!(
            "id=\"{id}\" version=\"{}\" timestamp=\"2024-0{}-1{}T12:3{}:00Z\" changeset=\"{}\" uid=\"{}\" user=\"{user}\" visible=\"true\"",
            1 + rng.below(9),
            1 + rng.below(9),
            rng.below(10),
            rng.below(10),
            10_000_000 + rng.below(90_000_000),
            1000 + rng.below(900_000),
        );
        let kind = rng.below(100);
        if kind < 85 {
            let lat = format!("51.{:07}", rng.below(10_000_000));
            let lon = format!("-0.{:07}", rng.below(10_000_000));
            let tags = if rng.below(4) == 0 {
                1 + rng.below(3)
            } else {
                0
            };
            if tags == 0 {
                line.push_str(&format!(" <node {common} lat=\"{lat}\" lon=\"{lon}\"/>\n"));
            } else {
                line.push_str(&format!(" <node {common} lat=\"{lat}\" lon=\"{lon}\">\n"));
                for _ in 0..tags {
                    push_tag(&mut line, &mut rng);
                }
                line.push_str(" </node>\n");
            }
        } else if kind < 98 {
            line.push_str(&format!(" <way {common}>\n"));
            for _ in 0..2 + rng.below(10) {
                line.push_str(&format!(
                    "  <nd ref=\"{}\"/>\n",
                    1_000_000 + rng.below(id - 999_999)
                ));
            }
            for _ in 0..1 + rng.below(4) {
                push_tag(&mut line, &mut rng);
            }
            line.push_str(" </way>\n");
        } else {
            line.push_str(&format!(" <relation {common}>\n"));
            for _ in 0..1 + rng.below(6) {
                line.push_str(&format!(
                    "  <member type=\"way\" ref=\"{}\" role=\"{}\"/>\n",
                    1_000_000 + rng.below(id - 999_999),
                    if rng.below(2) == 0 { "outer" } else { "inner" }
                ));
            }
            push_tag(&mut line, &mut rng);
            line.push_str(" </relation>\n");
        }
        put(w, &mut written, &line)?;
    }
    put(w, &mut written, "</osm>\n")?;
    Ok(written)
}

fn push_tag(line: &mut String, rng: &mut Lcg) {
    let k = KEYS[rng.below(KEYS.len() as u64) as usize];
    let v = VALUES[rng.below(VALUES.len() as u64) as usize].replace('\'', "&apos;");
    line.push_str(&format!("  <tag k=\"{k}\" v=\"{v}\"/>\n"));
}

/// An OSM-like document of roughly `target` bytes, in memory.
#[allow(dead_code, reason = "used by the bench, not by the gen_osm example")]
pub(crate) fn osm(target: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(target as usize + 4096);
    // Writing to a Vec cannot fail.
    let _ = write_osm(&mut v, target);
    v
}
