//! JPEG header segments: stray bytes between them removed before the first SOS ([`clean`]), and
//! the frame header of lossless (SOF3) files read ([`lossless_frame`]).
//!
//! libjpeg treats "N extraneous bytes before marker" as a warning and so do browsers, libvips
//! and Pillow; zune-jpeg's strict mode (which we need so that truncated or corrupt *entropy*
//! data is an error instead of grey fill) rejects such files. Cleaning the header keeps both:
//! such real-world files decode, and the image data is still checked strictly.

use std::borrow::Cow;

/// `input` with junk between header segments dropped; borrowed when there is none (the usual
/// case). Anything it does not understand is returned unchanged for the decoder to judge.
pub(crate) fn clean(input: &[u8]) -> Cow<'_, [u8]> {
    let mut pos = 2; // after SOI
    let mut kept: Vec<(usize, usize)> = Vec::new(); // segment ranges when junk was found
    let mut junk = false;
    loop {
        // Find the next 0xFF that starts a marker (0xFF fill bytes are allowed before it).
        let start = pos;
        while pos < input.len() && input[pos] != 0xFF {
            pos += 1;
        }
        while pos + 1 < input.len() && input[pos + 1] == 0xFF {
            pos += 1;
        }
        if pos + 1 >= input.len() {
            return Cow::Borrowed(input);
        }
        if pos > start {
            junk = true;
        }
        let marker = input[pos + 1];
        if marker == 0x00 || (0xD0..=0xD9).contains(&marker) || marker == 0x01 {
            // Not a header segment with a length: leave the file to the decoder.
            return Cow::Borrowed(input);
        }
        let Some(len) = input
            .get(pos + 2..pos + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return Cow::Borrowed(input);
        };
        if marker == 0xDA {
            // SOS: the rest (scans, later headers, EOI) is the decoder's business.
            if !junk {
                return Cow::Borrowed(input);
            }
            let mut out = Vec::with_capacity(input.len());
            out.extend_from_slice(&input[..2]);
            for (a, b) in kept {
                out.extend_from_slice(&input[a..b]);
            }
            out.extend_from_slice(&input[pos..]);
            return Cow::Owned(out);
        }
        let end = pos + 2 + len;
        if len < 2 || end > input.len() {
            return Cow::Borrowed(input);
        }
        kept.push((pos, end));
        pos = end;
    }
}

/// The frame header of a lossless Huffman-coded JPEG (SOF3, ITU T.81 Annex H), which neither
/// zune-jpeg nor our scaled decoder reads; jpeg-decoder does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LosslessFrame {
    /// Sample precision in bits (2..=16).
    pub(crate) precision: u8,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Number of components (1 gray, 3 colour, others are refused by the caller).
    pub(crate) components: u8,
    /// The EXIF block of the first `Exif` APP1 segment (TIFF header first), if any.
    pub(crate) exif: Option<Vec<u8>>,
}

/// `Some` when the first frame header (before the first SOS) is SOF3 and well formed.
pub(crate) fn lossless_frame(input: &[u8]) -> Option<LosslessFrame> {
    let mut exif = None;
    let mut pos = 2; // after SOI
    loop {
        // Skip stray bytes and fill bytes up to the next marker (as `clean` does).
        while *input.get(pos)? != 0xFF || *input.get(pos + 1)? == 0xFF {
            pos += 1;
        }
        let marker = input[pos + 1];
        if matches!(marker, 0x00 | 0x01 | 0xD0..=0xDA) {
            // Not a header segment with a length, or the first scan: no lossless frame.
            return None;
        }
        let len = usize::from(u16::from_be_bytes([
            *input.get(pos + 2)?,
            *input.get(pos + 3)?,
        ]));
        let payload = input.get(pos + 4..(pos + 2 + len).max(pos + 4))?;
        match marker {
            _ if len < 2 => return None,
            0xE1 if exif.is_none() => {
                exif = payload.strip_prefix(b"Exif\0\0").map(<[u8]>::to_vec);
            }
            0xC3 => {
                let &[precision, h0, h1, w0, w1, components, ..] = payload else {
                    return None;
                };
                return (payload.len() == 6 + 3 * usize::from(components)).then(|| LosslessFrame {
                    precision,
                    width: u32::from(u16::from_be_bytes([w0, w1])),
                    height: u32::from(u16::from_be_bytes([h0, h1])),
                    components,
                    exif,
                });
            }
            // Any other frame header (DHT 0xC4, JPG 0xC8 and DAC 0xCC are not frames).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => return None,
            _ => {}
        }
        pos += 2 + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_headers_are_borrowed_and_junk_is_dropped() {
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDB, 0, 3, 9, 0xFF, 0xDA, 0, 2, 7, 0xFF,
            0xD9,
        ];
        assert!(matches!(clean(&jpeg), Cow::Borrowed(_)));
        let mut dirty = jpeg[..8].to_vec();
        dirty.extend_from_slice(&[0x00, 0x13, 0x37]);
        dirty.extend_from_slice(&jpeg[8..]);
        assert_eq!(clean(&dirty).as_ref(), &jpeg[..]);
    }

    #[test]
    fn odd_input_is_left_alone() {
        for input in [
            &b"\xFF\xD8"[..],
            b"\xFF\xD8\xFF",
            b"\xFF\xD8\xFF\xE0\xFF\xFF",
            b"\xFF\xD8\xFF\xE0\0\x01",
        ] {
            assert!(matches!(clean(input), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn lossless_frames_are_found_and_others_are_not() {
        // SOI, APP1 Exif, SOF3 8-bit 5x4 gray, SOS.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 12];
        jpeg.extend_from_slice(b"Exif\0\0MM\0*");
        jpeg.extend_from_slice(&[0xFF, 0xC3, 0, 11, 8, 0, 4, 0, 5, 1, 1, 0x11, 0]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 1, 0, 0]);
        let frame = lossless_frame(&jpeg).unwrap();
        assert_eq!(
            (frame.precision, frame.width, frame.height, frame.components),
            (8, 5, 4, 1)
        );
        assert_eq!(frame.exif.as_deref(), Some(&b"MM\0*"[..]));
        // A baseline frame header, a short SOF3 and truncated headers are not lossless frames.
        let mut baseline = jpeg.clone();
        baseline[17] = 0xC0;
        assert_eq!(lossless_frame(&baseline), None);
        let mut short = jpeg.clone();
        short[19] = 10;
        assert_eq!(lossless_frame(&short), None);
        for cut in 0..jpeg.len() - 10 {
            assert_eq!(lossless_frame(&jpeg[..cut]), None, "cut at {cut}");
        }
    }
}
