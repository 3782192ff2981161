//! The push-style converter: feed chunks, collect output, finish.
//!
//! quick-xml's reader pulls from a complete buffer, so each `feed` parses what has arrived
//! with a fresh reader and keeps the unfinished tail (a tag, comment, reference... cut by
//! the chunk boundary) for the next call. A tail is only re-parsed once the buffer has
//! doubled, so a huge token fed in tiny chunks costs linear, not quadratic, time; its size
//! is capped by `max_text_bytes`. Element nesting, end-tag matching and namespaces are
//! tracked here (not by quick-xml), so they survive the reader being replaced.

use std::collections::HashMap;
use std::hash::Hasher;

use quick_xml::XmlVersion;
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::attrs::Attrs;
use crate::config::Config;
use crate::decode::InputDecoder;
use crate::error::{Error, Result};
use crate::fxhash::{FxBuild, FxHasher};
use crate::names::is_valid_name;
use crate::ns::{Namespaces, NsError};
use crate::ordered::OrderedWriter;
use crate::pipeline::{Batch, MAX_PIECE, Pipe, Tag};
use crate::position::Position;
use crate::scan::{AttrScanner, is_space};
use crate::tree::{BuildError, OutputSink, TreeBuilder};

/// `ordered` mode forgets its known attribute lists beyond this many bytes of names.
const KNOWN_ATTR_BYTES: usize = 1 << 20;
/// `<` inside a tag.
const LT_IN_TAG: Problem = Problem::Malformed("`<` in a tag or attribute value");
/// A cut token of at most this many bytes is completed from the next chunk's first
/// `BRIDGE` bytes, the rest of that chunk is parsed in place.
const BRIDGE: usize = 4 << 10;
/// Extra room for the unparsed tail beyond `max_text_bytes` (tag names, quotes, ...).
const TAIL_SLACK: u64 = 64 << 10;
/// Depth limit handed to quick-xml's attribute normaliser (only predefined entities).
const ENTITY_DEPTH: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// Prolog: declaration, DOCTYPE, comments, PIs, whitespace.
    Before,
    /// Inside the root element.
    Inside,
    /// Epilog: only comments, PIs and whitespace may follow.
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Active,
    Failed,
    Finished,
}

