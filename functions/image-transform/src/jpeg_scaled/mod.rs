//! DCT-domain downscaled decoding of baseline JPEGs (the common camera/phone/web case), used
//! when a JPEG is shrunk by 3× or more.
//!
//! Why our own: this path is most of the function's time, and of the Rust decoders only
//! jpeg-decoder (maintenance mode) decodes at 1/2, 1/4 or 1/8 scale; it spends half the whole
//! run in its entropy decoder and hands every colour component to its own thread, which on a
//! one-vCPU Lambda is pure overhead. This decoder covers exactly one case — one interleaved
//! baseline Huffman scan, 8-bit, gray or three components, any sampling factors, restart
//! intervals — and answers `Ok(None)` for everything else (progressive, arithmetic, 12-bit,
//! lossless, multi-scan, CMYK) so the caller uses the general decoders. Errors in the
//! entropy-coded data (invalid codes, truncation, missing restart markers) are errors, never a
//! grey-filled image.
//!
//! Flow: [`decode`] parses the header segments, [`Scan::run`] decodes every block straight to
//! reduced pixels (`huffman` + `idct`), then the planes are upsampled and colour converted
//! row by row (`upsample`).

mod huffman;
mod idct;
mod upsample;

use huffman::{BitReader, EntropyError, HuffmanTable};
use idct::{Basis, Block};
use upsample::Component;

use crate::error::Error;

/// A decoded, reduced image: 8-bit gray (1 channel) or RGB (3 channels), rows packed.
pub(crate) struct Scaled {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) gray: bool,
    pub(crate) pixels: Vec<u8>,
}

struct FrameComponent {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
}

struct Frame {
    width: usize,
    height: usize,
    components: Vec<FrameComponent>,
}

/// Decodes `input` at 1/`shrink` of its size (`shrink` = 2, 4 or 8). `ycbcr` says whether three
/// components are YCbCr (else already RGB). `Ok(None)`: not a file this decoder handles.
#[cfg(test)]
pub(crate) fn decode(
    input: &[u8],
    shrink: u32,
    ycbcr: bool,
    max_pixels: u64,
) -> Result<Option<Scaled>, Error> {
    decode_to(input, shrink, ycbcr, max_pixels, None)
}

/// [`decode`], and when `target` (width, height) is given and not larger than the reduced
/// image, resized to exactly `target` (Lanczos3) before the colour conversion: each component
/// plane is resized on its own, straight from its stored resolution, so subsampled chroma is
/// never upsampled to full size first and the colour conversion runs on the small image. (The
/// conversion is affine and the filter linear, so this equals resizing the RGB image, up to
/// rounding.)
pub(crate) fn decode_to(
    input: &[u8],
    shrink: u32,
    ycbcr: bool,
    max_pixels: u64,
    target: Option<(u32, u32)>,
) -> Result<Option<Scaled>, Error> {
    let n = match shrink {
        2 => 4,
        4 => 2,
        8 => 1,
        _ => return Ok(None),
    };
    if !input.starts_with(&[0xFF, 0xD8]) {
        return Ok(None);
    }
    let mut quant: [Option<[f32; 64]>; 4] = [None; 4];
    let mut dc_tables: [Option<HuffmanTable>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<HuffmanTable>; 4] = [None, None, None, None];
    let mut frame: Option<Frame> = None;
    let mut restart_interval = 0usize;
    let mut pos = 2;
    loop {
        // Markers may be preceded by fill bytes; anything else between segments is not ours.
        if input.get(pos) != Some(&0xFF) {
            return Ok(None);
        }
        while input.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = input.get(pos + 1) else {
            return Ok(None);
        };
        pos += 2;
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        let Some(len) = input
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return Ok(None);
        };
        let Some(segment) = input.get(pos + 2..pos + len).filter(|_| len >= 2) else {
            return Ok(None);
        };
        match marker {
            0xC0 | 0xC1 => match parse_frame(segment) {
                Some(parsed) => frame = Some(parsed),
                None => return Ok(None),
            },
            // Progressive, lossless, hierarchical, arithmetic-coded: the general decoders.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(None),
            0xC4 if !parse_huffman(segment, &mut dc_tables, &mut ac_tables) => return Ok(None),
            0xDB if !parse_quant(segment, &mut quant) => return Ok(None),
            0xDD => match segment {
                [hi, lo, ..] => restart_interval = usize::from(u16::from_be_bytes([*hi, *lo])),
                _ => return Ok(None),
            },
            0xDA => {
                let Some(frame) = frame else {
                    return Ok(None);
                };
                // The caller checked the size the header probe saw; this is the frame we decode.
                if (frame.width as u64) * (frame.height as u64) > max_pixels {
                    return Err(Error::TooLarge(format!(
                        "{}x{} is over max_input_pixels ({max_pixels})",
                        frame.width, frame.height
                    )));
                }
                let Some(scan) = Scan::new(
                    &frame,
                    segment,
                    &quant,
                    &dc_tables,
                    &ac_tables,
                    restart_interval,
                    n,
                ) else {
                    return Ok(None);
                };
                let data = &input[pos + len..];
                let planes = scan
                    .run(data)
                    .map_err(|e| Error::invalid(format!("JPEG: {e}")))?;
                let reduced = (
                    (frame.width * n).div_ceil(8),
                    (frame.height * n).div_ceil(8),
                );
                return Ok(Some(match target {
                    Some((w, h)) if (w as usize) <= reduced.0 && (h as usize) <= reduced.1 => {
                        assemble_resized(&frame, &planes, n, ycbcr, (w, h))?
                    }
                    _ => assemble(&frame, &planes, n, ycbcr),
                }));
            }
            0xD8 | 0xD9 => return Ok(None),
            _ => {} // APPn, COM, DNL, ...: not needed here
        }
        pos += len;
    }
}

