//! Chroma upsampling and YCbCr → RGB conversion, one output row at a time.
//!
//! Subsampled chroma (4:2:0, 4:2:2, 4:4:0) is brought to the luma grid with libjpeg's "fancy"
//! triangle filter (weights ¾ and ¼ of the nearest samples, libjpeg's rounding), which is what
//! libjpeg-turbo, libvips, Pillow and jpeg-decoder do; unusual ratios (3:1, 4:1) replicate the
//! nearest sample.

/// One decoded component plane at the reduced size.
pub(crate) struct Component<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) stride: usize,
    /// Samples that belong to the image (the rest of the plane is block padding).
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// How many output pixels one sample covers, horizontally and vertically.
    pub(crate) ratio_h: usize,
    pub(crate) ratio_v: usize,
}

impl Component<'_> {
    fn row(&self, y: usize) -> &[u8] {
        let y = y.min(self.height - 1);
        &self.data[y * self.stride..y * self.stride + self.width]
    }

    /// Fills `out` (one output row, `out.len()` pixels wide) with this component's samples for
    /// output row `y`. `scratch` is reused between calls.
    pub(crate) fn upsample_row(&self, y: usize, out: &mut [u8], scratch: &mut Vec<u16>) {
        let width = out.len();
        match (self.ratio_h, self.ratio_v) {
            (1, 1) => out.copy_from_slice(&self.row(y)[..width]),
            (2, 1) => {
                let row = self.row(y);
                scratch.clear();
                scratch.push(0);
                scratch.extend(row.iter().map(|&s| u16::from(s) * 4));
                fancy_h2(scratch, out);
            }
            (1, 2) => {
                let (near, far) = self.vertical_pair(y);
                // libjpeg-turbo's h1v2 rounding: +1 on the upper, +2 on the lower row.
                let bias = if y.is_multiple_of(2) { 1 } else { 2 };
                for ((o, &a), &b) in out.iter_mut().zip(near).zip(far) {
                    *o = ((3 * u16::from(a) + u16::from(b) + bias) >> 2) as u8;
                }
            }
            (2, 2) => {
                let (near, far) = self.vertical_pair(y);
                scratch.clear();
                scratch.push(0);
                scratch.extend(
                    near.iter()
                        .zip(far)
                        .map(|(&a, &b)| 3 * u16::from(a) + u16::from(b)),
                );
                fancy_h2(scratch, out);
            }
            (rh, rv) => {
                let row = self.row(y / rv);
                for (x, o) in out.iter_mut().enumerate() {
                    *o = row[(x / rh).min(self.width - 1)];
                }
            }
        }
    }

    /// For 2× vertical upsampling: the nearest sample row and the next-nearest one.
    fn vertical_pair(&self, y: usize) -> (&[u8], &[u8]) {
        let cy = y / 2;
        let far = if y.is_multiple_of(2) {
            cy.saturating_sub(1)
        } else {
            (cy + 1).min(self.height - 1)
        };
        (self.row(cy), self.row(far))
    }
}

/// Horizontal 2× triangle filter over column sums already scaled by 4 (libjpeg's
/// `h2v2_fancy_upsample` second half; also `h2v1` with sums = 4 × samples). `sums` starts with
/// one free slot; the edge sums are replicated into it and after the end, so that every sample
/// has two neighbours and the loop is branch-free (it vectorises).
fn fancy_h2(sums: &mut Vec<u16>, out: &mut [u8]) {
    let (Some(&first), Some(&last)) = (sums.get(1), sums.last()) else {
        return;
    };
    sums[0] = first;
    sums.push(last);
    let half = out.len() / 2;
    let mut pairs = out.chunks_exact_mut(2);
    for (pair, w) in (&mut pairs).zip(sums.windows(3)) {
        pair[0] = ((3 * w[1] + w[0] + 8) >> 4) as u8;
        pair[1] = ((3 * w[1] + w[2] + 7) >> 4) as u8;
    }
    // An odd output width ends with half a pair.
    if let ([o], Some(w)) = (pairs.into_remainder(), sums.windows(3).nth(half)) {
        *o = ((3 * w[1] + w[0] + 8) >> 4) as u8;
    }
}

