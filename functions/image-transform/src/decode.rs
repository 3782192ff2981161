//! Format sniffing, header probing and decoding with limits.
//!
//! Every path reads the header first and rejects over-limit images before a pixel buffer is
//! allocated; the decoders get explicit limits as a second line of defence. JPEGs are decoded
//! by zune-jpeg in *strict* mode (the `image` crate runs it non-strict, which grey-fills
//! truncated or corrupt entropy data and reports success) or, when shrinking ≥ 3×, by
//! jpeg-decoder's DCT-domain scaled decode (1/2, 1/4, 1/8), which also errors on truncation.
//! Lossless JPEGs (SOF3), which zune-jpeg cannot read, go to jpeg-decoder at full size.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

use crate::error::Error;

/// Input formats this function reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// JPEG (baseline, progressive; gray, YCbCr, CMYK/YCCK).
    Jpeg,
    /// PNG (any colour type and depth, interlaced or not).
    Png,
    /// GIF (first frame only).
    Gif,
    /// WebP (lossy, lossless, alpha; first frame of animations).
    Webp,
}

impl InputFormat {
    /// The MIME type of this format.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Gif => ImageFormat::Gif,
            Self::Webp => ImageFormat::WebP,
        }
    }
}

/// What [`crate::probe`] learns from the header, without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The detected format (from the magic bytes, not the key or Content-Type).
    pub format: InputFormat,
    /// Width as stored.
    pub width: u32,
    /// Height as stored.
    pub height: u32,
    /// EXIF orientation 1..=8 (1 when absent).
    pub orientation: u8,
}

impl ImageInfo {
    /// Width × height as displayed, i.e. after applying the EXIF orientation.
    #[must_use]
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    /// Declared pixel count.
    #[must_use]
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Detects the format from the first bytes.
pub(crate) fn sniff(input: &[u8]) -> Result<InputFormat, Error> {
    if input.is_empty() {
        return Err(Error::invalid("empty object"));
    }
    if input.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(InputFormat::Jpeg);
    }
    if input.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(InputFormat::Png);
    }
    if input.starts_with(b"GIF87a") || input.starts_with(b"GIF89a") {
        return Ok(InputFormat::Gif);
    }
    if input.len() >= 12 && &input[..4] == b"RIFF" && &input[8..12] == b"WEBP" {
        return Ok(InputFormat::Webp);
    }
    match image::guess_format(input) {
        Ok(other) => Err(Error::Unsupported(format!(
            "{other:?} input is not supported (JPEG, PNG, GIF, WebP are)"
        ))),
        Err(_) => Err(Error::Unsupported(
            "not a recognised image format (JPEG, PNG, GIF, WebP are)".to_owned(),
        )),
    }
}

fn zune_error(err: &zune_jpeg::errors::DecodeErrors) -> Error {
    Error::invalid(format!("JPEG: {err}"))
}

fn image_error(err: image::ImageError) -> Error {
    match err {
        image::ImageError::Limits(e) => Error::TooLarge(e.to_string()),
        image::ImageError::Unsupported(e) => Error::Unsupported(e.to_string()),
        other => Error::invalid(other.to_string()),
    }
}

fn zune_options(out: ColorSpace) -> DecoderOptions {
    DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_out_colorspace(out)
}

fn image_reader(input: &[u8], format: InputFormat, max_pixels: u64) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(input), format.image_format());
    let mut limits = Limits::default();
    // Dimensions are checked against max_pixels from the header; these caps and the allocation
    // budget (16-bit RGBA, the widest layout we accept, plus slack) are the backstop.
    limits.max_image_width = Some(u32::from(u16::MAX) * 4);
    limits.max_image_height = Some(u32::from(u16::MAX) * 4);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(16 << 20));
    reader.limits(limits);
    reader
}