fn parse_frame(segment: &[u8]) -> Option<Frame> {
    let [precision, h_hi, h_lo, w_hi, w_lo, count, rest @ ..] = segment else {
        return None;
    };
    let height = usize::from(u16::from_be_bytes([*h_hi, *h_lo]));
    let width = usize::from(u16::from_be_bytes([*w_hi, *w_lo]));
    if *precision != 8 || width == 0 || height == 0 || !matches!(count, 1 | 3) {
        return None;
    }
    let mut components = Vec::new();
    for spec in rest.chunks_exact(3).take(usize::from(*count)) {
        let (h, v) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) || spec[2] > 3 {
            return None;
        }
        components.push(FrameComponent {
            id: spec[0],
            h,
            v,
            quant: usize::from(spec[2]),
        });
    }
    if components.len() != usize::from(*count) {
        return None;
    }
    if components.len() == 1 {
        // A single component is never interleaved: its sampling factors do not matter.
        components[0].h = 1;
        components[0].v = 1;
    }
    let (hmax, vmax) = max_sampling(&components);
    // Every component must tile the MCU evenly (4:2:0, 4:2:2, 4:4:0, 4:1:1, ...).
    if components
        .iter()
        .any(|c| hmax % c.h != 0 || vmax % c.v != 0)
    {
        return None;
    }
    Some(Frame {
        width,
        height,
        components,
    })
}

fn max_sampling(components: &[FrameComponent]) -> (usize, usize) {
    let hmax = components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = components.iter().map(|c| c.v).max().unwrap_or(1);
    (hmax, vmax)
}

fn parse_huffman(
    mut segment: &[u8],
    dc: &mut [Option<HuffmanTable>; 4],
    ac: &mut [Option<HuffmanTable>; 4],
) -> bool {
    while let [class_id, rest @ ..] = segment {
        let (class, id) = (class_id >> 4, usize::from(class_id & 15));
        let Some(counts) = rest.get(..16) else {
            return false;
        };
        let mut counts_array = [0u8; 16];
        counts_array.copy_from_slice(counts);
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let Some(values) = rest.get(16..16 + total) else {
            return false;
        };
        if class > 1 || id > 3 {
            return false;
        }
        let Some(table) = HuffmanTable::new(&counts_array, values, class == 1) else {
            return false;
        };
        if class == 0 {
            dc[id] = Some(table);
        } else {
            ac[id] = Some(table);
        }
        segment = &rest[16 + total..];
    }
    true
}

