//! The scaled decoder against jpeg-decoder's `scale()` (the decoder it replaces on this path)
//! on generated JPEGs of every sampling layout, and on broken data.

use super::*;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

/// A camera-like test picture: gradients, a hard diagonal edge and deterministic noise.
fn picture(width: usize, height: usize, channels: usize) -> Vec<u8> {
    let mut state = 0x2545_F491_u32;
    let mut pixels = Vec::with_capacity(width * height * channels);
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state % 24) as usize;
            let edge = if x * height > y * width { 60 } else { 0 };
            for c in 0..channels {
                let base = (x * 180 / width + y * (40 + 30 * c) / height + edge) % 200;
                pixels.push((base + noise) as u8);
            }
        }
    }
    pixels
}

fn encode(
    width: u16,
    height: u16,
    gray: bool,
    sampling: SamplingFactor,
    restart: u16,
    quality: u8,
) -> Vec<u8> {
    let channels = if gray { 1 } else { 3 };
    let pixels = picture(usize::from(width), usize::from(height), channels);
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(sampling);
    if restart > 0 {
        encoder.set_restart_interval(restart);
    }
    let color = if gray {
        ColorType::Luma
    } else {
        ColorType::Rgb
    };
    encoder
        .encode(&pixels, width, height, color)
        .expect("encodes");
    out
}

/// jpeg-decoder's output at 1/`shrink`.
fn reference(jpeg: &[u8], shrink: u16) -> (u16, u16, Vec<u8>) {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    decoder.read_info().expect("header");
    let info = decoder.info().expect("info");
    let (w, h) = decoder
        .scale(info.width.div_ceil(shrink), info.height.div_ceil(shrink))
        .expect("scale");
    (w, h, decoder.decode().expect("decodes"))
}

/// Largest and mean absolute difference, and mean signed difference (ours − theirs).
fn differences(ours: &[u8], theirs: &[u8]) -> (i32, f64, f64) {
    assert_eq!(ours.len(), theirs.len());
    let diffs: Vec<i32> = ours
        .iter()
        .zip(theirs)
        .map(|(&a, &b)| i32::from(a) - i32::from(b))
        .collect();
    let count = diffs.len().max(1) as f64;
    let max = diffs.iter().map(|d| d.abs()).max().unwrap_or(0);
    let mean = diffs.iter().map(|d| f64::from(d.abs())).sum::<f64>() / count;
    let signed = diffs.iter().map(|&d| f64::from(d)).sum::<f64>() / count;
    (max, mean, signed)
}

fn ours(jpeg: &[u8], shrink: u32) -> Scaled {
    decode(jpeg, shrink, true, u64::MAX)
        .expect("decodes")
        .expect("handled by the scaled decoder")
}

#[test]
fn matches_jpeg_decoder_on_every_layout() {
    let layouts = [
        SamplingFactor::F_1_1,
        SamplingFactor::F_2_1,
        SamplingFactor::F_1_2,
        SamplingFactor::F_2_2,
    ];
    for sampling in layouts {
        for (width, height, restart) in [(203u16, 157u16, 0u16), (64, 48, 3), (333, 250, 7)] {
            let jpeg = encode(width, height, false, sampling, restart, 90);
            for shrink in [2u32, 4, 8] {
                let (w, h, expected) = reference(&jpeg, shrink as u16);
                let got = ours(&jpeg, shrink);
                let case = format!("{sampling:?} {width}x{height} restart {restart} 1/{shrink}");
                assert_eq!(
                    (got.width, got.height),
                    (u32::from(w), u32::from(h)),
                    "{case}"
                );
                assert!(!got.gray, "{case}");
                let (max, mean, signed) = differences(&got.pixels, &expected);
                // Both are the same reduced IDCT + fancy upsampling; integer vs float rounding
                // and edge replication may differ by a level or two. At 1/8, jpeg-decoder
                // truncates the DC ((dc·q + 1024) / 8) where libjpeg and we round, so we are
                // up to one level brighter there.
                let (low, high) = if shrink == 8 {
                    (-0.1, 1.2)
                } else {
                    (-0.3, 0.3)
                };
                assert!(
                    max <= 3 && mean < 0.4 + high && (low..high).contains(&signed),
                    "{case}: max {max}, mean {mean:.3}, signed {signed:.3}"
                );
            }
        }
    }
}

