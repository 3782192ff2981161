//! Character encodings: detect (BOM, XML declaration) and transcode the input to UTF-8.
//!
//! UTF-8 passes through untouched; quick-xml validates it event by event. UTF-16 (with a
//! BOM, or recognisable from `<?`), ISO-8859-1/ASCII (decoded as true Latin-1, as expat
//! does) and other ASCII-compatible encodings known to `encoding_rs` are transcoded.

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

use crate::error::{Error, Result};

/// How far we look for the end of the XML declaration before giving up on it.
const DECL_WINDOW: usize = 1024;

enum State {
    /// Not enough bytes seen yet to decide.
    Detect(Vec<u8>),
    Utf8,
    Latin1,
    Other(Box<Decoder>),
}

/// Streaming input decoder: bytes in any supported encoding → UTF-8.
pub(crate) struct InputDecoder {
    state: State,
}

/// Outcome of inspecting the first bytes.
enum Detected {
    NeedMore,
    Found { skip: usize, state: State },
}

impl InputDecoder {
    pub(crate) fn new() -> Self {
        InputDecoder {
            state: State::Detect(Vec::new()),
        }
    }

    /// Whether input is known to be UTF-8 and passes through unchanged.
    pub(crate) fn is_passthrough(&self) -> bool {
        matches!(self.state, State::Utf8)
    }

    /// Decides the encoding from `chunk`, the document's first bytes, without copying it,
    /// when it is UTF-8 and `chunk` alone tells: returns how many bytes (a BOM) to skip
    /// before parsing `chunk` in place. `None` when the decoder has decided already, needs
    /// more bytes or transcodes: then [`Self::push`] decides, as it would have anyway. The
    /// buffered way copies the first chunk twice (into the detection head, then the
    /// decoded buffer): 128 page faults for a 256 KiB chunk.
    pub(crate) fn detect_in_place(&mut self, chunk: &[u8]) -> Result<Option<usize>> {
        let State::Detect(head) = &self.state else {
            return Ok(None);
        };
        if !head.is_empty() {
            return Ok(None);
        }
        match detect(chunk, false)? {
            Detected::Found {
                skip,
                state: State::Utf8,
            } => {
                self.state = State::Utf8;
                Ok(Some(skip))
            }
            _ => Ok(None),
        }
    }

    /// Decodes `input` (a chunk of the document) and appends UTF-8 to `dst`.
    pub(crate) fn push(&mut self, input: &[u8], last: bool, dst: &mut Vec<u8>) -> Result<()> {
        if let State::Detect(head) = &mut self.state {
            head.extend_from_slice(input);
            let head = std::mem::take(head);
            match detect(&head, last)? {
                Detected::NeedMore => {
                    self.state = State::Detect(head);
                    return Ok(());
                }
                Detected::Found { skip, state } => {
                    self.state = state;
                    let rest = head.get(skip..).unwrap_or_default();
                    return self.decode(rest, last, dst);
                }
            }
        }
        self.decode(input, last, dst)
    }

    fn decode(&mut self, input: &[u8], last: bool, dst: &mut Vec<u8>) -> Result<()> {
        match &mut self.state {
            State::Detect(_) => Err(Error::Internal("decoder used before detection")),
            State::Utf8 => {
                dst.extend_from_slice(input);
                Ok(())
            }
            State::Latin1 => {
                dst.reserve(input.len() + input.len() / 4);
                for &b in input {
                    if b < 0x80 {
                        dst.push(b);
                    } else {
                        dst.push(0xC0 | (b >> 6));
                        dst.push(0x80 | (b & 0x3F));
                    }
                }
                Ok(())
            }
            State::Other(decoder) => decode_with(decoder, input, last, dst),
        }
    }
}

fn decode_with(
    decoder: &mut Decoder,
    mut input: &[u8],
    last: bool,
    dst: &mut Vec<u8>,
) -> Result<()> {
    loop {
        let need = decoder
            .max_utf8_buffer_length_without_replacement(input.len())
            .unwrap_or(input.len().saturating_mul(3))
            .max(16);
        let start = dst.len();
        dst.resize(start + need, 0);
        let (result, read, written) =
            decoder.decode_to_utf8_without_replacement(input, &mut dst[start..], last);
        dst.truncate(start + written);
        input = input.get(read..).unwrap_or_default();
        match result {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => continue,
            DecoderResult::Malformed(_, _) => {
                return Err(Error::Malformed {
                    line: 0,
                    column: 0,
                    message: "byte sequence invalid in the document's encoding",
                });
            }
        }
    }
}

