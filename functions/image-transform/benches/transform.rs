//! 12 MP JPEG → 1024 px wide + text watermark, JPEG q85 (the docs' benchmark case).
//!
//! Input: `$IMAGE_BENCH_INPUT` (e.g. the output of `shared/bench/gen_12mp_jpeg.py`), otherwise a
//! synthetic 4000×3000 q95 JPEG made here (smoother than a photo, so it decodes faster).
//! Run single-core as in the README: `taskset -c 0 cargo bench -p image-transform`.
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage};
use image_transform::{CallerInfo, Config, Watermark, transform};

fn input() -> Vec<u8> {
    if let Ok(path) = std::env::var("IMAGE_BENCH_INPUT") {
        return std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let mut seed = 12_345u32;
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 28) as u8;
        let r = ((x * 255 / 4000) as u8).wrapping_add(noise);
        let g = ((y * 255 / 3000) as u8).wrapping_add(noise);
        let b = (((x + y) / 30 % 255) as u8).wrapping_add(noise);
        image::Rgb([r, g, b])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .write_image(image.as_raw(), 4000, 3000, image::ExtendedColorType::Rgb8)
        .expect("encode bench input");
    out
}

fn config(width: u32, text: bool) -> Config {
    Config {
        width: Some(width),
        height: Some(width),
        quality: 85,
        watermark: text.then(|| Watermark {
            text: Some("{user_name}".to_owned()),
            opacity: 0.8,
            ..Watermark::default()
        }),
        ..Config::default()
    }
}

fn bench(c: &mut Criterion) {
    let input = input();
    let caller = CallerInfo {
        user_name: Some("alice@example.com".to_owned()),
        ..CallerInfo::default()
    };
    let mut group = c.benchmark_group("12mp_jpeg");
    group.sample_size(20);
    for (name, width, text) in [
        ("to_1024_text_q85", 1024, true),
        ("to_1024_q85", 1024, false),
        ("to_256_text_q85", 256, true),
    ] {
        let config = config(width, text);
        group.bench_function(name, |b| {
            b.iter(|| transform(black_box(&input), &config, &caller, None).expect("transform"));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