/// Reads the header only. An image with no pixels (a zero width or height, which GIF and
/// others can declare) is malformed input, refused here before any decoder sees it.
pub(crate) fn probe(input: &[u8]) -> Result<ImageInfo, Error> {
    let info = probe_header(input)?;
    if info.width == 0 || info.height == 0 {
        return Err(Error::invalid(format!(
            "the {} header declares a {}x{} image",
            info.format.content_type(),
            info.width,
            info.height
        )));
    }
    Ok(info)
}

fn probe_header(input: &[u8]) -> Result<ImageInfo, Error> {
    let format = sniff(input)?;
    if format == InputFormat::Jpeg {
        let cleaned = crate::jpeg_headers::clean(input);
        if let Some(frame) = crate::jpeg_headers::lossless_frame(&cleaned) {
            let orientation = frame
                .exif
                .as_deref()
                .and_then(Orientation::from_exif_chunk)
                .map_or(1, Orientation::to_exif);
            return Ok(ImageInfo {
                format,
                width: frame.width,
                height: frame.height,
                orientation,
            });
        }
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
            ZCursor::new(cleaned.as_ref()),
            zune_options(ColorSpace::RGB),
        );
        decoder.decode_headers().map_err(|e| zune_error(&e))?;
        let info = decoder
            .info()
            .ok_or_else(|| Error::invalid("JPEG: no frame header"))?;
        let orientation = decoder
            .exif()
            .and_then(|exif| Orientation::from_exif_chunk(exif))
            .map_or(1, Orientation::to_exif);
        return Ok(ImageInfo {
            format,
            width: u32::from(info.width),
            height: u32::from(info.height),
            orientation,
        });
    }
    let mut decoder = image_reader(input, format, u64::MAX / 16)
        .into_decoder()
        .map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().map_or(1, Orientation::to_exif);
    Ok(ImageInfo {
        format,
        width,
        height,
        orientation,
    })
}

/// A decoded image in one of the 8-bit layouts L8, La8, Rgb8, Rgba8, plus its metadata.
pub(crate) struct Decoded {
    pub(crate) image: DynamicImage,
    pub(crate) icc: Option<Vec<u8>>,
    pub(crate) exif: Option<Vec<u8>>,
}

/// Largest power-of-two JPEG DCT scale (1, 2, 4, 8) that still leaves ≥ 1.5× for Lanczos3 to
/// do, so the scaled IDCT never does the final resampling.
pub(crate) fn jpeg_shrink(stored: (u32, u32), target: (u32, u32)) -> u32 {
    let fx = f64::from(stored.0) / f64::from(target.0.max(1));
    let fy = f64::from(stored.1) / f64::from(target.1.max(1));
    let factor = fx.min(fy);
    let mut shrink = 1;
    while shrink < 8 && f64::from(shrink * 2) * 1.5 <= factor {
        shrink *= 2;
    }
    shrink
}

/// Decodes `input` (already probed as `info` and checked against the pixel limit).
/// `target` is the size (in stored orientation) the caller will resize to; JPEGs may come back
/// smaller than stored, but never smaller than `target`.
pub(crate) fn decode(
    input: &[u8],
    info: &ImageInfo,
    max_pixels: u64,
    target: (u32, u32),
    want_metadata: bool,
) -> Result<Decoded, Error> {
    match info.format {
        InputFormat::Jpeg => {
            let cleaned = crate::jpeg_headers::clean(input);
            match crate::jpeg_headers::lossless_frame(&cleaned) {
                Some(frame) => decode_jpeg_lossless(&cleaned, &frame, max_pixels, want_metadata),
                None => decode_jpeg(&cleaned, info, max_pixels, target, want_metadata),
            }
        }
        other => decode_with_image(input, other, max_pixels, want_metadata),
    }
}

