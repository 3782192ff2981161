//! Criterion: streaming redaction of 1 MiB and 10 MiB generated mixed corpora.
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pii_redactor::{Config, Format, Redactor, corpus};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact");
    group.sample_size(10);
    for (name, payload) in [("default", ""), ("all_types", r#"{"entity_types":"ALL"}"#)] {
        let Ok(r) = Config::from_payload(payload).and_then(|cfg| Redactor::new(&cfg)) else {
            continue;
        };
        for mib in [1usize, 10] {
            let text = corpus::mixed_text(42, mib << 20);
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(
                BenchmarkId::new(name, format!("{mib}MiB")),
                &text,
                |b, text| {
                    b.iter(|| {
                        let mut s = r.stream(Format::Text);
                        let mut out = Vec::with_capacity(80 * 1024);
                        let mut total = 0;
                        for chunk in text.as_bytes().chunks(64 * 1024) {
                            out.clear();
                            s.push(chunk, &mut out).ok();
                            total += out.len();
                        }
                        out.clear();
                        s.finish(&mut out).ok();
                        total + out.len()
                    });
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