/// YCbCr (JFIF, full range) to interleaved RGB with libjpeg's 16-bit fixed-point constants.
/// Works in blocks of 32 pixels: the arithmetic runs on fixed-size R, G, B arrays (which
/// vectorises), then one plain loop interleaves them.
pub(crate) fn ycbcr_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    const LANES: usize = 32;
    let width = y.len().min(cb.len()).min(cr.len()).min(out.len() / 3);
    let mut start = 0;
    while start < width {
        let end = (start + LANES).min(width);
        let mut lanes = [[0u8; LANES]; 3];
        for (i, src) in [y, cb, cr].into_iter().enumerate() {
            lanes[i][..end - start].copy_from_slice(&src[start..end]);
        }
        let [r, g, b] = convert_lanes(&lanes);
        interleave(
            &r[..end - start],
            &g[..end - start],
            &b[..end - start],
            &mut out[3 * start..3 * end],
        );
        start = end;
    }
}

#[inline(always)]
fn convert_lanes(ycc: &[[u8; 32]; 3]) -> [[u8; 32]; 3] {
    const ONE_HALF: i32 = 1 << 15;
    const R_CR: i32 = 91_881; // 1.40200 × 2^16
    const G_CB: i32 = 22_554; // 0.34414 × 2^16
    const G_CR: i32 = 46_802; // 0.71414 × 2^16
    const B_CB: i32 = 116_130; // 1.77200 × 2^16
    let mut rgb = [[0u8; 32]; 3];
    for i in 0..32 {
        let y = i32::from(ycc[0][i]);
        let cb = i32::from(ycc[1][i]) - 128;
        let cr = i32::from(ycc[2][i]) - 128;
        rgb[0][i] = clamp(y + ((R_CR * cr + ONE_HALF) >> 16));
        rgb[1][i] = clamp(y + ((-G_CB * cb - G_CR * cr + ONE_HALF) >> 16));
        rgb[2][i] = clamp(y + ((B_CB * cb + ONE_HALF) >> 16));
    }
    rgb
}

/// Interleaves three planes that are already RGB (Adobe transform 0).
pub(crate) fn interleave(r: &[u8], g: &[u8], b: &[u8], out: &mut [u8]) {
    for (((px, &r), &g), &b) in out.chunks_exact_mut(3).zip(r).zip(g).zip(b) {
        px.copy_from_slice(&[r, g, b]);
    }
}

#[inline]
fn clamp(value: i32) -> u8 {
    value.clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width`×`height` plane with no padding.
    fn plane(data: &[u8], width: usize, height: usize, ratio: (usize, usize)) -> Component<'_> {
        Component {
            data,
            stride: width,
            width,
            height,
            ratio_h: ratio.0,
            ratio_v: ratio.1,
        }
    }

    #[test]
    fn fancy_h2v1_weights_three_to_one() {
        let data = [0u8, 100, 200];
        let component = plane(&data, 3, 1, (2, 1));
        let mut out = [0u8; 6];
        component.upsample_row(0, &mut out, &mut Vec::new());
        // Edges replicate; inside, ¾ of the own sample and ¼ of the neighbour.
        assert_eq!(out, [0, 25, 75, 125, 175, 200]);
    }

    #[test]
    fn fancy_h2v2_blends_rows() {
        let data = [0u8, 0, 160, 160];
        let component = plane(&data, 2, 2, (2, 2));
        let mut scratch = Vec::new();
        let rows: Vec<[u8; 4]> = (0..4)
            .map(|y| {
                let mut out = [0u8; 4];
                component.upsample_row(y, &mut out, &mut scratch);
                out
            })
            .collect();
        assert_eq!(rows, [[0; 4], [40; 4], [120; 4], [160; 4]]);
    }

    #[test]
    fn other_ratios_replicate() {
        // 4:1:1 chroma: one sample per four pixels, rows as they are.
        let data = [10u8, 20, 30, 40];
        let component = plane(&data, 2, 2, (4, 1));
        let mut out = [0u8; 7];
        component.upsample_row(1, &mut out, &mut Vec::new());
        assert_eq!(out, [30, 30, 30, 30, 40, 40, 40]);
    }

    #[test]
    fn converts_jfif_colours() {
        let mut out = [0u8; 9];
        ycbcr_to_rgb(&[76, 150, 29], &[85, 44, 255], &[255, 21, 107], &mut out);
        // Pure red, green and blue within libjpeg's rounding.
        assert_eq!(out, [254, 0, 0, 0, 255, 1, 0, 0, 254]);
    }
}
