//! EXIF orientation: all 8 values come out upright, compared with a rotated reference.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder, RgbImage, imageops};

use crate::{decode, near, ok, quadrants, testdata};

/// A minimal little-endian TIFF/EXIF block holding only `Orientation = value`.
fn exif_orientation(value: u16) -> Vec<u8> {
    let mut exif = b"II*\0".to_vec();
    exif.extend_from_slice(&8u32.to_le_bytes()); // IFD0 offset
    exif.extend_from_slice(&1u16.to_le_bytes()); // one entry
    exif.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_le_bytes()); // count
    exif.extend_from_slice(&value.to_le_bytes());
    exif.extend_from_slice(&[0, 0]); // padding of the 4-byte value field
    exif.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    exif
}

fn jpeg_with_orientation(stored: &RgbImage, value: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 100);
    encoder
        .set_exif_metadata(exif_orientation(value))
        .expect("exif");
    encoder
        .write_image(
            stored.as_raw(),
            stored.width(),
            stored.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode");
    out
}

/// How a viewer displays stored pixels for each EXIF value (TIFF 6.0 / EXIF 2.3 definitions),
/// built from plain flips and rotations.
fn reference(stored: &RgbImage, value: u16) -> RgbImage {
    match value {
        1 => stored.clone(),
        2 => imageops::flip_horizontal(stored),
        3 => imageops::rotate180(stored),
        4 => imageops::flip_vertical(stored),
        5 => imageops::flip_horizontal(&imageops::rotate90(stored)),
        6 => imageops::rotate90(stored),
        7 => imageops::flip_horizontal(&imageops::rotate270(stored)),
        8 => imageops::rotate270(stored),
        _ => unreachable!(),
    }
}

#[test]
fn all_eight_orientations_come_out_upright() {
    let stored = quadrants(64, 48);
    for value in 1..=8u16 {
        let input = jpeg_with_orientation(&stored, value);
        let expected = reference(&stored, value);
        let out = ok(&input, r#"{"format":"png"}"#);
        let got = decode(&out.bytes).into_rgb8();
        assert_eq!(
            got.dimensions(),
            expected.dimensions(),
            "orientation {value}"
        );
        let (w, h) = got.dimensions();
        for (x, y) in [
            (w / 4, h / 4),
            (3 * w / 4, h / 4),
            (w / 4, 3 * h / 4),
            (3 * w / 4, 3 * h / 4),
        ] {
            assert!(
                near(got.get_pixel(x, y).0, expected.get_pixel(x, y).0, 24),
                "orientation {value} at ({x},{y}): {:?} vs {:?}",
                got.get_pixel(x, y),
                expected.get_pixel(x, y)
            );
        }
    }
}

#[test]
fn fit_box_applies_to_the_displayed_size() {
    let stored = quadrants(64, 48);
    let input = jpeg_with_orientation(&stored, 6);
    let out = ok(&input, r#"{"width":24,"height":100}"#);
    assert_eq!((out.width, out.height), (24, 32));
}

#[test]
fn phone_portrait_matches_rotated_reference() {
    let input = testdata("jpeg_exif_orient6_rot90cw.jpg");
    let out = ok(&input, r#"{"format":"png"}"#);
    let got = decode(&out.bytes).into_rgb8();
    let stored = image::load_from_memory(&input).expect("decode").into_rgb8();
    let expected = reference(&stored, 6);
    assert_eq!(got.dimensions(), (600, 450));
    assert_eq!(got.dimensions(), expected.dimensions());
    let diff: u64 = got
        .as_raw()
        .iter()
        .zip(expected.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = diff as f64 / got.as_raw().len() as f64;
    assert!(mean < 2.0, "mean abs diff {mean}");
    // ...and it is not the unrotated or wrongly rotated picture.
    let wrong = DynamicImage::ImageRgb8(reference(&stored, 8)).into_rgb8();
    let wrong_diff: u64 = got
        .as_raw()
        .iter()
        .zip(wrong.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    assert!(wrong_diff > diff * 10);
}
