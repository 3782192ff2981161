//! Image resize + caller-aware watermark for S3 Object Lambda: a pure library.
//!
//! Flow of [`transform`]: size check → [`probe`] the header (format from the magic bytes, size,
//! EXIF orientation) → reject over `max_input_pixels` before any pixel buffer exists → plan the
//! geometry in upright coordinates (sharp's `fit` meanings) → decode (JPEG with DCT-domain
//! downscaling when shrinking ≥ 3×; strict decoders, so truncated/corrupt input is an error,
//! never a grey-filled success) → Lanczos3 resize with fast_image_resize → apply the EXIF
//! orientation on the small image → crop/letterbox → flatten alpha if the output is JPEG →
//! watermarks → encode (metadata stripped unless `keep_metadata`).
//!
//! No I/O happens here: the Lambda adapter ([`function`], feature `lambda`, on by default)
//! collects the object, reads an overlay from S3 if the payload names one, and passes bytes in.
//!
//! ```no_run
//! let config: image_transform::Config =
//!     serde_json::from_str(r#"{"width": 1024, "watermark": {"text": "{user_name} {date}"}}"#)?;
//! config.validate()?;
//! let caller = image_transform::CallerInfo {
//!     user_name: Some("alice".into()),
//!     date: image_transform::utc_date(1_796_000_000),
//!     ..Default::default()
//! };
//! let input = std::fs::read("photo.jpg")?;
//! let out = image_transform::transform(&input, &config, &caller, None)?;
//! assert_eq!(out.content_type, "image/jpeg");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod color;
mod config;
mod decode;
mod encode;
mod error;
#[cfg(feature = "lambda")]
pub mod function;
mod geometry;
mod jpeg_headers;
mod jpeg_scaled;
mod overrides;
mod resize;
mod template;
mod text;
mod watermark;

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage, RgbaImage};

pub use config::{
    Config, Fit, Gravity, ImageWatermark, MAX_DIMENSION, MAX_OVERLAY_BYTES, OutputFormat, Watermark,
};
pub use decode::{ImageInfo, InputFormat};
pub use error::{Error, ErrorKind};
pub use overrides::apply_request_overrides;
pub use text::{TextMask, render_text};
pub use watermark::{font_px, margin_px, text_layout};

use color::Rgba;
use encode::{Encoding, Metadata};
use watermark::Canvas;

/// Largest overlay image accepted, in pixels.
const MAX_OVERLAY_PIXELS: u64 = 16_000_000;

/// Who is asking and for what: the values of the watermark template's placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerInfo {
    /// `{principal_id}`: the caller's principal id.
    pub principal_id: String,
    /// `{arn}`: the caller's ARN.
    pub arn: String,
    /// `{account_id}`: the caller's account.
    pub account_id: String,
    /// `{user_name}`: IAM user name, when there is one.
    pub user_name: Option<String>,
    /// `{key}`: the object key requested.
    pub key: String,
    /// `{date}`: the request date, UTC `YYYY-MM-DD` (see [`utc_date`]).
    pub date: String,
}

/// The transformed image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Encoded image.
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: &'static str,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
}

/// Reads the header only: format, stored size, EXIF orientation. Cheap (no pixel decoding).
///
/// # Errors
/// [`Error::InvalidContent`] for an empty or malformed header, [`Error::Unsupported`] for
/// other formats.
pub fn probe(input: &[u8]) -> Result<ImageInfo, Error> {
    decode::probe(input)
}

/// UTC calendar date `YYYY-MM-DD` of a Unix time, for [`CallerInfo::date`].
#[must_use]
pub fn utc_date(unix_seconds: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let days = i64::try_from(unix_seconds / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn output_encoding(format: OutputFormat, input: InputFormat) -> Encoding {
    match format {
        OutputFormat::Auto => match input {
            InputFormat::Jpeg => Encoding::Jpeg,
            InputFormat::Png | InputFormat::Gif => Encoding::Png,
            InputFormat::Webp => Encoding::Webp,
        },
        OutputFormat::Jpeg => Encoding::Jpeg,
        OutputFormat::Png => Encoding::Png,
        OutputFormat::Webp => Encoding::Webp,
    }
}

fn flatten(image: DynamicImage, bg: Rgba) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src.0[3]);
        for c in 0..3 {
            let v = (u32::from(src.0[c]) * a + u32::from(bg.0[c]) * (255 - a) + 127) / 255;
            dst.0[c] = u8::try_from(v).unwrap_or(255);
        }
    }
    out
}

/// Pixels ready for watermarking and encoding: RGB8 or RGBA8.
enum Pixels {
    Rgb(RgbImage),
    Rgba(RgbaImage),
}

/// Places the resized image on a `contain` canvas filled with the background.
fn letterbox(pixels: Pixels, canvas: (u32, u32, u32, u32), bg: Rgba) -> Pixels {
    let (x, y, w, h) = canvas;
    match pixels {
        Pixels::Rgb(img) => {
            let mut out = RgbImage::from_pixel(w, h, image::Rgb([bg.0[0], bg.0[1], bg.0[2]]));
            image::imageops::replace(&mut out, &img, i64::from(x), i64::from(y));
            Pixels::Rgb(out)
        }
        Pixels::Rgba(img) => {
            let mut out = RgbaImage::from_pixel(w, h, image::Rgba(bg.0));
            image::imageops::overlay(&mut out, &img, i64::from(x), i64::from(y));
            Pixels::Rgba(out)
        }
    }
}