/// A failure inside event handling; the caller adds the position.
#[derive(Clone, Copy)]
pub(crate) enum Problem {
    Malformed(&'static str),
    Limit(&'static str),
    Entities,
    /// The output sink failed.
    Sink,
    /// A bug of ours, reported instead of a panic.
    Internal(&'static str),
}

impl From<BuildError> for Problem {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::InvalidChar => Problem::Malformed("character not allowed in XML"),
            BuildError::TextTooLong => Problem::Limit("max_text_bytes"),
            BuildError::OutputTooLarge => Problem::Limit("max_output_bytes"),
            BuildError::Sink => Problem::Sink,
        }
    }
}

impl From<NsError> for Problem {
    fn from(e: NsError) -> Self {
        Problem::Malformed(match e {
            NsError::UnboundPrefix => "unbound namespace prefix",
            NsError::BadName => "name is not a valid qualified name",
        })
    }
}

enum Sink {
    Tree(Box<TreeBuilder>),
    Ordered(OrderedWriter),
}

/// Everything but the input buffer, so the reader can borrow the buffer while we mutate.
pub(crate) struct Core {
    config: Config,
    doc: Doc,
    version: XmlVersion,
    external_dtd: bool,
    seen_doctype: bool,
    depth: u32,
    record_depth: u32,
    names: String,
    name_ends: Vec<usize>,
    decl_counts: Vec<u32>,
    decls_in_scope: u64,
    ns: Namespaces,
    attrs: Attrs,
    name_buf: String,
    expanded: Vec<String>,
    attr_hashes: Vec<u64>,
    /// `ordered` mode: element name → the attribute names of its last tag whose names were
    /// not all known, validated and distinct. A tag repeating a prefix of that list needs
    /// no name validation and no duplicate check (the tree builder keeps its own).
    known_attrs: HashMap<Box<str>, Vec<Box<str>>, FxBuild>,
    /// Bytes of names in `known_attrs`, bounded by [`KNOWN_ATTR_BYTES`].
    known_attr_bytes: usize,
    /// Last (up to two) bytes of the previous text event, to spot a split `]]>`.
    text_tail: Vec<u8>,
    sink: Sink,
    out_total: u64,
    /// Position of the first byte of the current segment.
    pub(crate) pos: Position,
}

/// Streaming XML → JSON converter.
///
/// ```
/// use xml_to_json::{Config, Converter};
/// let mut conv = Converter::new(Config::default()).unwrap();
/// let mut out = Vec::new();
/// conv.feed(b"<a x=\"1\"><b>t</b><b/>", &mut out).unwrap();
/// conv.feed(b"</a>", &mut out).unwrap();
/// conv.finish(&mut out).unwrap();
/// assert_eq!(out, b"{\"a\":{\"@x\":\"1\",\"b\":[\"t\",null]}}\n");
/// ```
pub struct Converter {
    decoder: InputDecoder,
    buf: Vec<u8>,
    next_parse_at: usize,
    run: Run,
    /// All state but the reading; when pipelined, the worker thread's copy does the work
    /// and this one only tracks the position and limits of the reading side.
    core: Core,
    pipelined: bool,
    pipe: Option<Pipe>,
}

impl Converter {
    /// Creates a converter; fails with [`Error::InvalidConfig`] on a bad configuration.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        Ok(Converter {
            decoder: InputDecoder::new(),
            buf: Vec::new(),
            next_parse_at: 0,
            run: Run::Active,
            core: Core::new(config),
            pipelined: false,
            pipe: None,
        })
    }

    /// Reads on the calling thread and builds the JSON on a second thread (see
    /// [`Self::feed`]), which makes a conversion about a third faster when a second core is
    /// free, at a few percent more CPU time in total. The output is the same. Takes effect
    /// only before the first [`Self::feed`].
    pub fn set_pipelined(&mut self, on: bool) {
        if self.pipe.is_none() && self.core.pos.offset == 0 {
            self.pipelined = on;
        }
    }

    /// Sends output to `sink` in pieces of about 64 KiB while the xmltodict mapping
    /// serialises it, instead of collecting it in the `out` of [`Self::feed`] or
    /// [`Self::finish`]: tree mode's document then never exists whole next to the tree.
    /// Whenever `out` holds 64 KiB during serialisation, all of it goes to the sink, so
    /// the output is the bytes sent followed by what `out` still holds (`item_depth`
    /// records mostly stay in `out`, `ordered` output always does). A sink error ends the
    /// conversion with [`Error::Internal`]; after any error, discard what was sent.
    pub fn set_sink(&mut self, sink: OutputSink) {
        if let Sink::Tree(b) = &mut self.core.sink {
            b.set_sink(sink);
        }
    }

    /// Content type of the output (`application/json` or `application/x-ndjson`).
    pub fn content_type(&self) -> &'static str {
        self.core.config.content_type()
    }

    /// Consumes the next chunk of the document, appending any finished output to `out`.
    ///
    /// Pipelined ([`Self::set_pipelined`]), output appears a few chunks later, and an error
    /// in one chunk may be returned by a later call or by [`Self::finish`]; it is the same
    /// error, at the same position, as without the pipeline.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.guard()?;
        self.start_pipe();
        let r = if self.pipe.is_some() {
            chunk
                .chunks(MAX_PIECE)
                .try_for_each(|piece| self.step(piece, false, out))
        } else {
            self.step(chunk, false, out)
        };
        self.settle(r)
    }

    /// Ends the document: parses what is left and checks it was complete.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.guard()?;
        self.start_pipe();
        let r = self
            .step(&[], true, out)
            .and_then(|()| match &mut self.pipe {
                Some(pipe) => pipe.finish(self.core.pos, out),
                None => self.core.check_complete(),
            });
        let r = self.settle(r);
        if r.is_ok() {
            self.run = Run::Finished;
        }
        r
    }

    /// The worker thread takes the converter's state at the first call, once the sink
    /// is set.
    fn start_pipe(&mut self) {
        if self.pipelined && self.pipe.is_none() {
            self.pipelined = false;
            let fresh = Core::new(self.core.config.clone());
            let core = std::mem::replace(&mut self.core, fresh);
            match Pipe::start(core) {
                Ok(pipe) => self.pipe = Some(pipe),
                // No thread to be had: convert on this one.
                Err(core) => self.core = *core,
            }
        }
    }

    /// Marks the converter failed on an error; pipelined, the worker's error wins (it is
    /// from earlier in the document).
    fn settle(&mut self, r: Result<()>) -> Result<()> {
        let Err(e) = r else {
            return Ok(());
        };
        self.run = Run::Failed;
        Err(match &mut self.pipe {
            Some(pipe) => pipe.stop(e),
            None => e,
        })
    }

    fn guard(&self) -> Result<()> {
        match self.run {
            Run::Active => Ok(()),
            Run::Failed => Err(Error::Internal("converter used after an error")),
            Run::Finished => Err(Error::Internal("converter used after finish")),
        }
    }

    fn step(&mut self, mut chunk: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
        if !last && self.decoder.is_passthrough() {
            if !self.buf.is_empty() && self.buf.len() <= BRIDGE && chunk.len() > 2 * BRIDGE {
                // A token cut by the previous chunk's end: complete it with the start of this
                // chunk only, instead of copying the whole chunk behind it.
                let tail = self.buf.len();
                self.buf.extend_from_slice(&chunk[..BRIDGE]);
                let buf = std::mem::take(&mut self.buf);
                let avail = safe_end(&buf);
                let result = self.parse(&buf, avail, false, out);
                self.buf = buf;
                let consumed = result?;
                if consumed < tail {
                    // Still cut: as if the chunk had come in two pieces.
                    self.buf.drain(..consumed);
                    return self.step_buffered(&chunk[BRIDGE..], last, out);
                }
                self.buf.clear();
                chunk = &chunk[consumed - tail..];
            }
            if self.buf.is_empty() {
                // Common case: parse straight from the caller's chunk, keep only the tail.
                let avail = safe_end(chunk);
                let consumed = self.parse(chunk, avail, false, out)?;
                self.buf.extend_from_slice(&chunk[consumed..]);
                return self.check_tail();
            }
        }
        self.step_buffered(chunk, last, out)
    }

    /// Appends the decoded chunk to the buffer and parses the buffer (unless only a
    /// little was added to an incomplete token).
    fn step_buffered(&mut self, chunk: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
        self.decoder.push(chunk, last, &mut self.buf)?;
        if !last && self.buf.len() < self.next_parse_at {
            return self.check_tail();
        }
        let avail = if last {
            self.buf.len()
        } else {
            safe_end(&self.buf)
        };
        let buf = std::mem::take(&mut self.buf);
        let result = self.parse(&buf, avail, last, out);
        self.buf = buf;
        let consumed = result?;
        self.buf.drain(..consumed);
        self.check_tail()
    }

    /// Parses `data[..avail]`, updates positions and the re-parse threshold; returns how
    /// many bytes of `data` were consumed.
    fn parse(&mut self, data: &[u8], avail: usize, last: bool, out: &mut Vec<u8>) -> Result<usize> {
        let (consumed, incomplete) = match &mut self.pipe {
            Some(pipe) => pipe.parse(&self.core, &data[..avail], last, out)?,
            None => {
                let before = out.len();
                let parsed = self.core.parse_segment(&data[..avail], last, out);
                self.core.count_output(before, out);
                let parsed = parsed?;
                self.core.check_output()?;
                parsed
            }
        };
        self.core.pos = self.core.pos.after(&data[..consumed]);
        let rest = data.len() - consumed;
        self.next_parse_at = if incomplete {
            rest.saturating_mul(2).max(rest + 1)
        } else {
            0
        };
        Ok(consumed)
    }

    fn check_tail(&self) -> Result<()> {
        let max = self.core.config.max_text_bytes;
        if self.buf.len() as u64 > max.saturating_add(TAIL_SLACK) {
            return Err(self.core.limit("max_text_bytes", max, None));
        }
        Ok(())
    }
}