fn parse_quant(mut segment: &[u8], quant: &mut [Option<[f32; 64]>; 4]) -> bool {
    while let [precision_id, rest @ ..] = segment {
        let (precision, id) = (precision_id >> 4, usize::from(precision_id & 15));
        if precision > 1 || id > 3 {
            return false;
        }
        let size = if precision == 0 { 64 } else { 128 };
        let Some(values) = rest.get(..size) else {
            return false;
        };
        // Stored in zig-zag order, which is the order the coefficients are decoded in.
        let mut table = [0f32; 64];
        for (k, q) in table.iter_mut().enumerate() {
            *q = if precision == 0 {
                f32::from(values[k])
            } else {
                f32::from(u16::from_be_bytes([values[2 * k], values[2 * k + 1]]))
            };
        }
        quant[id] = Some(table);
        segment = &rest[size..];
    }
    true
}

/// One component of the scan with everything its blocks need.
struct ScanComponent<'t> {
    dc: &'t HuffmanTable,
    ac: &'t HuffmanTable,
    quant: [f32; 64],
    h: usize,
    v: usize,
}

/// A reduced component plane: `n` pixels per block side, block padding included.
struct Plane {
    data: Vec<u8>,
    stride: usize,
}

struct Scan<'t> {
    components: Vec<ScanComponent<'t>>,
    mcus_x: usize,
    mcus_y: usize,
    restart_interval: usize,
    basis: Basis,
}

impl<'t> Scan<'t> {
    fn new(
        frame: &Frame,
        header: &[u8],
        quant: &[Option<[f32; 64]>; 4],
        dc: &'t [Option<HuffmanTable>; 4],
        ac: &'t [Option<HuffmanTable>; 4],
        restart_interval: usize,
        n: usize,
    ) -> Option<Self> {
        let (&count, rest) = header.split_first()?;
        // One interleaved scan with every component, in frame order; baseline spectral range.
        if usize::from(count) != frame.components.len() {
            return None;
        }
        let specs = rest.get(..2 * usize::from(count))?;
        if rest.get(2 * usize::from(count)..2 * usize::from(count) + 3) != Some(&[0, 63, 0]) {
            return None;
        }
        let mut components = Vec::new();
        for (spec, fc) in specs.chunks_exact(2).zip(&frame.components) {
            if spec[0] != fc.id {
                return None;
            }
            let (td, ta) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
            components.push(ScanComponent {
                dc: dc.get(td)?.as_ref()?,
                ac: ac.get(ta)?.as_ref()?,
                quant: (*quant.get(fc.quant)?)?,
                h: fc.h,
                v: fc.v,
            });
        }
        let (hmax, vmax) = max_sampling(&frame.components);
        Some(Self {
            components,
            mcus_x: frame.width.div_ceil(8 * hmax),
            mcus_y: frame.height.div_ceil(8 * vmax),
            restart_interval,
            basis: Basis::new(n),
        })
    }

    /// Decodes the entropy-coded data into one reduced plane per component.
    fn run(&self, data: &[u8]) -> Result<Vec<Plane>, EntropyError> {
        match self.basis.n() {
            4 => self.run_reduced::<4>(data),
            2 => self.run_reduced::<2>(data),
            _ => self.run_reduced::<1>(data),
        }
    }

