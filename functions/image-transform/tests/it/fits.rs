//! Output dimensions per `fit`, letterboxing and cropping.

use image::ImageFormat;
use proptest::prelude::*;

use crate::{decode, encode, ok, quadrants};

fn input(w: u32, h: u32) -> Vec<u8> {
    encode(&quadrants(w, h).into(), ImageFormat::Png)
}

fn dims(w: u32, h: u32, json: &str) -> (u32, u32) {
    let out = ok(&input(w, h), json);
    let image = decode(&out.bytes);
    assert_eq!((image.width(), image.height()), (out.width, out.height));
    (out.width, out.height)
}

#[test]
fn each_fit_mode() {
    let both = |fit: &str| format!(r#"{{"width":100,"height":100,"fit":"{fit}"}}"#);
    assert_eq!(dims(400, 300, &both("inside")), (100, 75));
    assert_eq!(dims(400, 300, &both("outside")), (133, 100));
    assert_eq!(dims(400, 300, &both("cover")), (100, 100));
    assert_eq!(dims(400, 300, &both("contain")), (100, 100));
    assert_eq!(dims(400, 300, &both("fill")), (100, 100));
    assert_eq!(dims(400, 300, r#"{"width":200}"#), (200, 150));
    assert_eq!(dims(400, 300, r#"{"height":60}"#), (80, 60));
    assert_eq!(dims(400, 300, "{}"), (400, 300));
}

#[test]
fn without_enlargement_is_the_default() {
    assert_eq!(dims(40, 30, r#"{"width":400}"#), (40, 30));
    assert_eq!(
        dims(40, 30, r#"{"width":400,"without_enlargement":false}"#),
        (400, 300)
    );
}

#[test]
fn contain_letterboxes_with_background() {
    let out = ok(
        &input(400, 200),
        r##"{"width":100,"height":100,"fit":"contain","background":"#00ff00","format":"png"}"##,
    );
    let image = decode(&out.bytes).into_rgb8();
    // 100x50 picture centred: bands of 25 px above and below.
    assert_eq!(image.get_pixel(50, 5).0, [0, 255, 0]);
    assert_eq!(image.get_pixel(50, 95).0, [0, 255, 0]);
    assert!(crate::near(image.get_pixel(10, 30).0, [255, 0, 0], 8));
    assert!(crate::near(image.get_pixel(90, 70).0, [255, 255, 255], 8));
}

#[test]
fn cover_crops_at_the_gravity() {
    // 400x200 -> cover 100x100 keeps a 200x200 region (after scaling: 200x100 -> 100x100 crop).
    let west = decode(
        &ok(
            &input(400, 200),
            r#"{"width":100,"height":100,"fit":"cover","position":"west","format":"png"}"#,
        )
        .bytes,
    )
    .into_rgb8();
    assert!(
        crate::near(west.get_pixel(90, 10).0, [255, 0, 0], 8),
        "west crop shows only the left half"
    );
    let east = decode(
        &ok(
            &input(400, 200),
            r#"{"width":100,"height":100,"fit":"cover","position":"east","format":"png"}"#,
        )
        .bytes,
    )
    .into_rgb8();
    assert!(
        crate::near(east.get_pixel(10, 10).0, [0, 255, 0], 8),
        "east crop shows only the right half"
    );
    let centre = decode(
        &ok(
            &input(400, 200),
            r#"{"width":100,"height":100,"fit":"cover","format":"png"}"#,
        )
        .bytes,
    )
    .into_rgb8();
    assert!(crate::near(centre.get_pixel(10, 10).0, [255, 0, 0], 8));
    assert!(crate::near(centre.get_pixel(90, 10).0, [0, 255, 0], 8));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn inside_keeps_bounds_and_aspect(w in 8u32..120, h in 8u32..120, bw in 4u32..100, bh in 4u32..100) {
        let (ow, oh) = dims(w, h, &format!(r#"{{"width":{bw},"height":{bh},"without_enlargement":false}}"#));
        prop_assert!(ow <= bw && oh <= bh);
        prop_assume!(ow.min(oh) >= 4);
        prop_assert!(ow == bw || oh == bh);
        let err = (f64::from(ow) / f64::from(oh) - f64::from(w) / f64::from(h)).abs();
        prop_assert!(err <= f64::from(w) / f64::from(h) * (1.0 / f64::from(oh) + 1.0 / f64::from(ow)) + 1e-9);
    }
}
