//! Drawing the text and image watermarks onto the output (RGB8 or RGBA8, straight alpha).

use image::{DynamicImage, RgbaImage};

use crate::color::Rgba;
use crate::config::{Gravity, Watermark};
use crate::error::Error;
use crate::geometry::anchor_offset;
use crate::text::{TextMask, render_text, text_width};

/// Smallest font size drawn, in pixels.
const MIN_FONT_PX: f32 = 6.0;

/// A mutable view of the output pixels.
pub(crate) struct Canvas<'a> {
    pub(crate) buf: &'a mut [u8],
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// 3 (RGB) or 4 (RGBA).
    pub(crate) channels: usize,
}

impl Canvas<'_> {
    /// Blends `color` over pixel (x, y) with coverage `alpha` in 0..=1 ("over", straight alpha).
    fn blend(&mut self, x: u32, y: u32, color: [u8; 3], alpha: f32) {
        if alpha <= 0.0 || x >= self.width || y >= self.height {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        let px = &mut self.buf[i..i + self.channels];
        let to_u8 = |v: f32| v.round().clamp(0.0, 255.0) as u8;
        if self.channels == 4 {
            let da = f32::from(px[3]) / 255.0;
            let oa = alpha + da * (1.0 - alpha);
            if oa > 0.0 {
                for c in 0..3 {
                    let v =
                        (f32::from(color[c]) * alpha + f32::from(px[c]) * da * (1.0 - alpha)) / oa;
                    px[c] = to_u8(v);
                }
            }
            px[3] = to_u8(oa * 255.0);
        } else {
            for c in 0..3 {
                let d = f32::from(px[c]);
                px[c] = to_u8(d + (f32::from(color[c]) - d) * alpha);
            }
        }
    }

    /// Top-left corners for an `w`×`h` item: one at `gravity`, or a grid when tiling.
    fn placements(
        &self,
        w: u32,
        h: u32,
        gravity: Gravity,
        margin: u32,
        tile: bool,
    ) -> Vec<(u32, u32)> {
        if tile {
            let step_x = (w + margin.max(h)).max(1);
            let step_y = (h + margin.max(h)).max(1);
            let mut out = Vec::new();
            let mut y = margin;
            while y < self.height {
                let mut x = margin;
                while x < self.width {
                    out.push((x, y));
                    x += step_x;
                }
                y += step_y;
            }
            return out;
        }
        let (ax, ay) = gravity.anchors();
        let place = |outer: u32, inner: u32, anchor: u8| -> u32 {
            let inner_box = outer.saturating_sub(2 * margin);
            if inner > inner_box {
                return anchor_offset(outer, inner, anchor);
            }
            margin + anchor_offset(inner_box, inner, anchor)
        };
        vec![(place(self.width, w, ax), place(self.height, h, ay))]
    }
}

/// Font size the text watermark uses on an output of this size, before fitting the text into
/// the width (see [`text_layout`]).
#[must_use]
pub fn font_px(font_size: f32, out_width: u32, out_height: u32) -> f32 {
    #[allow(clippy::cast_precision_loss, reason = "dimension ≤ 16384")]
    let side = out_width.min(out_height) as f32;
    (font_size * side).round().max(MIN_FONT_PX)
}

/// Margin in pixels for `margin` (fraction of the shorter side).
#[must_use]
pub fn margin_px(margin: f32, out_width: u32, out_height: u32) -> u32 {
    #[allow(clippy::cast_precision_loss, reason = "dimension ≤ 16384")]
    let side = out_width.min(out_height) as f32;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0..=side/2"
    )]
    let m = (margin * side).round() as u32;
    m
}

/// The mask the text watermark draws for `text` on an output of this size: `font_size` of the
/// shorter side, shrunk so the text fits the width inside the margins.
///
/// # Errors
/// [`Error::Internal`] if the embedded font is unusable.
pub fn text_layout(
    text: &str,
    wm: &Watermark,
    out_width: u32,
    out_height: u32,
) -> Result<TextMask, Error> {
    let mut px = font_px(wm.font_size, out_width, out_height);
    let margin = margin_px(wm.margin, out_width, out_height);
    #[allow(clippy::cast_precision_loss, reason = "dimension ≤ 16384")]
    let avail = out_width.saturating_sub(2 * margin + 2).max(1) as f32;
    let width = text_width(text, px)?;
    if width > avail {
        px = (px * avail / width).floor().max(MIN_FONT_PX);
    }
    render_text(text, px)
}

/// Draws the text watermark (already expanded from its template).
pub(crate) fn draw_text(canvas: &mut Canvas<'_>, text: &str, wm: &Watermark) -> Result<(), Error> {
    if text.is_empty() {
        return Ok(());
    }
    let color = Rgba::parse(&wm.color).map_err(|m| Error::payload("watermark.color", m))?;
    let mask = text_layout(text, wm, canvas.width, canvas.height)?;
    let margin = margin_px(wm.margin, canvas.width, canvas.height);
    let alpha = wm.opacity * f32::from(color.0[3]) / 255.0;
    let rgb = [color.0[0], color.0[1], color.0[2]];
    // Shadow offset grows with the text: 1 px per 20 px of height.
    let offset = (mask.height / 20).max(1);
    let placements = canvas.placements(mask.width, mask.height, wm.position, margin, wm.tile);
    let passes: &[(u32, [u8; 3], f32)] = if wm.shadow {
        &[(offset, [0, 0, 0], 0.6), (0, rgb, 1.0)]
    } else {
        &[(0, rgb, 1.0)]
    };
    for &(shift, color, strength) in passes {
        for &(x0, y0) in &placements {
            for my in 0..mask.height {
                for mx in 0..mask.width {
                    let cov = mask.at(mx, my);
                    if cov != 0 {
                        let a = strength * alpha * f32::from(cov) / 255.0;
                        canvas.blend(x0 + mx + shift, y0 + my + shift, color, a);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Draws an overlay (already decoded to RGBA) scaled to `width` × the output width.
pub(crate) fn draw_overlay(
    canvas: &mut Canvas<'_>,
    overlay: DynamicImage,
    wm: &Watermark,
    width_fraction: f32,
    position: Gravity,
    opacity: f32,
) -> Result<(), Error> {
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "bounded"
    )]
    let target_w = ((canvas.width as f32 * width_fraction).round() as u32).clamp(1, canvas.width);
    let (ow, oh) = (overlay.width().max(1), overlay.height());
    let target_h =
        u32::try_from((u64::from(oh) * u64::from(target_w) + u64::from(ow) / 2) / u64::from(ow))
            .unwrap_or(u32::MAX)
            .clamp(1, canvas.height.max(1));
    let overlay = DynamicImage::ImageRgba8(overlay.into_rgba8());
    let scaled: RgbaImage = crate::resize::resize(overlay, target_w, target_h)?.into_rgba8();
    let margin = margin_px(wm.margin, canvas.width, canvas.height);
    for (x0, y0) in canvas.placements(target_w, target_h, position, margin, wm.tile) {
        for (x, y, p) in scaled.enumerate_pixels() {
            let a = opacity * f32::from(p.0[3]) / 255.0;
            canvas.blend(x0 + x, y0 + y, [p.0[0], p.0[1], p.0[2]], a);
        }
    }
    Ok(())
}