    /// [`Scan::run`] for a reduced IDCT of size `N` (= `self.basis.n()`), compiled once per
    /// size so the coefficient layout is constant in the entropy decoder.
    fn run_reduced<const N: usize>(&self, data: &[u8]) -> Result<Vec<Plane>, EntropyError> {
        let n = N;
        let mut planes: Vec<Plane> = self
            .components
            .iter()
            .map(|c| {
                let stride = self.mcus_x * c.h * n;
                Plane {
                    data: vec![0; stride * self.mcus_y * c.v * n],
                    stride,
                }
            })
            .collect();
        let mut reader = BitReader::new(data);
        let mut predictors = [0i32; 3];
        let mut until_restart = self.restart_interval;
        for mcu_y in 0..self.mcus_y {
            for mcu_x in 0..self.mcus_x {
                if self.restart_interval > 0 {
                    if until_restart == 0 {
                        reader.restart()?;
                        predictors = [0; 3];
                        until_restart = self.restart_interval;
                    }
                    until_restart -= 1;
                }
                for ((component, plane), predictor) in
                    self.components.iter().zip(&mut planes).zip(&mut predictors)
                {
                    for block_y in 0..component.v {
                        let y0 = (mcu_y * component.v + block_y) * n;
                        for block_x in 0..component.h {
                            let x0 = (mcu_x * component.h + block_x) * n;
                            let mut coef: Block = [0.0; 32];
                            let stored = reader.decode_block::<N>(
                                component.dc,
                                component.ac,
                                predictor,
                                &component.quant,
                                &mut coef,
                            )?;
                            let flat = !stored || coef[1..n * n].iter().all(|&c| c == 0.0);
                            let out = &mut plane.data[y0 * plane.stride + x0..];
                            self.basis.idct(&coef, flat, out, plane.stride);
                        }
                    }
                }
            }
            // A file cut short (or a huge frame over a few bytes of data) fails at the first
            // MCU row past the data, not after decoding zeros for the rest of the frame.
            if reader.overran() {
                return Err(EntropyError::Truncated);
            }
        }
        Ok(planes)
    }
}

/// Crops, upsamples and colour converts the planes into the output image.
fn assemble(frame: &Frame, planes: &[Plane], n: usize, ycbcr: bool) -> Scaled {
    let width = (frame.width * n).div_ceil(8);
    let height = (frame.height * n).div_ceil(8);
    let (hmax, vmax) = max_sampling(&frame.components);
    let components: Vec<Component<'_>> = frame
        .components
        .iter()
        .zip(planes)
        .map(|(fc, plane)| Component {
            data: &plane.data,
            stride: plane.stride,
            width: (frame.width * fc.h * n).div_ceil(hmax * 8),
            height: (frame.height * fc.v * n).div_ceil(vmax * 8),
            ratio_h: hmax / fc.h,
            ratio_v: vmax / fc.v,
        })
        .collect();
    let gray = components.len() == 1;
    let channels = if gray { 1 } else { 3 };
    let mut pixels = vec![0u8; width * height * channels];
    let mut rows = [vec![0u8; width], vec![0u8; width], vec![0u8; width]];
    let mut scratch = Vec::new();
    for (y, out) in pixels.chunks_exact_mut(width * channels).enumerate() {
        if gray {
            components[0].upsample_row(y, out, &mut scratch);
            continue;
        }
        for (component, row) in components.iter().zip(&mut rows) {
            component.upsample_row(y, row, &mut scratch);
        }
        if ycbcr {
            upsample::ycbcr_to_rgb(&rows[0], &rows[1], &rows[2], out);
        } else {
            upsample::interleave(&rows[0], &rows[1], &rows[2], out);
        }
    }
    Scaled {
        width: width as u32,
        height: height as u32,
        gray,
        pixels,
    }
}