#[test]
fn decodes_grayscale() {
    let jpeg = encode(250, 131, true, SamplingFactor::F_1_1, 5, 85);
    for shrink in [2u32, 4, 8] {
        let (w, h, expected) = reference(&jpeg, shrink as u16);
        let got = ours(&jpeg, shrink);
        assert!(got.gray);
        assert_eq!((got.width, got.height), (u32::from(w), u32::from(h)));
        let (max, _, _) = differences(&got.pixels, &expected);
        assert!(max <= 2, "1/{shrink}: {max}");
    }
}

#[test]
fn leaves_other_kinds_to_the_general_decoders() {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 80);
    encoder.set_progressive(true);
    encoder
        .encode(&picture(64, 64, 3), 64, 64, ColorType::Rgb)
        .expect("encodes");
    assert!(decode(&out, 2, true, u64::MAX).expect("no error").is_none());
    let baseline = encode(64, 64, false, SamplingFactor::F_2_2, 0, 80);
    assert!(
        decode(&baseline, 1, true, u64::MAX)
            .expect("no error")
            .is_none()
    );
    assert!(
        decode(b"not a jpeg", 2, true, u64::MAX)
            .expect("no error")
            .is_none()
    );
}

#[test]
fn truncated_or_corrupt_data_is_an_error() {
    let jpeg = encode(203, 157, false, SamplingFactor::F_2_2, 0, 90);
    // Cut inside the entropy-coded data, with and without an EOI after the cut.
    for cut in [jpeg.len() / 2, jpeg.len() - 200, jpeg.len() - 3] {
        let truncated = &jpeg[..cut];
        let err = decode(truncated, 2, true, u64::MAX).err();
        assert!(
            matches!(err, Some(Error::InvalidContent(_))),
            "cut at {cut}: {err:?}"
        );
        let mut with_eoi = truncated.to_vec();
        with_eoi.extend_from_slice(&[0xFF, 0xD9]);
        let err = decode(&with_eoi, 2, true, u64::MAX).err();
        assert!(
            matches!(err, Some(Error::InvalidContent(_))),
            "cut at {cut} + EOI: {err:?}"
        );
    }
    // Restart markers removed: the decoder must notice, not drift.
    let with_restarts = encode(203, 157, false, SamplingFactor::F_2_2, 2, 90);
    let sos = with_restarts
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("SOS");
    let mut stripped = with_restarts[..sos].to_vec();
    let mut rest = with_restarts[sos..].iter().peekable();
    while let Some(&byte) = rest.next() {
        if byte == 0xFF
            && rest
                .peek()
                .is_some_and(|&&next| (0xD0..=0xD7).contains(&next))
        {
            rest.next();
            continue;
        }
        stripped.push(byte);
    }
    assert!(decode(&stripped, 2, true, u64::MAX).is_err());
}

#[test]
fn never_panics_on_mutated_files() {
    let jpeg = encode(96, 80, false, SamplingFactor::F_2_2, 4, 75);
    let mut state = 0x9E37_79B9_u32;
    for _ in 0..3000 {
        let mut mutated = jpeg.clone();
        for _ in 0..1 + state % 4 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let at = state as usize % mutated.len();
            mutated[at] = (state >> 8) as u8;
        }
        for shrink in [2, 8] {
            let _ = decode(&mutated, shrink, true, 1 << 20);
        }
    }
}

#[test]
fn respects_the_pixel_limit() {
    let jpeg = encode(203, 157, false, SamplingFactor::F_2_2, 0, 90);
    assert!(matches!(
        decode(&jpeg, 2, true, 1000),
        Err(Error::TooLarge(_))
    ));
}

