//! Text rasterising with ab_glyph and the embedded DejaVu Sans Bold (Lambda has no fonts).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use crate::error::Error;

/// DejaVu Sans Bold 2.37 (Bitstream Vera licence + public domain; see `fonts/LICENSE`).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A rendered line of text: one coverage byte (0 = empty, 255 = fully inked) per pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMask {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels (the font's ascent − descent, rounded up).
    pub height: u32,
    /// Row-major coverage, `width * height` bytes.
    pub coverage: Vec<u8>,
}

impl TextMask {
    /// Coverage at (`x`, `y`), 0 outside the mask.
    #[must_use]
    pub fn at(&self, x: u32, y: u32) -> u8 {
        if x >= self.width || y >= self.height {
            return 0;
        }
        self.coverage[(y * self.width + x) as usize]
    }
}

fn font() -> Result<FontRef<'static>, Error> {
    FontRef::try_from_slice(FONT).map_err(Error::internal)
}

/// Width in pixels `text` takes at `px` (advance widths + kerning).
pub(crate) fn text_width(text: &str, px: f32) -> Result<f32, Error> {
    let font = font()?;
    let scaled = font.as_scaled(PxScale::from(px));
    let mut caret = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
    Ok(caret)
}

/// Renders one line of `text` at a font size of `px` pixels.
///
/// This is exactly what the text watermark draws (then blended with its colour and opacity),
/// so tests and callers can render the expected text independently.
///
/// # Errors
/// Only [`Error::Internal`] if the embedded font cannot be parsed.
pub fn render_text(text: &str, px: f32) -> Result<TextMask, Error> {
    let font = font()?;
    let scaled = font.as_scaled(PxScale::from(px));
    let ascent = scaled.ascent();
    let height = (ascent - scaled.descent()).ceil().max(1.0);
    let width = text_width(text, px)?.ceil().max(1.0) + 2.0;
    // Bounded by the template cap (256 chars) and the font size (≤ the output's shorter side).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "finite, ≥ 1, bounded"
    )]
    let (w, h) = (width as u32, height as u32);
    let mut coverage = vec![0u8; w as usize * h as usize];
    let mut caret = 1.0;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(px, point(caret, ascent));
        caret += scaled.h_advance(id);
        prev = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        #[allow(clippy::cast_possible_truncation, reason = "pixel coordinates")]
        let (bx, by) = (bounds.min.x as i64, bounds.min.y as i64);
        outline.draw(|gx, gy, cov| {
            let (x, y) = (bx + i64::from(gx), by + i64::from(gy));
            if x >= 0 && y >= 0 && x < i64::from(w) && y < i64::from(h) {
                let i = y as usize * w as usize + x as usize;
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0..=255"
                )]
                let v = (cov.clamp(0.0, 1.0) * 255.0).round() as u8;
                coverage[i] = coverage[i].saturating_add(v);
            }
        });
    }
    Ok(TextMask {
        width: w,
        height: h,
        coverage,
    })
}
