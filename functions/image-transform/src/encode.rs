//! Output encoding: JPEG (`jpeg-encoder`, SIMD, 4:2:0 below q90), PNG (image), lossy WebP
//! (libwebp via `webp`).

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use crate::error::Error;

/// Encoded output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Jpeg,
    Png,
    Webp,
}

impl Encoding {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }
}

/// Metadata to carry into the output (`keep_metadata`).
#[derive(Default)]
pub(crate) struct Metadata {
    pub(crate) icc: Option<Vec<u8>>,
    pub(crate) exif: Option<Vec<u8>>,
}

fn attach<E: ImageEncoder>(encoder: &mut E, meta: Metadata) {
    // Unsupported metadata is dropped rather than failing the request.
    if let Some(icc) = meta.icc {
        let _ = encoder.set_icc_profile(icc);
    }
    if let Some(exif) = meta.exif {
        let _ = encoder.set_exif_metadata(exif);
    }
}

/// Encodes 8-bit RGB (`channels == 3`) or RGBA (`channels == 4`; never for JPEG) pixels.
pub(crate) fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: usize,
    encoding: Encoding,
    quality: u8,
    meta: Metadata,
) -> Result<Vec<u8>, Error> {
    let color = if channels == 4 {
        ExtendedColorType::Rgba8
    } else {
        ExtendedColorType::Rgb8
    };
    let mut out = Vec::with_capacity(pixels.len() / 8);
    match encoding {
        Encoding::Jpeg => {
            if channels != 3 {
                return Err(Error::internal("JPEG output needs flattened RGB"));
            }
            let too_large = || Error::TooLarge("JPEG output is limited to 65535 px a side".into());
            let w = u16::try_from(width).map_err(|_| too_large())?;
            let h = u16::try_from(height).map_err(|_| too_large())?;
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
            // Oversized metadata is dropped rather than failing the request.
            if let Some(icc) = meta.icc {
                let _ = encoder.add_icc_profile(&icc);
            }
            if let Some(exif) = meta.exif {
                let _ = encoder.add_exif_metadata(&exif);
            }
            encoder
                .encode(pixels, w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(Error::internal)?;
        }
        Encoding::Png => {
            let mut encoder =
                PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
            attach(&mut encoder, meta);
            encoder
                .write_image(pixels, width, height, color)
                .map_err(Error::internal)?;
        }
        Encoding::Webp => {
            let encoder = if channels == 4 {
                webp::Encoder::from_rgba(pixels, width, height)
            } else {
                webp::Encoder::from_rgb(pixels, width, height)
            };
            let memory = encoder
                .encode_simple(false, f32::from(quality))
                .map_err(|e| Error::internal(format!("WebP encoder: {e:?}")))?;
            out.extend_from_slice(&memory);
        }
    }
    Ok(out)
}
