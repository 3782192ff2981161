//! Reduced-size inverse DCTs: an 8×8 block of coefficients straight to 4×4, 2×2 or 1×1 pixels.
//!
//! Sampling the block's continuous inverse DCT at the centres of 2×2 (4×4, 8×8) pixel groups
//! needs only the lowest n×n frequencies and is an n-point inverse DCT:
//! `f(x, y) = 128 + Σ_v Σ_u M[y][v] · M[x][u] · F(v, u)` with
//! `M[x][u] = C(u)/2 · cos((2x + 1)uπ / 2n)`, `C(0) = 1/√2`, `C(u > 0) = 1` — the same
//! reduction libjpeg's `jidctred` and jpeg-decoder's `scale()` make. The coefficients arrive
//! dequantised, in natural order, n×n (see `huffman::BitReader::decode_block`).

/// The n×n dequantised coefficients of a block in natural order (row stride n), then a spare
/// slot that receives the coefficients a reduced IDCT does not use. 32 long so that any slot
/// index masked with `& 31` is in bounds without a branch.
pub(crate) type Block = [f32; 32];

/// Index of the spare slot of a [`Block`].
pub(crate) const SPARE: usize = 16;

/// The coefficient layout of a reduced IDCT of size `N` (1, 2 or 4), as constants, so the
/// entropy decoder compiled for one size keeps no table pointer or limit in a register.
pub(crate) struct Reduced<const N: usize>;

impl<const N: usize> Reduced<N> {
    /// [`slots`] for `N`.
    pub(crate) const SLOTS: [u8; 64] = slots(N);
    /// The last zig-zag index that goes to a slot of its own; past it, coefficients are only
    /// parsed.
    pub(crate) const LAST_NEEDED: usize = last_needed(&Self::SLOTS);
}

const fn last_needed(slots: &[u8; 64]) -> usize {
    let mut k = 63;
    while k > 0 && slots[k] as usize == SPARE {
        k -= 1;
    }
    k
}

/// The basis of the n-point reduced IDCT (n = 1, 2 or 4), row-major `M[x][u]`.
#[derive(Clone, Copy)]
pub(crate) struct Basis {
    n: usize,
    m: [[f32; 4]; 4],
    /// The transpose, `columns[u][x] = M[x][u]`.
    columns: [[f32; 4]; 4],
}

impl Basis {
    pub(crate) fn new(n: usize) -> Self {
        let mut m = [[0f32; 4]; 4];
        for (x, row) in m.iter_mut().enumerate().take(n) {
            for (u, cell) in row.iter_mut().enumerate().take(n) {
                let c = if u == 0 {
                    std::f64::consts::FRAC_1_SQRT_2
                } else {
                    1.0
                };
                let angle = (2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * n) as f64;
                *cell = (c / 2.0 * angle.cos()) as f32;
            }
        }
        let mut columns = [[0f32; 4]; 4];
        for (u, column) in columns.iter_mut().enumerate() {
            for (x, cell) in column.iter_mut().enumerate() {
                *cell = m[x][u];
            }
        }
        Self { n, m, columns }
    }

    /// Pixels per block side.
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    /// Writes the n×n pixels of one block to `out` (rows `stride` apart). `coef` holds n×n
    /// dequantised coefficients; `flat` says all but the DC are zero.
    #[inline]
    pub(crate) fn idct(&self, coef: &Block, flat: bool, out: &mut [u8], stride: usize) {
        let n = self.n;
        if flat || n == 1 {
            let value = to_pixel(coef[0] * self.m[0][0] * self.m[0][0]);
            for row in out.chunks_mut(stride).take(n) {
                row[..n].fill(value);
            }
            return;
        }
        if n == 4 {
            self.idct4(coef, out, stride);
        } else {
            self.idct2(coef, out, stride);
        }
    }

    fn idct4(&self, coef: &Block, out: &mut [u8], stride: usize) {
        // Per output row y: first the column pass for that row, a[u] = Σ_v M[y][v] · F(v, u)
        // (coefficient rows scaled by constants), then the row pass, out[y] = Σ_u a[u] ·
        // column u of M. Written this way (all 16 pixels computed before any is stored) the
        // compiler keeps everything in SSE registers; the two-pass form with a 4×4 temporary
        // compiled to a third more instructions. Plain loops and array literals on purpose:
        // `std::array::from_fn` left its closure out of line here, a call per row.
        let f = [
            [coef[0], coef[1], coef[2], coef[3]],
            [coef[4], coef[5], coef[6], coef[7]],
            [coef[8], coef[9], coef[10], coef[11]],
            [coef[12], coef[13], coef[14], coef[15]],
        ];
        let (m, columns) = (&self.m, &self.columns);
        let mut pixels = [[0u8; 4]; 4];
        for (my, px) in m.iter().zip(&mut pixels) {
            let a = mul_add(
                mul_add(mul_add(scale(my[0], &f[0]), my[1], &f[1]), my[2], &f[2]),
                my[3],
                &f[3],
            );
            let row = mul_add(
                mul_add(
                    mul_add(scale(a[0], &columns[0]), a[1], &columns[1]),
                    a[2],
                    &columns[2],
                ),
                a[3],
                &columns[3],
            );
            *px = [
                to_pixel(row[0]),
                to_pixel(row[1]),
                to_pixel(row[2]),
                to_pixel(row[3]),
            ];
        }
        // One bounds check for the four rows (a block always fits its plane).
        if stride >= 4 && out.len() >= 3 * stride + 4 {
            for (y, px) in pixels.iter().enumerate() {
                out[y * stride..y * stride + 4].copy_from_slice(px);
            }
        }
    }