fn decode_jpeg(
    input: &[u8],
    info: &ImageInfo,
    max_pixels: u64,
    target: (u32, u32),
    want_metadata: bool,
) -> Result<Decoded, Error> {
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        ZCursor::new(input),
        zune_options(ColorSpace::RGB),
    );
    decoder.decode_headers().map_err(|e| zune_error(&e))?;
    let input_space = decoder
        .input_colorspace()
        .ok_or_else(|| Error::invalid("JPEG: no colour space"))?;
    let (icc, exif) = if want_metadata {
        (decoder.icc_profile(), decoder.exif().cloned())
    } else {
        (None, None)
    };
    let gray = matches!(input_space, ColorSpace::Luma);
    let shrink = jpeg_shrink((info.width, info.height), target);
    if shrink > 1
        && matches!(
            input_space,
            ColorSpace::YCbCr | ColorSpace::Luma | ColorSpace::RGB
        )
    {
        if let Some(scaled) = crate::jpeg_scaled::decode_to(
            input,
            shrink,
            input_space != ColorSpace::RGB,
            max_pixels,
            Some(target),
        )? {
            let (w, h) = (scaled.width, scaled.height);
            let image = if scaled.gray {
                image::GrayImage::from_raw(w, h, scaled.pixels).map(DynamicImage::ImageLuma8)
            } else {
                image::RgbImage::from_raw(w, h, scaled.pixels).map(DynamicImage::ImageRgb8)
            }
            .ok_or_else(|| Error::internal("scaled JPEG decoder returned a short buffer"))?;
            return Ok(Decoded { image, icc, exif });
        }
        if let Some(image) = decode_jpeg_scaled(input, info, shrink, max_pixels)? {
            return Ok(Decoded { image, icc, exif });
        }
    }
    let out_space = if gray {
        ColorSpace::Luma
    } else {
        ColorSpace::RGB
    };
    decoder.set_options(zune_options(out_space));
    let pixels = decoder.decode().map_err(|e| zune_error(&e))?;
    let (w, h) = (info.width, info.height);
    let image = if gray {
        image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| Error::internal("JPEG decoder returned a short buffer"))?;
    Ok(Decoded { image, icc, exif })
}

/// DCT-domain downscaled decode; `Ok(None)` means "use the full decoder instead".
fn decode_jpeg_scaled(
    input: &[u8],
    info: &ImageInfo,
    shrink: u32,
    max_pixels: u64,
) -> Result<Option<DynamicImage>, Error> {
    let jpeg_err = |e: jpeg_decoder::Error| Error::invalid(format!("JPEG: {e}"));
    let mut decoder = jpeg_decoder::Decoder::new(input);
    let budget = max_pixels.saturating_mul(3).min(usize::MAX as u64);
    decoder.set_max_decoding_buffer_size(usize::try_from(budget).unwrap_or(usize::MAX));
    let request = |full: u32| u16::try_from(full.div_ceil(shrink)).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(request(info.width), request(info.height))
        .map_err(jpeg_err)?;
    let format = decoder
        .info()
        .ok_or_else(|| Error::invalid("JPEG: no frame header"))?
        .pixel_format;
    if !matches!(
        format,
        jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::RGB24
    ) {
        return Ok(None);
    }
    let pixels = decoder.decode().map_err(jpeg_err)?;
    let (w, h) = (u32::from(w), u32::from(h));
    let image = match format {
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
    };
    image
        .map(Some)
        .ok_or_else(|| Error::internal("JPEG decoder returned a short buffer"))
}

