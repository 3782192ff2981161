//! Hostile input: the right error, fast, without allocating what the header claims.

use std::time::{Duration, Instant};

use image_transform::ErrorKind;

use crate::{kind, ok, run, testdata};

/// Header-only rejections take microseconds; the bound leaves room for a loaded CI machine.
const FAST: Duration = Duration::from_secs(2);
/// Decoding errors may need a (debug-build) partial decode first: only hangs are caught here.
const NO_HANG: Duration = Duration::from_secs(30);

fn timed_kind(input: &[u8], json: &str) -> ErrorKind {
    timed_kind_within(input, json, NO_HANG)
}

fn fast_kind(input: &[u8], json: &str) -> ErrorKind {
    timed_kind_within(input, json, FAST)
}

fn timed_kind_within(input: &[u8], json: &str, bound: Duration) -> ErrorKind {
    let start = Instant::now();
    let k = kind(input, json);
    assert!(start.elapsed() < bound, "took {:?}", start.elapsed());
    k
}

/// PNG signature + IHDR declaring `w`×`h` RGBA8 + a tiny IDAT + IEND (CRCs computed).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real JPEG with its SOF dimensions patched to `w`×`h` (entropy data left as is).
fn jpeg_with_dims(w: u16, h: u16) -> Vec<u8> {
    let mut jpeg = testdata("jpeg_progressive.jpg");
    let sof = jpeg
        .windows(2)
        .position(|m| m[0] == 0xFF && (m[1] == 0xC0 || m[1] == 0xC2))
        .expect("SOF");
    jpeg[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    jpeg
}

#[test]
fn shared_broken_files() {
    assert_eq!(
        timed_kind(&testdata("png_truncated_10kb.png"), "{}"),
        ErrorKind::InvalidObjectContent
    );
    assert_eq!(
        timed_kind(&testdata("jpeg_corrupt_header.jpg"), "{}"),
        ErrorKind::InvalidObjectContent
    );
}

#[test]
fn empty_and_unknown() {
    assert_eq!(fast_kind(b"", "{}"), ErrorKind::InvalidObjectContent);
    assert_eq!(
        fast_kind(b"%PDF-1.7 hello", "{}"),
        ErrorKind::UnsupportedContentType
    );
    assert_eq!(
        fast_kind(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0", "{}"),
        ErrorKind::UnsupportedContentType
    );
    assert_eq!(
        fast_kind(b"{\"json\": true}", "{}"),
        ErrorKind::UnsupportedContentType
    );
}

#[test]
fn wrong_extension_is_sniffed_from_content() {
    // PNG bytes stored under a .jpg key: decoded as PNG, Content-Type says PNG.
    let out = ok(&testdata("png_palette_8bit.png"), "{}");
    assert_eq!(out.content_type, "image/png");
}

#[test]
fn truncated_inputs_are_errors_not_grey_images() {
    for name in [
        "jpeg_progressive.jpg",
        "jpeg_exif_orient6_rot90cw.jpg",
        "jpeg_grayscale_icc.jpg",
        "generated/jpeg_lossless_rgb.jpg",
        "generated/jpeg_lossless_gray.jpg",
        "gif_real_800x533.gif",
        "webp_lossy.webp",
        "png_palette_8bit.png",
    ] {
        let full = testdata(name);
        for cut in [full.len() / 3, full.len() * 2 / 3, full.len() - 10] {
            let bytes = &full[..cut];
            // Full-size decode and (for JPEGs) the DCT-scaled path.
            for json in [r#"{"format":"png"}"#, r#"{"width":64,"format":"png"}"#] {
                assert_eq!(
                    timed_kind(bytes, json),
                    ErrorKind::InvalidObjectContent,
                    "{name} cut at {cut}, {json}"
                );
            }
        }
    }
}

#[test]
fn corrupt_entropy_data_is_an_error() {
    let mut jpeg = testdata("jpeg_exif_orient6_rot90cw.jpg");
    let n = jpeg.len();
    // Overwrite a stretch in the middle of the scan with marker-like garbage.
    for b in &mut jpeg[n / 2..n / 2 + 64] {
        *b = 0xFF;
    }
    assert_eq!(
        timed_kind(&jpeg, r#"{"format":"png"}"#),
        ErrorKind::InvalidObjectContent
    );
}

#[test]
fn decompression_bombs_rejected_from_the_header() {
    assert_eq!(
        fast_kind(&png_header(100_000, 100_000), "{}"),
        ErrorKind::EntityTooLarge
    );
    assert_eq!(
        fast_kind(&png_header(20_000, 14_000), "{}"),
        ErrorKind::EntityTooLarge
    );
    assert_eq!(
        fast_kind(&jpeg_with_dims(20_000, 14_000), "{}"),
        ErrorKind::EntityTooLarge
    );
    assert_eq!(
        fast_kind(&jpeg_with_dims(65_535, 65_535), r#"{"width":100}"#),
        ErrorKind::EntityTooLarge
    );
    // A small limit applies to ordinary images too.
    assert_eq!(
        fast_kind(
            &testdata("jpeg_progressive.jpg"),
            r#"{"max_input_pixels":1000}"#
        ),
        ErrorKind::EntityTooLarge
    );
    assert_eq!(
        fast_kind(
            &testdata("jpeg_progressive.jpg"),
            r#"{"max_input_bytes":1000}"#
        ),
        ErrorKind::EntityTooLarge
    );
}

#[test]
fn declared_size_within_limits_but_data_missing_is_invalid() {
    assert_eq!(
        timed_kind(&png_header(4000, 3000), "{}"),
        ErrorKind::InvalidObjectContent
    );
    assert_eq!(
        timed_kind(&jpeg_with_dims(4000, 3000), r#"{"format":"png"}"#),
        ErrorKind::InvalidObjectContent
    );
}

#[test]
fn payload_errors_name_the_key() {
    use image_transform::{Config, Error};
    let bad = |json: &str| -> String {
        let config: Config = serde_json::from_str(json).expect("parses");
        match config.validate() {
            Err(Error::InvalidPayload { key, .. }) => key,
            other => panic!("{json}: {other:?}"),
        }
    };
    assert_eq!(bad(r#"{"quality":0}"#), "quality");
    assert_eq!(bad(r#"{"width":0}"#), "width");
    assert_eq!(bad(r#"{"background":"red"}"#), "background");
    assert_eq!(
        bad(r#"{"watermark":{"text":"{password}"}}"#),
        "watermark.text"
    );
    assert_eq!(
        bad(r#"{"watermark":{"text":"x","opacity":2}}"#),
        "watermark.opacity"
    );
    assert_eq!(
        bad(r##"{"watermark":{"text":"x","color":"#12"}}"##),
        "watermark.color"
    );
    assert_eq!(bad(r#"{"watermark":{}}"#), "watermark");
    assert_eq!(
        bad(r#"{"watermark":{"image":{"base64":"!!"}}}"#),
        "watermark.image.base64"
    );
    assert_eq!(bad(r#"{"watermark":{"image":{}}}"#), "watermark.image");
    assert!(
        serde_json::from_str::<Config>(r#"{"widht":10}"#).is_err(),
        "unknown keys rejected"
    );
    assert!(serde_json::from_str::<Config>(r#"{"watermark":{"txt":"a"}}"#).is_err());
    assert!(serde_json::from_str::<Config>(r#"{"fit":"crop"}"#).is_err());
}

#[test]
fn stray_bytes_between_header_segments_are_tolerated() {
    // libjpeg's "extraneous bytes before marker" warning: viewers and the peers accept these.
    let clean = testdata("jpeg_progressive.jpg");
    let app0_end = 4 + usize::from(u16::from_be_bytes([clean[4], clean[5]]));
    let mut dirty = clean[..app0_end].to_vec();
    dirty.extend_from_slice(&[0x00, 0x13, 0x37, 0x42]);
    dirty.extend_from_slice(&clean[app0_end..]);
    let a = ok(&clean, r#"{"format":"png"}"#);
    let b = ok(&dirty, r#"{"format":"png"}"#);
    assert_eq!(a.bytes, b.bytes);
    // ...while the image data itself is still checked strictly.
    let n = dirty.len();
    assert_eq!(
        timed_kind(&dirty[..n / 2], r#"{"format":"png"}"#),
        ErrorKind::InvalidObjectContent
    );
}

#[test]
fn broken_lossless_jpegs_are_errors_not_panics() {
    let full = testdata("generated/jpeg_lossless_rgb.jpg");
    // Every byte of the headers and the start of the scan, set to values a fuzzer would try.
    for at in 2..200 {
        for value in [0x00, 0x01, 0x02, 0x04, 0x7F, 0xC0, 0xDA, 0xFF] {
            let mut bytes = full.clone();
            bytes[at] = value;
            // Success (a harmless byte) or a 4xx; never a panic or an internal error.
            if let Err(e) = run(&bytes, r#"{"format":"png"}"#) {
                assert_ne!(
                    e.kind(),
                    ErrorKind::InternalError,
                    "byte {at} = {value}: {e}"
                );
            }
        }
    }
    // A lossless frame with two components, which jpeg-decoder cannot represent.
    let mut two = testdata("generated/jpeg_lossless_gray.jpg");
    let sof = two.windows(2).position(|w| w == [0xFF, 0xC3]).unwrap();
    two[sof + 9] = 2;
    assert_eq!(
        kind(&two, "{}"),
        ErrorKind::InvalidObjectContent,
        "malformed frame header (length does not match)"
    );
}
