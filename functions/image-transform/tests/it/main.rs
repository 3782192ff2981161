//! Golden-property tests of `image_transform::transform` on real and generated images.

mod fits;
mod formats;
mod hostile;
mod orientation;
mod watermark;

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use image_transform::{CallerInfo, Config, Error, ErrorKind, Output, transform};

/// Bytes of a file under `testdata/`.
pub(crate) fn testdata(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn config(json: &str) -> Config {
    let config: Config = serde_json::from_str(json).expect("valid payload");
    config.validate().expect("valid payload");
    config
}

pub(crate) fn caller() -> CallerInfo {
    CallerInfo {
        principal_id: "AIDAEXAMPLEPRINCIPAL".into(),
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        account_id: "123456789012".into(),
        user_name: Some("alice".into()),
        key: "photos/cat.jpg".into(),
        date: "2026-11-27".into(),
    }
}

pub(crate) fn run(input: &[u8], json: &str) -> Result<Output, Error> {
    transform(input, &config(json), &caller(), None)
}

pub(crate) fn ok(input: &[u8], json: &str) -> Output {
    run(input, json).unwrap_or_else(|e| panic!("transform failed: {e}"))
}

pub(crate) fn kind(input: &[u8], json: &str) -> ErrorKind {
    match run(input, json) {
        Ok(out) => panic!("expected an error, got {}x{}", out.width, out.height),
        Err(e) => e.kind(),
    }
}

pub(crate) fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("output decodes")
}

pub(crate) fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// A `w`×`h` image in four flat quadrants: TL red, TR green, BL blue, BR white.
pub(crate) fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let (right, bottom) = (x >= w / 2, y >= h / 2);
        image::Rgb(match (right, bottom) {
            (false, false) => [255, 0, 0],
            (true, false) => [0, 255, 0],
            (false, true) => [0, 0, 255],
            (true, true) => [255, 255, 255],
        })
    })
}

/// Per-channel closeness.
pub(crate) fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}
