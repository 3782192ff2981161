//! Watermarks: present where positioned, absent elsewhere; the caller's identity is what is
//! drawn (compared with the same text rendered separately).

use base64::Engine as _;
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use image_transform::{CallerInfo, Config, Watermark, margin_px, text_layout, transform};

use crate::{caller, config, decode, encode, ok};

fn black(w: u32, h: u32) -> Vec<u8> {
    encode(
        &DynamicImage::ImageRgb8(RgbImage::new(w, h)),
        ImageFormat::Png,
    )
}

/// Bounding box (x0, y0, x1, y1) of the non-black pixels, if any.
fn inked(image: &RgbImage) -> Option<(u32, u32, u32, u32)> {
    let mut bbox: Option<(u32, u32, u32, u32)> = None;
    for (x, y, p) in image.enumerate_pixels() {
        if p.0.iter().any(|&c| c > 0) {
            bbox = Some(match bbox {
                None => (x, y, x, y),
                Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
            });
        }
    }
    bbox
}

#[test]
fn text_lands_in_the_right_ninth_for_each_gravity() {
    let input = black(600, 300);
    for (gravity, cell) in [
        ("northwest", (0, 0)),
        ("north", (1, 0)),
        ("northeast", (2, 0)),
        ("west", (0, 1)),
        ("centre", (1, 1)),
        ("east", (2, 1)),
        ("southwest", (0, 2)),
        ("south", (1, 2)),
        ("southeast", (2, 2)),
    ] {
        let out = ok(
            &input,
            &format!(
                r#"{{"format":"png","watermark":{{"text":"{{user_name}}","position":"{gravity}","opacity":1,"font_size":0.08}}}}"#
            ),
        );
        let image = decode(&out.bytes).into_rgb8();
        let (x0, y0, x1, y1) = inked(&image).unwrap_or_else(|| panic!("{gravity}: no ink"));
        let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
        assert_eq!(
            (cx / 200, cy / 100),
            cell,
            "{gravity}: ink box {:?}",
            (x0, y0, x1, y1)
        );
        assert!(
            x1 - x0 < 200 && y1 - y0 < 100,
            "{gravity}: ink confined to its cell"
        );
    }
}

#[test]
fn caller_identity_is_the_rendered_text() {
    let input = black(800, 200);
    let json = r##"{"format":"png","watermark":{"text":"{user_name} {account_id} {date}","position":"northwest","opacity":1,"color":"#ffffff","margin":0.05,"font_size":0.1}}"##;
    let config = config(json);
    let out = transform(&input, &config, &caller(), None).expect("transform");
    let got = decode(&out.bytes).into_rgb8();

    // Render the expected text separately, exactly as the watermark lays it out.
    let wm = config.watermark.as_ref().expect("watermark");
    let mask = text_layout("alice 123456789012 2026-11-27", wm, 800, 200).expect("render");
    let m = margin_px(wm.margin, 800, 200);
    assert!(mask.coverage.iter().filter(|&&c| c > 128).count() > 200);
    for y in 0..200 {
        for x in 0..800 {
            let expected = if x >= m && y >= m {
                mask.at(x - m, y - m)
            } else {
                0
            };
            assert_eq!(got.get_pixel(x, y).0, [expected; 3], "pixel ({x},{y})");
        }
    }

    // Another caller gives different pixels.
    let bob = CallerInfo {
        user_name: Some("bob".into()),
        ..caller()
    };
    let other = transform(&input, &config, &bob, None).expect("transform");
    assert_ne!(decode(&other.bytes).into_rgb8(), got);
}

#[test]
fn opacity_and_color_blend() {
    let input = black(400, 100);
    let out = ok(
        &input,
        r##"{"format":"png","watermark":{"text":"████","position":"centre","opacity":0.5,"color":"#ff0000","font_size":0.5}}"##,
    );
    let image = decode(&out.bytes).into_rgb8();
    let (x0, y0, x1, y1) = inked(&image).expect("ink");
    let centre = image.get_pixel((x0 + x1) / 2, (y0 + y1) / 2).0;
    assert!(
        centre[0].abs_diff(128) <= 2 && centre[1] == 0 && centre[2] == 0,
        "{centre:?}"
    );
}

#[test]
fn tiled_text_covers_every_quadrant() {
    let out = ok(
        &black(400, 400),
        r#"{"format":"png","watermark":{"text":"{principal_id}","tile":true,"opacity":1,"font_size":0.05}}"#,
    );
    let image = decode(&out.bytes).into_rgb8();
    for (qx, qy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        let any = (0..200)
            .any(|y| (0..200).any(|x| image.get_pixel(qx * 200 + x, qy * 200 + y).0[0] > 0));
        assert!(any, "quadrant {qx},{qy} has text");
    }
}

fn red_logo() -> Vec<u8> {
    encode(
        &DynamicImage::ImageRgba8(RgbaImage::from_pixel(20, 10, image::Rgba([255, 0, 0, 255]))),
        ImageFormat::Png,
    )
}

#[test]
fn image_watermark_from_base64() {
    let logo = base64::engine::general_purpose::STANDARD.encode(red_logo());
    let json = format!(
        r#"{{"format":"png","watermark":{{"image":{{"base64":"{logo}","width":0.25}},"position":"northeast","margin":0,"opacity":1}}}}"#
    );
    let image = decode(&ok(&black(400, 200), &json).bytes).into_rgb8();
    // 0.25 x 400 = 100 px wide, 50 px high, in the top-right corner.
    assert_eq!(inked(&image), Some((300, 0, 399, 49)));
    assert_eq!(image.get_pixel(350, 25).0, [255, 0, 0]);
}

#[test]
fn image_watermark_from_adapter_bytes() {
    let config = Config {
        format: image_transform::OutputFormat::Png,
        watermark: Some(Watermark {
            image: Some(image_transform::ImageWatermark {
                key: Some("logos/red.png".into()),
                width: 0.1,
                ..Default::default()
            }),
            position: image_transform::Gravity::Southwest,
            margin: 0.0,
            opacity: 1.0,
            ..Watermark::default()
        }),
        ..Config::default()
    };
    let input = black(400, 200);
    let missing = transform(&input, &config, &caller(), None).expect_err("overlay needed");
    assert_eq!(missing.kind(), image_transform::ErrorKind::InvalidPayload);
    let out = transform(&input, &config, &caller(), Some(&red_logo())).expect("transform");
    let image = decode(&out.bytes).into_rgb8();
    assert_eq!(inked(&image), Some((0, 180, 39, 199)));
    let corrupt =
        transform(&input, &config, &caller(), Some(b"not a png")).expect_err("bad overlay");
    assert_eq!(corrupt.kind(), image_transform::ErrorKind::InvalidPayload);
}

#[test]
fn shadow_keeps_white_text_visible_on_white() {
    let white = encode(
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(400, 200, image::Rgb([255; 3]))),
        ImageFormat::Png,
    );
    let dark = |json: &str| {
        let image = decode(&ok(&white, json).bytes).into_rgb8();
        image.pixels().filter(|p| p.0[0] < 128).count()
    };
    let with =
        dark(r#"{"format":"png","watermark":{"text":"{user_name}","opacity":1,"font_size":0.2}}"#);
    let without = dark(
        r#"{"format":"png","watermark":{"text":"{user_name}","opacity":1,"font_size":0.2,"shadow":false}}"#,
    );
    assert!(with > 20, "shadow drawn: {with} dark pixels");
    assert_eq!(without, 0);
}
