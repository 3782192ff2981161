//! GET directly from the emulator vs GET through the `passthrough` Object Lambda Access Point,
//! for a 100 MB and a 1 KB object (issue 2's benchmark). Run with
//! `cargo bench -p integration-tests --bench passthrough`.
#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use criterion::{Criterion, criterion_group, criterion_main};
use integration_tests::start_passthrough;
use object_lambda_emulator::test_util::{self, TestEmulator};

const BIG: usize = 100 * 1000 * 1000;
const SMALL: usize = 1000;

async fn get_len(env: &TestEmulator, bucket: &str, key: &str) -> usize {
    let mut body = env
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get")
        .body;
    let mut n = 0;
    while let Some(chunk) = body.try_next().await.expect("body") {
        n += chunk.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let env = rt.block_on(async {
        let env = start_passthrough(test_util::config(&["passthrough"])).await;
        for (key, size) in [("big.bin", BIG), ("small.txt", SMALL)] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            env.s3
                .put_object()
                .bucket("demo")
                .key(key)
                .body(data.into())
                .send()
                .await
                .expect("put");
        }
        env
    });

    let mut small = c.benchmark_group("get_1kb");
    small.bench_function("direct", |b| {
        b.to_async(&rt).iter(|| get_len(&env, "demo", "small.txt"));
    });
    small.bench_function("through_passthrough", |b| {
        b.to_async(&rt)
            .iter(|| get_len(&env, "passthrough", "small.txt"));
    });
    small.finish();

    let mut big = c.benchmark_group("get_100mb");
    big.sample_size(10);
    big.bench_function("direct", |b| {
        b.to_async(&rt).iter(|| get_len(&env, "demo", "big.bin"));
    });
    big.bench_function("through_passthrough", |b| {
        b.to_async(&rt)
            .iter(|| get_len(&env, "passthrough", "big.bin"));
    });
    big.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