/// Lossless JPEG (SOF3) with jpeg-decoder, at full size (there is no scaled decode for it).
/// Samples of more than 8 bits are scaled to 8 bits.
fn decode_jpeg_lossless(
    input: &[u8],
    frame: &crate::jpeg_headers::LosslessFrame,
    max_pixels: u64,
    want_metadata: bool,
) -> Result<Decoded, Error> {
    // jpeg-decoder panics on component counts other than 1, 3 and 4; CMYK needs an Adobe
    // transform we do not know for lossless files.
    if !matches!(frame.components, 1 | 3) {
        return Err(Error::Unsupported(format!(
            "lossless JPEG with {} components (1 and 3 are supported)",
            frame.components
        )));
    }
    if !(2..=16).contains(&frame.precision) {
        return Err(Error::invalid(format!(
            "lossless JPEG: sample precision {} (2..=16 allowed)",
            frame.precision
        )));
    }
    let (w, h) = (frame.width, frame.height);
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(Error::TooLarge(format!(
            "{w}x{h} is over max_input_pixels ({max_pixels})"
        )));
    }
    let wide = frame.precision > 8;
    let sample_bytes = if wide { 2 } else { 1 };
    let budget = pixels * u64::from(frame.components) * sample_bytes;
    let mut decoder = jpeg_decoder::Decoder::new(input);
    decoder.set_max_decoding_buffer_size(usize::try_from(budget).unwrap_or(usize::MAX));
    let data = decoder
        .decode()
        .map_err(|e| Error::invalid(format!("lossless JPEG: {e}")))?;
    if data.len() as u64 != budget {
        // E.g. a second frame header that disagrees with the first.
        return Err(Error::invalid("lossless JPEG: inconsistent frame size"));
    }
    let bytes = if wide {
        // Native-endian u16 samples of `precision` bits → 8 bits, rounded.
        let max = (1u32 << frame.precision) - 1;
        data.chunks_exact(2)
            .map(|b| {
                let v = u32::from(u16::from_ne_bytes([b[0], b[1]])).min(max);
                u8::try_from((v * 255 + max / 2) / max).unwrap_or(u8::MAX)
            })
            .collect()
    } else {
        data
    };
    let image = if frame.components == 1 {
        image::GrayImage::from_raw(w, h, bytes).map(DynamicImage::ImageLuma8)
    } else {
        image::RgbImage::from_raw(w, h, bytes).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| Error::internal("lossless JPEG decoder returned a short buffer"))?;
    let (icc, exif) = if want_metadata {
        (decoder.icc_profile(), frame.exif.clone())
    } else {
        (None, None)
    };
    Ok(Decoded { image, icc, exif })
}

fn decode_with_image(
    input: &[u8],
    format: InputFormat,
    max_pixels: u64,
    want_metadata: bool,
) -> Result<Decoded, Error> {
    let mut decoder = image_reader(input, format, max_pixels)
        .into_decoder()
        .map_err(image_error)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(Error::TooLarge(format!(
            "{w}x{h} is over max_input_pixels ({max_pixels})"
        )));
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(decoder.total_bytes().saturating_add(16 << 20));
    decoder.set_limits(limits).map_err(image_error)?;
    let (icc, exif) = if want_metadata {
        (
            decoder.icc_profile().ok().flatten(),
            decoder.exif_metadata().ok().flatten(),
        )
    } else {
        (None, None)
    };
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let image = match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.into_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.into_luma_alpha8()),
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    Ok(Decoded { image, icc, exif })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_leaves_room_for_lanczos() {
        assert_eq!(jpeg_shrink((4000, 3000), (1024, 768)), 2);
        assert_eq!(jpeg_shrink((4000, 3000), (2000, 1500)), 1);
        assert_eq!(jpeg_shrink((4000, 3000), (256, 192)), 8);
        assert_eq!(jpeg_shrink((4000, 3000), (500, 375)), 4);
        assert_eq!(jpeg_shrink((100, 100), (100, 100)), 1);
    }

    #[test]
    fn zero_sized_images_are_invalid_not_internal() {
        // Found by the image_decode fuzz target: a GIF declaring height 0 made the decoder
        // fail with an internal error (500) instead of a 400.
        let gif = b"GIF87a\x20\x01\x00\x00\x00\x00\x00\x00;";
        let err = probe(gif).unwrap_err();
        assert_eq!(
            err.kind(),
            crate::error::ErrorKind::InvalidObjectContent,
            "{err:?}"
        );
    }

    #[test]
    fn sniffs_magic_not_names() {
        assert_eq!(sniff(b""), Err(Error::invalid("empty object")));
        assert!(matches!(
            sniff(b"BM\0\0\0\0\0\0\0\0"),
            Err(Error::Unsupported(_))
        ));
        assert!(matches!(sniff(b"hello world"), Err(Error::Unsupported(_))));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(InputFormat::Webp));
    }
}