/// Resizes every plane (its exact image area, block padding cropped off) to `target`, then
/// colour converts or interleaves the resized rows. The two chroma planes, which share their
/// sampling in every common layout, are resized together as one two-channel image: the
/// resizer's two-channel SIMD path handles the short (upsampling) kernels chroma needs, where
/// the one-channel path falls back to scalar code for every tap past a multiple of 8.
fn assemble_resized(
    frame: &Frame,
    planes: &[Plane],
    n: usize,
    ycbcr: bool,
    target: (u32, u32),
) -> Result<Scaled, Error> {
    use fast_image_resize::PixelType;

    let (tw, th) = (target.0 as usize, target.1 as usize);
    let mut resizer = fast_image_resize::Resizer::new();
    let components = &frame.components;
    let pixels = match (components.as_slice(), planes) {
        ([fc], [plane]) => resize_with(&mut resizer, frame, fc, plane, n, target, PixelType::U8)?,
        ([fy, fb, fr], [py, pb, pr])
            if (fb.h, fb.v) == (fr.h, fr.v)
                && (pb.stride, pb.data.len()) == (pr.stride, pr.data.len()) =>
        {
            let luma = resize_with(&mut resizer, frame, fy, py, n, target, PixelType::U8)?;
            let mut pair = vec![0u8; pb.data.len() * 2];
            for ((out, &b), &r) in pair.chunks_exact_mut(2).zip(&pb.data).zip(&pr.data) {
                out.copy_from_slice(&[b, r]);
            }
            let pair_plane = Plane {
                data: pair,
                stride: pb.stride,
            };
            let chroma = resize_with(
                &mut resizer,
                frame,
                fb,
                &pair_plane,
                n,
                target,
                PixelType::U8x2,
            )?;
            let mut pixels = vec![0u8; tw * th * 3];
            let (mut cb, mut cr) = (vec![0u8; tw], vec![0u8; tw]);
            for ((out, y), pair) in pixels
                .chunks_exact_mut(tw * 3)
                .zip(luma.chunks_exact(tw))
                .zip(chroma.chunks_exact(tw * 2))
            {
                for ((b, r), px) in cb.iter_mut().zip(&mut cr).zip(pair.chunks_exact(2)) {
                    (*b, *r) = (px[0], px[1]);
                }
                if ycbcr {
                    upsample::ycbcr_to_rgb(y, &cb, &cr, out);
                } else {
                    upsample::interleave(y, &cb, &cr, out);
                }
            }
            pixels
        }
        ([f0, f1, f2], [p0, p1, p2]) => {
            let a = resize_with(&mut resizer, frame, f0, p0, n, target, PixelType::U8)?;
            let b = resize_with(&mut resizer, frame, f1, p1, n, target, PixelType::U8)?;
            let c = resize_with(&mut resizer, frame, f2, p2, n, target, PixelType::U8)?;
            let mut pixels = vec![0u8; tw * th * 3];
            for (y, out) in pixels.chunks_exact_mut(tw * 3).enumerate() {
                let span = y * tw..(y + 1) * tw;
                let (a, b, c) = (&a[span.clone()], &b[span.clone()], &c[span]);
                if ycbcr {
                    upsample::ycbcr_to_rgb(a, b, c, out);
                } else {
                    upsample::interleave(a, b, c, out);
                }
            }
            pixels
        }
        _ => return Err(Error::internal("scaled JPEG with 2 components")),
    };
    Ok(Scaled {
        width: target.0,
        height: target.1,
        gray: components.len() == 1,
        pixels,
    })
}

/// A plane (`kind` U8) or two planes interleaved (`kind` U8x2, `stride` counted in pixels),
/// its image area resized to `target` (Lanczos3).
fn resize_with(
    resizer: &mut fast_image_resize::Resizer,
    frame: &Frame,
    fc: &FrameComponent,
    plane: &Plane,
    n: usize,
    target: (u32, u32),
    kind: fast_image_resize::PixelType,
) -> Result<Vec<u8>, Error> {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions};

    let (hmax, vmax) = max_sampling(&frame.components);
    let channels = kind.size();
    let width = plane.stride;
    let rows = plane.data.len() / (width * channels).max(1);
    let src =
        ImageRef::new(width as u32, rows as u32, &plane.data, kind).map_err(Error::internal)?;
    // The image's extent in this plane's samples; fractional for subsampled chroma of odd
    // sizes, which keeps chroma centred on the luma grid as JFIF sites it.
    let extent =
        |size: usize, factor: usize, max: usize| (size * factor * n) as f64 / (max * 8) as f64;
    // Two channels are Cb and Cr, not luma and alpha: no alpha pre-multiplication.
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(false)
        .crop(
            0.0,
            0.0,
            extent(frame.width, fc.h, hmax),
            extent(frame.height, fc.v, vmax),
        );
    let mut dst = Image::new(target.0, target.1, kind);
    resizer
        .resize(&src, &mut dst, &options)
        .map_err(Error::internal)?;
    Ok(dst.into_vec())
}

#[cfg(test)]
mod tests;
