//! Lanczos3 resampling with fast_image_resize (SIMD), alpha-aware.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageBuffer};

use crate::error::Error;

fn pixel_type(image: &DynamicImage) -> Result<PixelType, Error> {
    Ok(match image {
        DynamicImage::ImageLuma8(_) => PixelType::U8,
        DynamicImage::ImageLumaA8(_) => PixelType::U8x2,
        DynamicImage::ImageRgb8(_) => PixelType::U8x3,
        DynamicImage::ImageRgba8(_) => PixelType::U8x4,
        other => {
            return Err(Error::internal(format!(
                "unexpected pixel layout {:?}",
                other.color()
            )));
        }
    })
}

/// Resizes an 8-bit image to exactly `width` × `height` (Lanczos3; alpha pre-multiplied
/// while filtering so transparent pixels do not bleed colour).
pub(crate) fn resize(image: DynamicImage, width: u32, height: u32) -> Result<DynamicImage, Error> {
    if (image.width(), image.height()) == (width, height) {
        return Ok(image);
    }
    let kind = pixel_type(&image)?;
    let (sw, sh) = (image.width(), image.height());
    let src = Image::from_vec_u8(sw, sh, image.into_bytes(), kind).map_err(Error::internal)?;
    let mut dst = Image::new(width, height, kind);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(Error::internal)?;
    drop(src);
    let buf = dst.into_vec();
    let out = match kind {
        PixelType::U8 => ImageBuffer::from_raw(width, height, buf).map(DynamicImage::ImageLuma8),
        PixelType::U8x2 => ImageBuffer::from_raw(width, height, buf).map(DynamicImage::ImageLumaA8),
        PixelType::U8x3 => ImageBuffer::from_raw(width, height, buf).map(DynamicImage::ImageRgb8),
        _ => ImageBuffer::from_raw(width, height, buf).map(DynamicImage::ImageRgba8),
    };
    out.ok_or_else(|| Error::internal("resizer returned a short buffer"))
}
