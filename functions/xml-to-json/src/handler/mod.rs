//! The converter's state and what each event does to it: document structure (prolog,
//! root, epilog), nesting and end-tag matching, text rules (`]]>`, whitespace that is
//! dropped anyway), DOCTYPE and references. Start tags are in `start.rs` (no namespace
//! processing) and `start_ns.rs` (with it); the output is built by the tree builder
//! (xmltodict mapping) or the JsonML writer (`ordered`).

mod start;
mod start_ns;

use std::collections::HashMap;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::attrs::Attrs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::fxhash::FxBuild;
use crate::ns::Namespaces;
use crate::ordered::OrderedWriter;
use crate::position::Position;
use crate::problem::{Problem, limit_error, to_error};
use crate::segment::{Events, read_segment};
use crate::tree::{OutputSink, TreeBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doc {
    /// Prolog: declaration, DOCTYPE, comments, PIs, whitespace.
    Before,
    /// Inside the root element.
    Inside,
    /// Epilog: only comments, PIs and whitespace may follow.
    After,
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
    /// Bytes of names in `known_attrs`, bounded by `start::KNOWN_ATTR_BYTES`.
    known_attr_bytes: usize,
    /// Last (up to two) bytes of the previous text event, to spot a split `]]>`.
    text_tail: Vec<u8>,
    sink: Sink,
    out_total: u64,
    /// Position of the first byte of the current segment.
    pub(crate) pos: Position,
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
        self.core.space_skipped();
        Ok(())
    }

    fn bom(&mut self) -> Result<(), Problem> {
        self.core.bom(self.out)
    }

    #[inline]
    fn event(&mut self, event: Event<'_>, ev_start: usize) -> Result<(), Problem> {
        self.core.handle(event, ev_start, self.out)
    }
}

impl Core {
    pub(crate) fn new(config: Config) -> Core {
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

    /// Whitespace the reader skipped because it is dropped anyway: it still separates
    /// the text around it (no `]]>` across it).
    #[inline]
    pub(crate) fn space_skipped(&mut self) {
        self.text_tail.clear();
    }

    /// A U+FEFF at the start of a segment (a character: the decoder removed the BOM).
    pub(crate) fn bom(&mut self, out: &mut Vec<u8>) -> Result<(), Problem> {
        self.text("\u{FEFF}", false, out)
    }

    /// A start tag (followed by its end for `<x/>`), as [`Self::handle`] does it.
    #[inline]
    pub(crate) fn tag_start(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Problem> {
        self.text_tail.clear();
        self.start(e, empty, out)?;
        if empty { self.end(None, out) } else { Ok(()) }
    }

    /// An end tag, as [`Self::handle`] does it.
    #[inline]
    pub(crate) fn tag_end(&mut self, name: &str, out: &mut Vec<u8>) -> Result<(), Problem> {
        self.text_tail.clear();
        self.end(Some(name), out)
    }

    pub(crate) fn position_in(&self, data: &[u8], at: usize) -> Position {
        self.pos.after(data.get(..at).unwrap_or(data))
    }

    /// The error for `limit` exceeded at the current segment's start.
    pub(crate) fn limit(&self, limit: &'static str, max: u64) -> Error {
        limit_error(limit, max, self.pos)
    }

    pub(crate) fn to_error(&self, problem: Problem, p: Position) -> Error {
        to_error(problem, p, &self.config)
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// See `Converter::set_expected_len`: only tree mode's arena holds the document (in
    /// `item_depth` mode it holds one record).
    pub(crate) fn expect_len(&mut self, len: Option<u64>) {
        if let (Sink::Tree(b), 0, Some(len)) = (&mut self.sink, self.config.item_depth, len) {
            b.expect_len(len);
        }
    }

    /// Tree mode: write big arrays on two threads (see `Converter::set_pipelined`).
    pub(crate) fn set_split_arrays(&mut self, on: bool) {
        if let Sink::Tree(b) = &mut self.sink {
            b.split_arrays = on;
        }
    }

    /// Tree mode: see `Converter::set_sink`.
    pub(crate) fn set_sink(&mut self, sink: OutputSink) {
        if let Sink::Tree(b) = &mut self.sink {
            b.set_sink(sink);
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
            return Err(self.limit("max_output_bytes", self.config.max_output_bytes));
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
    #[inline]
    pub(crate) fn parse_segment(
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

    pub(crate) fn handle(
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
    pub(crate) fn drops_space(&self) -> bool {
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

fn contains_cdata_end(s: &[u8]) -> bool {
    memchr::memchr_iter(b'>', s).any(|i| i >= 2 && s[i - 2] == b']' && s[i - 1] == b']')
}

fn is_xml_space(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
