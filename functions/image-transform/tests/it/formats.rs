//! Input formats (the shared test images + generated ones), output format and Content-Type,
//! alpha kept or flattened, metadata stripped or kept.

use image::{ColorType, GenericImageView};
use image_transform::{InputFormat, probe};

use crate::{decode, near, ok, testdata};

/// (file, expected output size with `--width 1024` as in MANIFEST.md, Content-Type under `auto`).
const SHARED: &[(&str, (u32, u32), &str)] = &[
    ("png_palette_8bit.png", (32, 32), "image/png"),
    ("png_rgba_8bit.png", (32, 32), "image/png"),
    ("png_gray_16bit.png", (32, 32), "image/png"),
    ("png_interlaced_rgba16.png", (32, 32), "image/png"),
    ("jpeg_progressive.jpg", (650, 470), "image/jpeg"),
    ("jpeg_exif_orient6_rot90cw.jpg", (600, 450), "image/jpeg"),
    ("jpeg_grayscale_icc.jpg", (400, 267), "image/jpeg"),
    ("gif_real_800x533.gif", (800, 533), "image/png"),
    ("webp_lossy.webp", (1024, 772), "image/webp"),
];

#[test]
fn shared_images_decode_with_manifest_sizes() {
    for &(name, size, content_type) in SHARED {
        let out = ok(&testdata(name), r#"{"width":1024,"height":1024}"#);
        assert_eq!((out.width, out.height), size, "{name}");
        assert_eq!(out.content_type, content_type, "{name}");
        let image = decode(&out.bytes);
        assert_eq!(image.dimensions(), size, "{name}");
    }
}

#[test]
fn shared_images_shrink() {
    let out = ok(
        &testdata("webp_lossy.webp"),
        r#"{"width":256,"format":"jpeg","quality":70}"#,
    );
    assert_eq!(
        (out.width, out.height, out.content_type),
        (256, 193, "image/jpeg")
    );
    let out = ok(&testdata("jpeg_progressive.jpg"), r#"{"width":100}"#);
    assert_eq!((out.width, out.height), (100, 72));
}

#[test]
fn explicit_output_formats_and_content_types() {
    let input = testdata("jpeg_progressive.jpg");
    for (format, content_type, magic) in [
        ("jpeg", "image/jpeg", &b"\xFF\xD8\xFF"[..]),
        ("png", "image/png", &b"\x89PNG"[..]),
        ("webp", "image/webp", &b"RIFF"[..]),
    ] {
        let out = ok(
            &input,
            &format!(r#"{{"width":200,"format":"{format}","quality":60}}"#),
        );
        assert_eq!(out.content_type, content_type);
        assert!(out.bytes.starts_with(magic), "{format}");
        assert_eq!(decode(&out.bytes).dimensions(), (200, 145));
        assert_eq!(probe(&out.bytes).map(|i| i.width), Ok(200));
    }
}

#[test]
fn quality_changes_jpeg_size() {
    let input = testdata("jpeg_progressive.jpg");
    let low = ok(&input, r#"{"quality":20}"#).bytes.len();
    let high = ok(&input, r#"{"quality":95}"#).bytes.len();
    assert!(low * 2 < high, "q20 {low} vs q95 {high}");
}

#[test]
fn alpha_kept_for_png_and_webp() {
    for (name, format) in [
        ("generated/png_alpha_lefthalf.png", "png"),
        ("generated/webp_alpha.webp", "webp"),
        ("generated/png_alpha_lefthalf.png", "auto"),
    ] {
        let out = ok(&testdata(name), &format!(r#"{{"format":"{format}"}}"#));
        let image = decode(&out.bytes);
        assert!(image.color().has_alpha(), "{name} -> {format}");
        let rgba = image.into_rgba8();
        assert_eq!(rgba.get_pixel(5, 5).0[3], 0, "left half transparent");
        assert!(rgba.get_pixel(50, 5).0[3] > 250, "right half opaque");
    }
    let out = ok(&testdata("png_rgba_8bit.png"), "{}");
    assert!(decode(&out.bytes).color().has_alpha());
}

#[test]
fn alpha_flattened_onto_background_for_jpeg() {
    let out = ok(
        &testdata("generated/png_alpha_lefthalf.png"),
        r##"{"format":"jpeg","background":"#00ff00","quality":95}"##,
    );
    assert_eq!(out.content_type, "image/jpeg");
    let image = decode(&out.bytes);
    assert_eq!(image.color(), ColorType::Rgb8);
    let rgb = image.into_rgb8();
    assert!(
        near(rgb.get_pixel(5, 5).0, [0, 255, 0], 12),
        "transparent -> background"
    );
    assert!(
        near(rgb.get_pixel(50, 5).0, [0, 255, 0], 12),
        "opaque green stays green"
    );
    assert!(near(rgb.get_pixel(50, 40).0, [255, 255, 255], 12));
}

#[test]
fn cmyk_jpeg_becomes_srgb() {
    let out = ok(&testdata("generated/cmyk.jpg"), r#"{"format":"png"}"#);
    let rgb = decode(&out.bytes).into_rgb8();
    assert!(
        near(rgb.get_pixel(8, 6).0, [255, 0, 0], 40),
        "{:?}",
        rgb.get_pixel(8, 6)
    );
    assert!(
        near(rgb.get_pixel(56, 6).0, [0, 255, 0], 40),
        "{:?}",
        rgb.get_pixel(56, 6)
    );
    assert!(
        near(rgb.get_pixel(8, 40).0, [0, 0, 255], 40),
        "{:?}",
        rgb.get_pixel(8, 40)
    );
    assert!(
        near(rgb.get_pixel(56, 40).0, [255, 255, 255], 40),
        "{:?}",
        rgb.get_pixel(56, 40)
    );
}

/// The samples `testdata/gen_lossless_jpeg.py` encodes: RGB file at (x, y), or gray when `None`.
fn lossless_pixel(x: u32, y: u32, rgb: bool) -> [u8; 3] {
    let byte = |v: u32| u8::try_from(v % 256).expect("mod 256");
    if rgb {
        [
            byte(x * 5 + y * 3),
            byte(x * y * 7 + 13),
            byte((x ^ y) * 11),
        ]
    } else {
        let v = byte(x * 9 + y * y);
        [v, v, v]
    }
}

#[test]
fn lossless_jpegs_decode_exactly() {
    // SOF3 files (made by testdata/gen_lossless_jpeg.py and checked against Pillow's
    // libjpeg-turbo there): zune-jpeg cannot read them, jpeg-decoder can.
    for (name, size, rgb) in [
        ("generated/jpeg_lossless_rgb.jpg", (48, 32), true),
        ("generated/jpeg_lossless_gray.jpg", (40, 24), false),
    ] {
        let input = testdata(name);
        let info = probe(&input).expect("probe");
        assert_eq!(
            (info.format, info.width, info.height),
            (InputFormat::Jpeg, size.0, size.1)
        );
        // PNG output at the stored size: the samples must come through unchanged.
        let out = ok(&input, r#"{"format":"png"}"#);
        assert_eq!(
            (out.width, out.height, out.content_type),
            (size.0, size.1, "image/png")
        );
        let got = decode(&out.bytes).into_rgb8();
        for (x, y, p) in got.enumerate_pixels() {
            assert_eq!(p.0, lossless_pixel(x, y, rgb), "{name} at ({x}, {y})");
        }
        // The usual path: resized, watermarked JPEG.
        let out = ok(
            &input,
            r#"{"width":20,"watermark":{"text":"{user_name}"},"quality":90}"#,
        );
        assert_eq!((out.width, out.content_type), (20, "image/jpeg"));
        assert_eq!(decode(&out.bytes).width(), 20);
    }
}

#[test]
fn webp_lossless_and_first_frames() {
    for (name, content_type) in [
        ("generated/webp_lossless.webp", "image/webp"),
        ("generated/webp_animated.webp", "image/webp"),
        ("generated/gif_animated.gif", "image/png"),
    ] {
        let out = ok(&testdata(name), r#"{"format":"auto"}"#);
        assert_eq!(out.content_type, content_type, "{name}");
        let rgb = decode(&out.bytes).into_rgb8();
        // First frame is the quadrant picture (the second one is black).
        assert!(
            near(rgb.get_pixel(8, 6).0, [255, 0, 0], 30),
            "{name}: {:?}",
            rgb.get_pixel(8, 6)
        );
        assert!(near(rgb.get_pixel(56, 40).0, [255, 255, 255], 30), "{name}");
    }
}

#[test]
fn grayscale_jpeg_stays_gray() {
    let out = ok(&testdata("jpeg_grayscale_icc.jpg"), r#"{"width":200}"#);
    let rgb = decode(&out.bytes).into_rgb8();
    assert!(
        rgb.pixels()
            .all(|p| p.0[0].abs_diff(p.0[1]) <= 2 && p.0[1].abs_diff(p.0[2]) <= 2)
    );
}

#[test]
fn probe_reads_headers() {
    let info = probe(&testdata("jpeg_exif_orient6_rot90cw.jpg")).expect("probe");
    assert_eq!(
        (info.format, info.width, info.height, info.orientation),
        (InputFormat::Jpeg, 450, 600, 6)
    );
    assert_eq!(info.display_size(), (600, 450));
    let info = probe(&testdata("gif_real_800x533.gif")).expect("probe");
    assert_eq!(
        (info.format, info.width, info.height),
        (InputFormat::Gif, 800, 533)
    );
    assert_eq!(
        probe(&testdata("webp_lossy.webp")).map(|i| i.format),
        Ok(InputFormat::Webp)
    );
}

fn has_exif(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"Exif\0\0") || bytes.windows(4).any(|w| w == b"eXIf")
}

#[test]
fn metadata_stripped_by_default_and_kept_on_request() {
    let input = testdata("jpeg_exif_orient6_rot90cw.jpg");
    assert!(has_exif(&input));
    let stripped = ok(&input, "{}");
    assert!(!has_exif(&stripped.bytes));
    assert!(!stripped.bytes.windows(11).any(|w| w == b"ICC_PROFILE"));
    let kept = ok(&input, r#"{"keep_metadata":true}"#);
    assert!(has_exif(&kept.bytes));
    assert!(kept.bytes.windows(11).any(|w| w == b"ICC_PROFILE"));
    // Pixels are upright and the kept tag says so: no double rotation by viewers.
    let info = probe(&kept.bytes).expect("probe");
    assert_eq!((info.width, info.height, info.orientation), (600, 450, 1));
}
