//! One parsed segment: a quick-xml reader over the bytes that have arrived, its events
//! handed to an [`Events`] receiver (the converter's handler, or the pipeline's tokenizer),
//! and the reader's errors told apart: "the input stopped inside a token" (wait for more)
//! from malformed input (an error at a position).

use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::problem::Problem;
use crate::scan::is_space;
use crate::tag;
/// Whether a reader error only means "the input stopped in the middle of a token".
fn is_incomplete(e: &XmlError, data: &[u8], at: usize) -> bool {
    let rest = data.get(at..).unwrap_or_default();
    match e {
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => rest.len() < 16,
        XmlError::Syntax(_) => true,
        XmlError::IllFormed(IllFormedError::UnclosedReference) => {
            memchr::memchr3(b';', b'&', b'<', rest.get(1..).unwrap_or_default()).is_none()
        }
        _ => false,
    }
}

fn describe(e: &XmlError) -> &'static str {
    match e {
        XmlError::Syntax(SyntaxError::InvalidBangMarkup) => "invalid markup after `<!`",
        XmlError::Syntax(SyntaxError::UnclosedPI | SyntaxError::UnclosedXmlDecl) => {
            "unclosed processing instruction (document truncated?)"
        }
        XmlError::Syntax(SyntaxError::UnclosedComment) => "unclosed comment (document truncated?)",
        XmlError::Syntax(SyntaxError::UnclosedDoctype) => "unclosed DOCTYPE (document truncated?)",
        XmlError::Syntax(SyntaxError::UnclosedCData) => {
            "unclosed CDATA section (document truncated?)"
        }
        XmlError::Syntax(_) => "unclosed tag (document truncated?)",
        XmlError::IllFormed(IllFormedError::UnclosedReference) => "`&` not starting a reference",
        XmlError::IllFormed(
            IllFormedError::MissingDeclVersion(_) | IllFormedError::UnknownVersion,
        ) => "invalid XML declaration",
        XmlError::IllFormed(_) => "not well-formed",
        XmlError::InvalidAttr(_) => "invalid attribute",
        XmlError::Encoding(_) => "invalid UTF-8",
        XmlError::Escape(_) => "invalid character or entity reference",
        _ => "not well-formed",
    }
}

/// `at` moved past XML whitespace (what the reader's `trim_text_start` skips).
fn skip_space(data: &[u8], mut at: usize) -> usize {
    while data.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    at
}

/// Receives the events of one segment from [`read_segment`]: the converter's state
/// directly, or the tokenizer of a pipelined converter (`crate::pipeline`).
pub(crate) trait Events {
    /// Whether the reader may skip leading whitespace of the next text (no text event, no
    /// UTF-8 check): it would be dropped anyway, or [`Self::space`] keeps it.
    fn trims_leading_space(&self) -> bool;
    /// Whitespace `data[start..end]` the reader skipped. It still separates the text
    /// around it: `]]` and `>` with whitespace between do not form a `]]>`.
    fn space(&mut self, start: usize, end: usize) -> Result<(), Problem>;
    /// A U+FEFF at the start of a segment. The decoder has already removed the document's
    /// byte order mark, so this one is a character (text).
    fn bom(&mut self) -> Result<(), Problem>;
    /// One event starting at `ev_start` in the segment.
    fn event(&mut self, event: Event<'_>, ev_start: usize) -> Result<(), Problem>;
}

/// Reads the events of `data` into `sink`; returns how many bytes were used and whether it
/// stopped at an incomplete token, or the problem and where it is.
#[inline]
pub(crate) fn read_segment<E: Events>(
    sink: &mut E,
    data: &[u8],
    last: bool,
) -> Result<(usize, bool), (Problem, usize)> {
    let mut base = 0;
    // A fresh quick-xml reader would drop a leading U+FEFF as a BOM (and count positions
    // from after it), but the decoder has already removed the real one.
    if data.starts_with("\u{FEFF}".as_bytes()) {
        sink.bom().map_err(|p| (p, 0))?;
        base = 3;
    }
    let mut reader = Reader::from_reader(&data[base..]);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.expand_empty_elements = false;
    config.trim_text(false);
    config.check_comments = true;
    // Bytes read past the reader (start tags, see below): its positions do not count them.
    let mut skipped = 0;
    // The reader stands between markup (after a tag), so the bytes that follow may be
    // taken from it: its next event would start with them.
    let mut after_tag = false;
    let valid = tag::valid_prefix(data);
    loop {
        let mut ev_start = base + skipped + reader.buffer_position() as usize;
        // Whitespace that would be dropped anyway is skipped by the reader itself
        // (no text event, no UTF-8 check). A markup event then starts after it.
        let trim = sink.trims_leading_space();
        if after_tag {
            // A start tag after (dropped) whitespace: read here (`crate::tag`), as the
            // reader would read it but cheaper. Anything else is the reader's.
            let at = if trim {
                skip_space(data, ev_start)
            } else {
                ev_start
            };
            if let Some((len, event)) = tag::start_tag(data, valid, at) {
                if at > ev_start {
                    sink.space(ev_start, at).map_err(|p| (p, ev_start))?;
                }
                let used = at + len - ev_start;
                let source = reader.get_mut();
                *source = source.get(used..).unwrap_or_default();
                skipped += used;
                sink.event(event, at).map_err(|p| (p, at))?;
                continue;
            }
        }
        reader.config_mut().trim_text_start = trim;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                if trim {
                    let after = skip_space(data, ev_start);
                    if after > ev_start {
                        sink.space(ev_start, after).map_err(|p| (p, ev_start))?;
                    }
                    ev_start = after;
                }
                let at = base + skipped + reader.error_position() as usize;
                if !last && is_incomplete(&e, data, ev_start.min(at)) {
                    return Ok((ev_start, true));
                }
                return Err((Problem::Malformed(describe(&e)), at));
            }
        };
        if trim && data.get(ev_start).copied().is_some_and(is_space) {
            let after = skip_space(data, ev_start);
            sink.space(ev_start, after).map_err(|p| (p, ev_start))?;
            // A markup event starts after the whitespace; text after skipped whitespace
            // still reports its errors where the whitespace began.
            if !matches!(event, Event::Text(_)) {
                ev_start = after;
            }
        }
        if let Event::Eof = event {
            return Ok((data.len(), false));
        }
        after_tag = matches!(event, Event::Start(_) | Event::Empty(_) | Event::End(_));
        sink.event(event, ev_start).map_err(|p| (p, ev_start))?;
    }
}