fn detect(head: &[u8], last: bool) -> Result<Detected> {
    if head.len() < 5 && !last {
        // A BOM needs up to 4 bytes and `<?xml` 5; wait unless this is everything.
        return Ok(Detected::NeedMore);
    }
    let found = |skip, state| Ok(Detected::Found { skip, state });
    match head {
        [0xEF, 0xBB, 0xBF, ..] => return found(3, State::Utf8),
        [0xFE, 0xFF, ..] => {
            return found(
                2,
                State::Other(Box::new(UTF_16BE.new_decoder_without_bom_handling())),
            );
        }
        [0xFF, 0xFE, ..] => {
            return found(
                2,
                State::Other(Box::new(UTF_16LE.new_decoder_without_bom_handling())),
            );
        }
        [0x3C, 0x00, 0x3F, 0x00, ..] => {
            return found(
                0,
                State::Other(Box::new(UTF_16LE.new_decoder_without_bom_handling())),
            );
        }
        [0x00, 0x3C, 0x00, 0x3F, ..] => {
            return found(
                0,
                State::Other(Box::new(UTF_16BE.new_decoder_without_bom_handling())),
            );
        }
        _ => {}
    }
    if !head.starts_with(b"<?xml") {
        return found(0, State::Utf8);
    }
    let window = &head[..head.len().min(DECL_WINDOW)];
    let Some(end) = memchr::memmem::find(window, b"?>") else {
        if head.len() < DECL_WINDOW && !last {
            return Ok(Detected::NeedMore);
        }
        // No complete declaration: let the parser report it; assume UTF-8.
        return found(0, State::Utf8);
    };
    let state = match declared_encoding(&window[..end]) {
        None => State::Utf8,
        Some(label) => state_for_label(label)?,
    };
    found(0, state)
}

/// Extracts the value of `encoding="..."` from an XML declaration (without `?>`).
fn declared_encoding(decl: &[u8]) -> Option<&[u8]> {
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let rest = trim_start(rest);
    let rest = trim_start(rest.strip_prefix(b"=")?);
    let (&quote, rest) = rest.split_first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let close = memchr::memchr(quote, rest)?;
    Some(&rest[..close])
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    &s[n..]
}

fn state_for_label(label: &[u8]) -> Result<State> {
    let lower = label.to_ascii_lowercase();
    let name = String::from_utf8_lossy(&lower).into_owned();
    match name.as_str() {
        "utf-8" | "utf8" => return Ok(State::Utf8),
        // expat decodes these itself as true Latin-1 (encoding_rs would use windows-1252).
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" | "us-ascii"
        | "ascii" => {
            return Ok(State::Latin1);
        }
        _ => {}
    }
    match Encoding::for_label_no_replacement(&lower) {
        Some(enc) if enc == UTF_8 => Ok(State::Utf8),
        Some(enc) if enc.is_ascii_compatible() => Ok(State::Other(Box::new(
            enc.new_decoder_without_bom_handling(),
        ))),
        // UTF-16 declared on bytes that look ASCII-compatible: the declaration is wrong.
        _ => Err(Error::UnsupportedEncoding(name.chars().take(40).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], chunk: usize) -> Result<Vec<u8>> {
        let mut d = InputDecoder::new();
        let mut out = Vec::new();
        for c in input.chunks(chunk.max(1)) {
            d.push(c, false, &mut out)?;
        }
        d.push(&[], true, &mut out)?;
        Ok(out)
    }

    #[test]
    fn utf8_bom_is_stripped() {
        assert_eq!(decode_all(b"\xEF\xBB\xBF<a/>", 1).unwrap(), b"<a/>");
        assert_eq!(decode_all(b"<a/>", 2).unwrap(), b"<a/>");
        assert_eq!(decode_all(b"<", 2).unwrap(), b"<");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "<a>é€</a>";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode_all(&le, 3).unwrap(), text.as_bytes());
        assert_eq!(decode_all(&be, 1).unwrap(), text.as_bytes());
        let decl = "<?xml version=\"1.0\"?><a/>";
        let le: Vec<u8> = decl.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode_all(&le, 5).unwrap(), decl.as_bytes());
    }

    #[test]
    fn declared_latin1_and_windows_1252() {
        let doc = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE9\x80</a>";
        let out = String::from_utf8(decode_all(doc, 7).unwrap()).unwrap();
        assert!(out.ends_with("<a>é\u{80}</a>"));
        let doc = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\x80</a>";
        let out = String::from_utf8(decode_all(doc, 4).unwrap()).unwrap();
        assert!(out.ends_with("<a>€</a>"));
    }

    #[test]
    fn unknown_encoding_is_rejected() {
        let err = decode_all(b"<?xml version=\"1.0\" encoding=\"klingon\"?><a/>", 64).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::UnsupportedContentType);
    }
}