#[test]
fn matches_jpeg_decoder_on_libjpeg_files() {
    // Camera and libjpeg-turbo files (EXIF, ICC, restart markers every few blocks or every
    // row); progressive and CMYK files must be left to the general decoders.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut handled = Vec::new();
    for name in [
        "jpeg_exif_orient6_rot90cw.jpg",
        "jpeg_grayscale_icc.jpg",
        "generated/jpeg_420_restart.jpg",
        "generated/jpeg_422_restart_rows.jpg",
        "generated/jpeg_gray_restart.jpg",
        "jpeg_progressive.jpg",
        "generated/cmyk.jpg",
    ] {
        let jpeg = std::fs::read(dir.join(name)).expect("fixture");
        let Some(got) = decode(&jpeg, 2, true, u64::MAX).expect("decodes") else {
            continue;
        };
        let (w, h, expected) = reference(&jpeg, 2);
        assert_eq!(
            (got.width, got.height),
            (u32::from(w), u32::from(h)),
            "{name}"
        );
        let (max, mean, _) = differences(&got.pixels, &expected);
        assert!(max <= 3 && mean < 0.3, "{name}: max {max}, mean {mean:.3}");
        handled.push(name);
    }
    assert_eq!(
        handled,
        [
            "jpeg_exif_orient6_rot90cw.jpg",
            "jpeg_grayscale_icc.jpg",
            "generated/jpeg_420_restart.jpg",
            "generated/jpeg_422_restart_rows.jpg",
            "generated/jpeg_gray_restart.jpg",
        ]
    );
}

#[test]
fn a_frame_larger_than_its_data_is_truncated() {
    // The header claims 4000×3000 over the data of a 203×157 image: an error (found at the
    // first MCU row past the data), not an image padded with decoded zeros.
    let mut jpeg = encode(203, 157, false, SamplingFactor::F_2_2, 0, 90);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0x0B, 0xB8, 0x0F, 0xA0]);
    let err = decode(&jpeg, 2, true, u64::MAX).err();
    assert!(matches!(err, Some(Error::InvalidContent(_))), "{err:?}");
}

#[test]
fn chroma_pair_resizes_like_two_planes() {
    // Cb and Cr resized together as one two-channel image must equal each resized alone: the
    // second channel is not an alpha channel (a hard edge in it must not leak into the first).
    let (w, h) = (120usize, 90usize);
    let cb: Vec<u8> = (0..w * h).map(|i| (i % w * 2 + i / w) as u8).collect();
    let cr: Vec<u8> = (0..w * h)
        .map(|i| if i % w > w / 2 || i / w < 20 { 250 } else { 3 })
        .collect();
    let frame = Frame {
        width: w * 2,
        height: h * 2,
        components: vec![FrameComponent {
            id: 1,
            h: 1,
            v: 1,
            quant: 0,
        }],
    };
    let fc = &frame.components[0];
    let mut resizer = fast_image_resize::Resizer::new();
    let target = (50, 37);
    let mut alone = Vec::new();
    for data in [&cb, &cr] {
        let plane = Plane {
            data: data.clone(),
            stride: w,
        };
        alone.push(
            resize_with(
                &mut resizer,
                &frame,
                fc,
                &plane,
                4,
                target,
                fast_image_resize::PixelType::U8,
            )
            .expect("resizes"),
        );
    }
    let pair = Plane {
        data: cb.iter().zip(&cr).flat_map(|(&b, &r)| [b, r]).collect(),
        stride: w,
    };
    let together = resize_with(
        &mut resizer,
        &frame,
        fc,
        &pair,
        4,
        target,
        fast_image_resize::PixelType::U8x2,
    )
    .expect("resizes");
    let (b, r): (Vec<u8>, Vec<u8>) = together.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
    for (name, got, expected) in [("Cb", &b, &alone[0]), ("Cr", &r, &alone[1])] {
        let (max, _, _) = differences(got, expected);
        assert!(max <= 1, "{name}: max difference {max}");
    }
}
