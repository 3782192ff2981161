//! Removes stray bytes between JPEG marker segments before the first SOS.
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
}