    fn idct2(&self, coef: &Block, out: &mut [u8], stride: usize) {
        let m = &self.m;
        let mut t = [[0f32; 2]; 2];
        for (v, t_row) in t.iter_mut().enumerate() {
            for (x, cell) in t_row.iter_mut().enumerate() {
                *cell = coef[v * 2] * m[x][0] + coef[v * 2 + 1] * m[x][1];
            }
        }
        for (y, row) in out.chunks_mut(stride).take(2).enumerate() {
            for (x, px) in row[..2].iter_mut().enumerate() {
                *px = to_pixel(m[y][0] * t[0][x] + m[y][1] * t[1][x]);
            }
        }
    }
}

#[inline(always)]
fn scale(a: f32, v: &[f32; 4]) -> [f32; 4] {
    [a * v[0], a * v[1], a * v[2], a * v[3]]
}

#[inline(always)]
fn mul_add(acc: [f32; 4], a: f32, v: &[f32; 4]) -> [f32; 4] {
    [
        acc[0] + a * v[0],
        acc[1] + a * v[1],
        acc[2] + a * v[2],
        acc[3] + a * v[3],
    ]
}

/// Level shift, clamp and round to nearest. Adding 2^23 puts the rounded integer in the low
/// mantissa bits, so the conversion is a bit cast that vectorises (a saturating float → int
/// cast does not). A NaN, which finite coefficients cannot produce, would give 0.
#[inline(always)]
fn to_pixel(value: f32) -> u8 {
    // The 0.001 makes exact halves (frequent: n = 1, 2 divide integers by 8) round up, as
    // libjpeg's DESCALE does, instead of to even.
    ((value + 128.001).clamp(0.0, 255.0) + 8_388_608.0).to_bits() as u8
}

/// For each zig-zag index, where the coefficient goes in the n×n natural-order block, or
/// [`SPARE`] when a reduced IDCT of size n does not use it.
pub(crate) const fn slots(n: usize) -> [u8; 64] {
    let mut slots = [SPARE as u8; 64];
    let mut k = 0;
    while k < 64 {
        let (row, col) = (ZIGZAG[k] as usize / 8, ZIGZAG[k] as usize % 8);
        if row < n && col < n {
            slots[k] = (row * n + col) as u8;
        }
        k += 1;
    }
    slots
}

/// Natural-order index of the k-th coefficient in zig-zag order (T.81 figure A.6).
pub(crate) const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The full 8×8 inverse DCT of T.81 A.3.3, straight from the formula.
    fn full_idct(coef: &[f64; 64]) -> [f64; 64] {
        let mut out = [0f64; 64];
        for y in 0..8 {
            for x in 0..8 {
                let mut sum = 0.0;
                for v in 0..8 {
                    for u in 0..8 {
                        let cu = if u == 0 {
                            std::f64::consts::FRAC_1_SQRT_2
                        } else {
                            1.0
                        };
                        let cv = if v == 0 {
                            std::f64::consts::FRAC_1_SQRT_2
                        } else {
                            1.0
                        };
                        sum += cu
                            * cv
                            * coef[v * 8 + u]
                            * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos()
                            * ((2 * y + 1) as f64 * v as f64 * std::f64::consts::PI / 16.0).cos();
                    }
                }
                out[y * 8 + x] = sum / 4.0 + 128.0;
            }
        }
        out
    }

    #[test]
    fn reduced_idct_averages_smooth_blocks() {
        // A block with only low frequencies: each reduced pixel is close to the mean of the
        // full-size pixels it stands for.
        let mut coef = [0f64; 64];
        coef[0] = 120.0;
        coef[1] = -40.0;
        coef[8] = 25.0;
        coef[9] = 10.0;
        let full = full_idct(&coef);
        for n in [1usize, 2, 4] {
            let basis = Basis::new(n);
            let mut reduced = [0f32; 32];
            for v in 0..n {
                for u in 0..n {
                    reduced[v * n + u] = coef[v * 8 + u] as f32;
                }
            }
            let mut out = [0u8; 16];
            basis.idct(&reduced, false, &mut out, n);
            let group = 8 / n;
            for y in 0..n {
                for x in 0..n {
                    let mut mean = 0.0;
                    for dy in 0..group {
                        for dx in 0..group {
                            mean += full[(y * group + dy) * 8 + x * group + dx];
                        }
                    }
                    mean /= (group * group) as f64;
                    let got = f64::from(out[y * n + x]);
                    assert!(
                        (got - mean).abs() <= 3.0,
                        "n={n} ({x},{y}): {got} vs {mean}"
                    );
                }
            }
        }
    }

    #[test]
    fn slots_keep_the_low_frequencies() {
        let four = slots(4);
        assert_eq!(
            four.iter().filter(|&&s| usize::from(s) != SPARE).count(),
            16
        );
        assert_eq!(four[0], 0);
        assert_eq!(four[1], 1); // (0, 1)
        assert_eq!(four[2], 4); // (1, 0)
        assert_eq!(
            slots(1)
                .iter()
                .filter(|&&s| usize::from(s) != SPARE)
                .count(),
            1
        );
        assert_eq!(Reduced::<4>::LAST_NEEDED, 24); // (3, 3)
        assert_eq!(Reduced::<2>::LAST_NEEDED, 4); // (1, 1)
        assert_eq!(Reduced::<1>::LAST_NEEDED, 0);
    }
}