/// End of the part of `buf` that can be parsed now: holds back an incomplete UTF-8
/// sequence and a trailing `\r` (it may start a `\r\n` pair).
fn safe_end(buf: &[u8]) -> usize {
    let mut end = buf.len();
    let tail_start = end.saturating_sub(4);
    if let Some(lead) = (tail_start..end).rev().find(|&i| buf[i] & 0xC0 != 0x80) {
        let need = match buf[lead] {
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            b if b >= 0xC0 => 2,
            _ => 1,
        };
        if lead + need > end {
            end = lead;
        }
    }
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

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

fn contains_cdata_end(s: &[u8]) -> bool {
    memchr::memchr_iter(b'>', s).any(|i| i >= 2 && s[i - 2] == b']' && s[i - 1] == b']')
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// Whether two hashes are equal (sorts `hashes` when there are many).
fn has_duplicates(hashes: &mut [u64]) -> bool {
    if hashes.len() <= 16 {
        return hashes
            .iter()
            .enumerate()
            .any(|(i, h)| hashes[i + 1..].contains(h));
    }
    hashes.sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

/// Exact duplicate check by name, for the rare hash collision.
fn exact_duplicates(e: &BytesStart<'_>) -> bool {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    let mut names: Vec<&str> = attributes
        .filter_map(|a| a.ok().map(|a| a.key.into_inner()))
        .collect();
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}

fn is_xml_space(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
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
    loop {
        let mut ev_start = base + reader.buffer_position() as usize;
        // Whitespace that would be dropped anyway is skipped by the reader itself
        // (no text event, no UTF-8 check). A markup event then starts after it.
        let trim = sink.trims_leading_space();
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
                let at = base + reader.error_position() as usize;
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
        sink.event(event, ev_start).map_err(|p| (p, ev_start))?;
    }
}

/// The converter's own state as the receiver of events (inline, not pipelined).
struct Handling<'a> {
    core: &'a mut Core,
    out: &'a mut Vec<u8>,
}

impl Events for Handling<'_> {
    #[inline]
    fn trims_leading_space(&self) -> bool {
        self.core.trims_leading_space()
    }

    /// The reader only skips whitespace that is dropped anyway: all that is left to do is
    /// what dropping it does.
    #[inline]
    fn space(&mut self, _start: usize, _end: usize) -> Result<(), Problem> {
        self.core.text_tail.clear();
        Ok(())
    }

    fn bom(&mut self) -> Result<(), Problem> {
        self.core.text("\u{FEFF}", false, self.out)
    }

    #[inline]
    fn event(&mut self, event: Event<'_>, ev_start: usize) -> Result<(), Problem> {
        self.core.handle(event, ev_start, self.out)
    }
}

impl Core {
    fn new(config: Config) -> Core {
        let sink = if config.ordered {
            Sink::Ordered(OrderedWriter::new(&config))
        } else {
            Sink::Tree(Box::new(TreeBuilder::new(&config)))
        };
        Core {
            record_depth: config.item_depth.max(1),
            config,
            doc: Doc::Before,
            version: XmlVersion::Implicit1_0,
            external_dtd: false,
            seen_doctype: false,
            depth: 0,
            names: String::new(),
            name_ends: Vec::new(),
            decl_counts: Vec::new(),
            decls_in_scope: 0,
            ns: Namespaces::default(),
            attrs: Attrs::default(),
            name_buf: String::new(),
            expanded: Vec::new(),
            attr_hashes: Vec::new(),
            known_attrs: HashMap::default(),
            known_attr_bytes: 0,
            text_tail: Vec::new(),
            sink,
            out_total: 0,
            pos: Position::default(),
        }
    }

    /// Handles a batch of a pipelined converter (see `crate::pipeline`).
    pub(crate) fn run_batch(&mut self, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
        self.pos = batch.pos;
        let before = out.len();
        let data = batch.text.as_bytes();
        let mut result = Ok(());
        for t in &batch.tokens {
            if t.is_space() && self.drops_space() {
                // What `handle` does with whitespace it drops, without rebuilding the event.
                self.text_tail.clear();
                continue;
            }
            let r = if let Some(tag) = t.tag(&batch.text) {
                // What `handle` does with a tag.
                self.text_tail.clear();
                match tag {
                    Tag::Start(e, empty) => self
                        .start(&e, empty, out)
                        .and_then(|()| if empty { self.end(None, out) } else { Ok(()) }),
                    Tag::End(e) => self.end(Some(e.name().as_ref()), out),
                }
            } else if t.is_bom() {
                self.text("\u{FEFF}", false, out)
            } else {
                match t.event(&batch.text) {
                    Some(event) => Handling { core: self, out }.event(event, t.ev_start()),
                    None => Err(Problem::Internal("an event outside its batch")),
                }
            };
            if let Err(p) = r {
                result = Err(self.to_error(p, self.position_in(data, t.ev_start())));
                break;
            }
        }
        self.count_output(before, out);
        result?;
        self.check_output()
    }

    pub(crate) fn position_in(&self, data: &[u8], at: usize) -> Position {
        self.pos.after(data.get(..at).unwrap_or(data))
    }

    fn limit(&self, limit: &'static str, max: u64, at: Option<Position>) -> Error {
        let p = at.unwrap_or(self.pos);
        Error::LimitExceeded {
            limit,
            max,
            line: p.line,
            column: p.column,
        }
    }

    pub(crate) fn to_error(&self, problem: Problem, p: Position) -> Error {
        match problem {
            Problem::Malformed(message) => Error::Malformed {
                line: p.line,
                column: p.column,
                message,
            },
            Problem::Sink => Error::Internal("output sink failed"),
            Problem::Internal(message) => Error::Internal(message),
            Problem::Entities => Error::EntitiesForbidden {
                line: p.line,
                column: p.column,
            },
            Problem::Limit(key) => {
                let c = &self.config;
                let max = match key {
                    "max_depth" => u64::from(c.max_depth),
                    "max_attributes" => u64::from(c.max_attributes),
                    "max_namespace_declarations" => u64::from(c.max_namespace_declarations),
                    "max_text_bytes" => c.max_text_bytes,
                    _ => c.max_output_bytes,
                };
                self.limit(key, max, Some(p))
            }
        }
    }

    /// Adds the output of the last segment (in `out` after `before`, or handed to a sink)
    /// to the total.
    pub(crate) fn count_output(&mut self, before: usize, out: &[u8]) {
        // Output handed to a sink left `out` (with what `out` held before).
        let sent = match &mut self.sink {
            Sink::Tree(b) => b.take_sent(),
            Sink::Ordered(_) => 0,
        };
        self.out_total += (sent + out.len() as u64).saturating_sub(before as u64);
    }

    /// Pipelined: hands the output of a batch to the sink if there is one, so that the
    /// sink receives all output in order; returns whether it did.
    pub(crate) fn hand_over(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        match &mut self.sink {
            Sink::Tree(b) => b
                .hand_over(out)
                .map_err(|_| Error::Internal("output sink failed")),
            Sink::Ordered(_) => Ok(false),
        }
    }

    pub(crate) fn check_output(&self) -> Result<()> {
        if self.out_total > self.config.max_output_bytes {
            return Err(self.limit("max_output_bytes", self.config.max_output_bytes, None));
        }
        Ok(())
    }

    pub(crate) fn check_complete(&self) -> Result<()> {
        let message = match self.doc {
            Doc::After => return Ok(()),
            Doc::Before => "no element found",
            Doc::Inside => "unclosed element (document truncated?)",
        };
        Err(self.to_error(Problem::Malformed(message), self.pos))
    }

    /// Parses `data`; returns how many bytes were used and whether it stopped at an
    /// incomplete token.
    fn parse_segment(
        &mut self,
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(usize, bool)> {
        read_segment(&mut Handling { core: self, out }, data, last)
            .map_err(|(p, at)| self.to_error(p, self.position_in(data, at)))
    }

    /// `]]>` may not appear in text, also when split over events (chunk boundaries).
    fn check_cdata_end(&mut self, raw: &[u8]) -> Result<(), Problem> {
        let mut head = [0u8; 4];
        let n = self.text_tail.len().min(2);
        head[..n].copy_from_slice(&self.text_tail[..n]);
        let m = raw.len().min(2);
        head[n..n + m].copy_from_slice(&raw[..m]);
        if contains_cdata_end(raw) || contains_cdata_end(&head[..n + m]) {
            return Err(Problem::Malformed("`]]>` in text"));
        }
        let keep = raw.len().min(2);
        if keep == 0 {
            return Ok(());
        }
        if keep == 2 || self.text_tail.len() == 2 {
            self.text_tail.drain(..keep.min(self.text_tail.len()));
        }
        self.text_tail.extend_from_slice(&raw[raw.len() - keep..]);
        Ok(())
    }

    fn handle(
        &mut self,
        event: Event<'_>,
        ev_start: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Problem> {
        if !matches!(event, Event::Text(_)) {
            self.text_tail.clear();
        }
        match event {
            Event::Start(e) => self.start(&e, false, out),
            Event::Empty(e) => {
                self.start(&e, true, out)?;
                self.end(None, out)
            }
            Event::End(e) => self.end(Some(e.name().as_ref()), out),
            Event::Text(t) => {
                if self.skips_space(&t) {
                    // Whitespace cannot be part of a `]]>` split over events.
                    self.text_tail.clear();
                    return Ok(());
                }
                self.check_cdata_end(t.as_bytes())?;
                let content = t.xml_content(self.version);
                self.text(&content, false, out)
            }
            Event::CData(c) => {
                let content = c.xml_content(self.version);
                self.text(&content, true, out)
            }
            Event::GeneralRef(r) => {
                if r.is_char_ref() {
                    let c = r
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .filter(|&c| is_xml_char(c))
                        .ok_or(Problem::Malformed("reference to invalid character"))?;
                    let mut tmp = [0u8; 4];
                    self.text(c.encode_utf8(&mut tmp), true, out)
                } else if let Some(s) = resolve_predefined_entity(&r) {
                    self.text(s, true, out)
                } else if self.external_dtd && self.doc == Doc::Inside {
                    // expat skips undefined entities when an unread external DTD could define them.
                    Ok(())
                } else {
                    Err(Problem::Malformed("undefined entity"))
                }
            }
            Event::Decl(d) => {
                if self.pos.offset + ev_start as u64 != 0 {
                    return Err(Problem::Malformed(
                        "XML declaration not at start of document",
                    ));
                }
                if let Ok(XmlVersion::Explicit1_1) = d.xml_version() {
                    self.version = XmlVersion::Explicit1_1;
                }
                Ok(())
            }
            Event::DocType(d) => self.doctype(&d),
            Event::Comment(_) | Event::PI(_) | Event::Eof => Ok(()),
        }
    }

    fn doctype(&mut self, content: &str) -> Result<(), Problem> {
        if self.doc != Doc::Before || self.seen_doctype {
            return Err(Problem::Malformed("DOCTYPE not allowed here"));
        }
        self.seen_doctype = true;
        // Like xmltodict 1.0 (disable_entities=True): any entity declaration is refused,
        // so nothing is ever expanded or fetched.
        if memchr::memmem::find(content.as_bytes(), b"<!ENTITY").is_some() {
            return Err(Problem::Entities);
        }
        let rest = content.trim_start();
        let after_name = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '[')
            .map_or("", |i| &rest[i..]);
        let after_name = after_name.trim_start();
        self.external_dtd = after_name.starts_with("PUBLIC") || after_name.starts_with("SYSTEM");
        Ok(())
    }

    /// Whether leading whitespace of text read now would be dropped anyway: outside the
    /// root, outside records, or leading an element's stripped text (as [`Self::skips_space`]).
    /// Not in the prolog, so that the XML declaration's position check stays exact.
    #[inline]
    fn trims_leading_space(&self) -> bool {
        match self.doc {
            Doc::Before => return false,
            Doc::After => return true,
            Doc::Inside => {}
        }
        if self.depth < self.record_depth {
            return true;
        }
        match &self.sink {
            Sink::Tree(b) => b.drops_leading_space(),
            Sink::Ordered(_) => false,
        }
    }

    /// Whether `raw` (a text event) is whitespace that [`Self::text`] would drop anyway:
    /// outside the root, outside records, or leading an element's stripped text. Most
    /// text events of indented documents are such, and this skips their normalisation.
    fn skips_space(&self, raw: &str) -> bool {
        !raw.is_empty() && is_xml_space(raw) && self.drops_space()
    }

    /// Whether whitespace read now would be dropped: [`Self::skips_space`] for text
    /// known to be whitespace.
    #[inline]
    fn drops_space(&self) -> bool {
        if self.doc != Doc::Inside || self.depth < self.record_depth {
            return true;
        }
        match &self.sink {
            Sink::Tree(b) => b.drops_leading_space(),
            Sink::Ordered(_) => false,
        }
    }

    fn text(&mut self, s: &str, markup: bool, out: &mut Vec<u8>) -> Result<(), Problem> {
        if self.doc != Doc::Inside {
            if markup || !is_xml_space(s) {
                return Err(Problem::Malformed(if self.doc == Doc::After {
                    "junk after document element"
                } else {
                    "text before the root element"
                }));
            }
            return Ok(());
        }
        if self.depth < self.record_depth {
            return Ok(());
        }
        match &mut self.sink {
            Sink::Tree(b) => b.text(s)?,
            Sink::Ordered(w) => {
                w.text(s)?;
                let _ = out;
            }
        }
        Ok(())
    }

    /// A start tag; `empty` for `<x/>` (then [`Self::end`] follows with no name to match,
    /// so the name is not kept for end-tag matching).
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, out: &mut Vec<u8>) -> Result<(), Problem> {
        match self.doc {
            Doc::After => return Err(Problem::Malformed("junk after document element")),
            Doc::Before => self.doc = Doc::Inside,
            Doc::Inside => {}
        }
        self.depth += 1;
        if self.depth > self.config.max_depth {
            return Err(Problem::Limit("max_depth"));
        }
        let qname = e.name();
        let raw_name: &str = qname.as_ref();
        if !empty {
            self.names.push_str(raw_name);
            self.name_ends.push(self.names.len());
        }

        let ns_mode = self.config.process_namespaces;
        let in_record = self.depth >= self.record_depth;
        let external = self.external_dtd;
        // The tree builder remembers names it has seen (validated) before: on its cache
        // hits the name and duplicate checks below can be skipped.
        let cached = in_record && !ns_mode && matches!(self.sink, Sink::Tree(_));
        // Without namespace processing attributes stream straight into the output builder;
        // with it, names can only be resolved once all declarations of the tag are known.
        let mut name_known = false;
        let mut known_list = None;
        if in_record && !ns_mode {
            match &mut self.sink {
                Sink::Tree(b) => name_known = b.open(raw_name)?,
                Sink::Ordered(w) => {
                    w.open(raw_name, out)?;
                    known_list = self.known_attrs.get(raw_name);
                    name_known = known_list.is_some();
                }
            }
        }
        if !name_known && !is_valid_name(raw_name) {
            return Err(Problem::Malformed("invalid element name"));
        }
        let attributes_raw = e.attributes_raw();
        // The fast path takes only tags without `<` (it is unclean in values and cannot
        // match a cached name), so the check below still sees every `<`.
        if cached
            && let Sink::Tree(b) = &mut self.sink
            && b.attrs_fast(
                attributes_raw,
                self.version,
                self.external_dtd,
                self.config.max_text_bytes,
            )
        {
            b.attrs_done()?;
            self.decl_counts.push(0);
            return Ok(());
        }
        let mut all_known = true;
        self.attrs.clear();
        self.attr_hashes.clear();
        let mut decls: u32 = 0;
        let mut prefixed = false;
        // `<` may not appear anywhere in a tag, attribute values included. It makes a
        // value unclean, and anywhere else the scan or the name checks fail; so it is looked
        // for only in unclean values and, to report it first as before, on every error.
        let looped = (|| -> Result<(), Problem> {
            let mut attributes = AttrScanner::new(attributes_raw, self.version);
            let mut index = 0usize;
            while let Some(attr) = attributes
                .next_attr()
                .map_err(|_| Problem::Malformed("invalid attribute"))?
            {
                if index as u64 >= u64::from(self.config.max_attributes) {
                    return Err(Problem::Limit("max_attributes"));
                }
                let this = index;
                index += 1;
                let key: &str = attr.key;
                if !cached {
                    let known = known_list
                        .and_then(|l| l.get(this))
                        .is_some_and(|k| **k == *key);
                    all_known &= known;
                    if !known && !is_valid_name(key) {
                        return Err(Problem::Malformed("invalid attribute name"));
                    }
                    self.attr_hashes.push(hash_str(key));
                }
                if !attr.clean && memchr::memchr(b'<', attr.raw.as_bytes()).is_some() {
                    return Err(LT_IN_TAG);
                }
                let value = attr
                    .value(self.version, ENTITY_DEPTH, |name| {
                        resolve_predefined_entity(name).or(if external { Some("") } else { None })
                    })
                    .map_err(|_| {
                        Problem::Malformed(
                            "undefined entity or invalid reference in attribute value",
                        )
                    })?;
                if value.len() as u64 > self.config.max_text_bytes {
                    return Err(Problem::Limit("max_text_bytes"));
                }
                let decl_prefix = if key == "xmlns" {
                    Some("")
                } else {
                    key.strip_prefix("xmlns:")
                };
                if decl_prefix.is_some() {
                    decls += 1;
                }
                if !ns_mode {
                    if in_record {
                        match &mut self.sink {
                            Sink::Tree(b) => {
                                let known = b.attr(this, key, &value, attr.clean)?;
                                if !known && !is_valid_name(key) {
                                    return Err(Problem::Malformed("invalid attribute name"));
                                }
                                all_known &= known;
                            }
                            // Not cached: the name was validated above.
                            Sink::Ordered(w) => w.plain_attr(key, &value, attr.clean, out)?,
                        }
                    }
                    continue;
                }
                match decl_prefix {
                    Some(prefix) => {
                        if value.is_empty() && !prefix.is_empty() {
                            return Err(Problem::Malformed("cannot undeclare a namespace prefix"));
                        }
                        let uri = if value.is_empty() {
                            None
                        } else {
                            Some(&*value)
                        };
                        self.ns.bind(prefix, uri);
                        self.attrs.push_decl(prefix, uri);
                    }
                    None => {
                        prefixed |= key.contains(':');
                        self.attrs.push(key, &value);
                    }
                }
            }
            Ok(())
        })();
        if let Err(p) = looped {
            if memchr::memchr(b'<', attributes_raw.as_bytes()).is_some() {
                return Err(LT_IN_TAG);
            }
            return Err(p);
        }
        // All names known: they are a prefix of a list already checked for duplicates.
        let duplicates = if cached {
            !all_known && exact_duplicates(e)
        } else if known_list.is_some() && all_known {
            false
        } else {
            has_duplicates(&mut self.attr_hashes) && exact_duplicates(e)
        };
        if duplicates {
            return Err(Problem::Malformed("duplicate attribute"));
        }
        if in_record
            && !ns_mode
            && !(known_list.is_some() && all_known)
            && let Sink::Ordered(_) = self.sink
        {
            self.remember_attributes(raw_name, attributes_raw);
        }
        self.decl_counts.push(decls);
        self.decls_in_scope += u64::from(decls);
        if self.decls_in_scope > u64::from(self.config.max_namespace_declarations) {
            return Err(Problem::Limit("max_namespace_declarations"));
        }
        if !ns_mode {
            if in_record {
                match &mut self.sink {
                    Sink::Tree(b) => b.attrs_done()?,
                    Sink::Ordered(w) => w.open_done(out),
                }
            }
            return Ok(());
        }
        self.ns
            .expand(raw_name, false, &self.config.namespaces, &mut self.name_buf)?;
        if prefixed {
            self.expand_attribute_names()?;
        }
        if in_record {
            match &mut self.sink {
                Sink::Tree(b) => b.start(&self.name_buf, &self.attrs)?,
                Sink::Ordered(w) => w.start(&self.name_buf, &self.attrs, out)?,
            }
        }
        Ok(())
    }

    /// `ordered` mode: remembers the (valid, distinct) attribute names of a tag.
    fn remember_attributes(&mut self, element: &str, attributes_raw: &str) {
        let mut names = Vec::new();
        let mut bytes = element.len() + 64;
        let mut scanner = AttrScanner::new(attributes_raw, self.version);
        while let Ok(Some(attr)) = scanner.next_attr() {
            bytes += attr.key.len() + 16;
            names.push(Box::from(attr.key));
        }
        if bytes > KNOWN_ATTR_BYTES / 16 {
            return;
        }
        if self.known_attr_bytes + bytes > KNOWN_ATTR_BYTES {
            self.known_attrs.clear();
            self.known_attr_bytes = 0;
        }
        self.known_attr_bytes += bytes;
        // A replaced list's bytes stay counted until the next clear (an upper bound).
        self.known_attrs.insert(Box::from(element), names);
    }

    /// Resolves prefixed attribute names; two names resolving alike are an error (expat).
    fn expand_attribute_names(&mut self) -> Result<(), Problem> {
        self.expanded.clear();
        let mut name = String::new();
        for i in 0..self.attrs.len() {
            self.ns
                .expand(self.attrs.name(i), true, &self.config.namespaces, &mut name)?;
            if self.expanded.contains(&name) {
                return Err(Problem::Malformed("duplicate attribute"));
            }
            self.expanded.push(name.clone());
        }
        for i in 0..self.expanded.len() {
            let n = std::mem::take(&mut self.expanded[i]);
            self.attrs.rename(i, &n);
        }
        Ok(())
    }

    fn end(&mut self, end_name: Option<&str>, out: &mut Vec<u8>) -> Result<(), Problem> {
        if self.depth == 0 {
            return Err(Problem::Malformed("end tag without matching start tag"));
        }
        if let Some(n) = end_name {
            let stop = self.name_ends.pop().unwrap_or(0);
            let begin = self.name_ends.last().copied().unwrap_or(0);
            if self.names.get(begin..stop) != Some(n) {
                return Err(Problem::Malformed("mismatched end tag"));
            }
            self.names.truncate(begin);
        }
        let decls = self.decl_counts.pop().unwrap_or(0);
        self.decls_in_scope -= u64::from(decls);
        if self.config.process_namespaces {
            self.ns.unbind(decls as usize);
        }
        if self.depth >= self.record_depth {
            let budget = self.config.max_output_bytes.saturating_sub(self.out_total);
            match &mut self.sink {
                Sink::Tree(b) => {
                    if let Some(done) = b.end()? {
                        b.write_record(done, self.config.item_depth == 0, out, budget)?;
                        b.reset();
                    }
                }
                Sink::Ordered(w) => {
                    w.end(out)?;
                }
            }
        }
        self.depth -= 1;
        if self.depth == 0 {
            self.doc = Doc::After;
        }
        Ok(())
    }
}

/// Converts a whole document held in memory.
pub fn convert(input: &[u8], config: &Config) -> Result<Vec<u8>> {
    let mut conv = Converter::new(config.clone())?;
    let mut out = Vec::with_capacity(input.len() + input.len() / 4);
    conv.feed(input, &mut out)?;
    conv.finish(&mut out)?;
    Ok(out)
}