fn decode_overlay(bytes: &[u8]) -> Result<DynamicImage, Error> {
    let key = "watermark.image";
    let info = decode::probe(bytes).map_err(|e| Error::payload(key, format!("overlay: {e}")))?;
    if info.pixels() > MAX_OVERLAY_PIXELS {
        return Err(Error::payload(key, "overlay larger than 16 megapixels"));
    }
    let decoded = decode::decode(
        bytes,
        &info,
        MAX_OVERLAY_PIXELS,
        (info.width, info.height),
        false,
    )
    .map_err(|e| Error::payload(key, format!("overlay: {e}")))?;
    Ok(decoded.image)
}

/// Resizes, re-encodes and watermarks one image.
///
/// `overlay` is the image watermark's bytes when the payload names an S3 `key` (the adapter
/// fetches it); a `base64` overlay is decoded from the config.
///
/// # Errors
/// See [`ErrorKind`]: bad payload values, over-limit input, undecodable or unsupported input.
pub fn transform(
    input: &[u8],
    config: &Config,
    caller: &CallerInfo,
    overlay: Option<&[u8]>,
) -> Result<Output, Error> {
    config.validate()?;
    if input.len() as u64 > config.max_input_bytes {
        return Err(Error::TooLarge(format!(
            "{} bytes is over max_input_bytes ({})",
            input.len(),
            config.max_input_bytes
        )));
    }
    let info = decode::probe(input)?;
    if info.pixels() > config.max_input_pixels {
        return Err(Error::TooLarge(format!(
            "{}x{} is over max_input_pixels ({})",
            info.width, info.height, config.max_input_pixels
        )));
    }
    let plan = geometry::plan(
        info.display_size(),
        config.width,
        config.height,
        config.fit,
        config.position,
        config.without_enlargement,
    );
    if u64::from(plan.resize.0) * u64::from(plan.resize.1) > config.max_input_pixels {
        return Err(Error::TooLarge(format!(
            "resizing to {}x{} is over max_input_pixels",
            plan.resize.0, plan.resize.1
        )));
    }
    let stored_target = if info.orientation >= 5 {
        (plan.resize.1, plan.resize.0)
    } else {
        plan.resize
    };
    let decoded = decode::decode(
        input,
        &info,
        config.max_input_pixels,
        stored_target,
        config.keep_metadata,
    )?;
    let mut image = resize::resize(decoded.image, stored_target.0, stored_target.1)?;
    image.apply_orientation(
        Orientation::from_exif(info.orientation).unwrap_or(Orientation::NoTransforms),
    );
    if let Some((x, y, w, h)) = plan.crop {
        image = image.crop_imm(x, y, w, h);
    }

    let encoding = output_encoding(config.format, info.format);
    let bg = Rgba::parse(&config.background).map_err(|m| Error::payload("background", m))?;
    let wants_alpha = image.color().has_alpha() || (plan.canvas.is_some() && bg.0[3] < 255);
    let mut pixels = if wants_alpha && encoding != Encoding::Jpeg {
        Pixels::Rgba(image.into_rgba8())
    } else {
        Pixels::Rgb(flatten(image, bg))
    };
    if let Some(canvas) = plan.canvas {
        pixels = letterbox(pixels, canvas, bg);
    }

    let (width, height, channels, buf): (u32, u32, usize, &mut [u8]) = match &mut pixels {
        Pixels::Rgb(img) => (img.width(), img.height(), 3, img.as_mut()),
        Pixels::Rgba(img) => (img.width(), img.height(), 4, img.as_mut()),
    };
    if let Some(wm) = &config.watermark {
        let mut canvas = Canvas {
            buf,
            width,
            height,
            channels,
        };
        if let Some(image_wm) = &wm.image {
            let owned;
            let bytes = match (image_wm.decoded_base64()?, overlay) {
                (Some(b), _) => {
                    owned = b;
                    owned.as_slice()
                }
                (None, Some(b)) => b,
                (None, None) => {
                    return Err(Error::payload(
                        "watermark.image.key",
                        "overlay bytes were not supplied",
                    ));
                }
            };
            let overlay_image = decode_overlay(bytes)?;
            watermark::draw_overlay(
                &mut canvas,
                overlay_image,
                wm,
                image_wm.width,
                image_wm.position.unwrap_or(wm.position),
                image_wm.opacity.unwrap_or(wm.opacity),
            )?;
        }
        if let Some(template) = &wm.text {
            let text = template::render(template, caller);
            watermark::draw_text(&mut canvas, &text, wm)?;
        }
    }

    let meta = if config.keep_metadata {
        let mut exif = decoded.exif;
        if let Some(chunk) = exif.as_mut() {
            // The pixels are upright now; a kept Orientation tag would rotate them twice.
            let _ = Orientation::remove_from_exif_chunk(chunk);
        }
        Metadata {
            icc: decoded.icc,
            exif,
        }
    } else {
        Metadata::default()
    };
    let raw: &[u8] = match &pixels {
        Pixels::Rgb(img) => img.as_raw(),
        Pixels::Rgba(img) => img.as_raw(),
    };
    let bytes = encode::encode(raw, width, height, channels, encoding, config.quality, meta)?;
    Ok(Output {
        bytes,
        content_type: encoding.content_type(),
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_796_000_000), "2026-11-30");
    }
}
