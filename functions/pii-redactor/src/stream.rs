//! The streaming redactor: constant memory, identical output for any chunking.
//!
//! Bytes are appended to a window. A candidate is only decided once the window holds
//! [`LOOKAHEAD`] bytes after its start (every shape is shorter than that, and validators look
//! at most that far), and the window keeps [`LOOKBACK`] bytes before the scan position for
//! context keywords. So each decision sees exactly the bytes it would see on the whole object,
//! which is why any chunk split gives the same output.

use std::sync::Arc;
use std::time::Instant;

use crate::config::{MaskMode, Mode, UnsupportedContent};
use crate::engine::{Engine, ScanState};
use crate::error::Error;
use crate::format::Format;
use crate::shapes::{Finding, MAX_MATCH};
use crate::split::{Accept, Done, InFlight, Split};
use crate::structure::{ESC_CONT, ESC_START, FieldNames, NUM, PLAIN, RUN_START, Tokenizer};

/// Bytes after a candidate's start that must be buffered before it is decided.
pub const LOOKAHEAD: usize = 1024;
/// Bytes kept before the scan position for context keywords.
pub const LOOKBACK: usize = 256;
/// Input is processed in slices of this size, whatever the caller's chunk size.
const SLICE: usize = 64 * 1024;
/// On two threads the object is searched in blocks of this size, each in two parts at once
/// (`crate::split`); the window then holds up to twice this much more.
pub const PARALLEL_BLOCK: usize = 512 * 1024;
/// With `unsupported_content: pass`, output is held back until this many bytes proved to be UTF-8.
pub const SNIFF: usize = 64 * 1024;

/// Bytes of output held back so an e-mail's local part (found from its `@`) is not yet emitted.
const HOLD: usize = 64;

const _: () = assert!(MAX_MATCH + 8 <= LOOKAHEAD);
const _: () = assert!(crate::context::WINDOW + HOLD <= LOOKBACK);

/// Per-redactor output options.
#[derive(Debug)]
pub(crate) struct Options {
    pub(crate) mask_mode: MaskMode,
    pub(crate) mask: char,
    pub(crate) mode: Mode,
    pub(crate) unsupported: UnsupportedContent,
    pub(crate) fields: FieldNames,
    pub(crate) labels: Vec<String>,
}

/// Redacts one object pushed as a sequence of chunks.
///
/// Memory is bounded by a few hundred KiB whatever the object size; push any chunk sizes.
#[derive(Debug)]
pub struct StreamRedactor {
    engine: Arc<Engine>,
    opts: Arc<Options>,
    st: ScanState,
    json: bool,
    tok: Option<Tokenizer>,
    buf: Vec<u8>,
    class: Vec<u8>,
    field: Vec<u8>,
    base: u64,
    scan: usize,
    emit: usize,
    utf8_ok: usize,
    sniff: Option<Vec<u8>>,
    passthrough: bool,
    open_quote: bool,
    failed: bool,
    /// The two-thread search, when used.
    split: Option<Split>,
}

impl Drop for StreamRedactor {
    fn drop(&mut self) {
        self.engine.recycle(&mut self.st);
    }
}

impl StreamRedactor {
    /// `threads`: 2 searches on two threads; `prestart`: get the second thread now (the
    /// object is known to be large).
    pub(crate) fn new(
        engine: Arc<Engine>,
        opts: Arc<Options>,
        format: Format,
        threads: usize,
        prestart: bool,
    ) -> StreamRedactor {
        let fields = opts.fields.clone();
        let tok = match format {
            Format::Text => None,
            Format::Json | Format::JsonLines => Some(Tokenizer::json(fields)),
            Format::Csv => Some(Tokenizer::csv(fields, b',')),
            Format::Tsv => Some(Tokenizer::csv(fields, b'\t')),
        };
        let sniff = (opts.unsupported == UnsupportedContent::Pass).then(Vec::new);
        let split = (threads > 1).then(|| {
            let mut sp = Split::new(Arc::clone(&engine), PARALLEL_BLOCK);
            if prestart {
                sp.prepare();
            }
            sp
        });
        StreamRedactor {
            st: engine.scan_state(),
            engine,
            opts,
            json: format.is_json(),
            tok,
            buf: Vec::new(),
            class: Vec::new(),
            field: Vec::new(),
            base: 0,
            scan: 0,
            emit: 0,
            utf8_ok: 0,
            sniff,
            passthrough: false,
            open_quote: false,
            failed: false,
            split,
        }
    }

    /// Feeds the next chunk; appends whatever output is ready to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard(|s| s.push_inner(chunk, out))
    }

    /// Ends the object; appends the remaining output to `out`.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.guard(|s| s.finish_inner(out))
    }

    fn guard(&mut self, f: impl FnOnce(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        if self.failed {
            return Err(Error::Internal("stream used after an error".to_owned()));
        }
        let r = f(self);
        self.failed = r.is_err();
        r
    }

    fn push_inner(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.passthrough {
            out.extend_from_slice(chunk);
            return Ok(());
        }
        if let Some(sniffed) = &mut self.sniff {
            let take = (SNIFF - sniffed.len()).min(chunk.len());
            sniffed.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if sniffed.len() < SNIFF {
                return Ok(());
            }
            self.end_sniff(false, out)?;
            if self.passthrough {
                out.extend_from_slice(chunk);
                return Ok(());
            }
        }
        for piece in chunk.chunks(SLICE) {
            self.process(piece, false, out)?;
        }
        Ok(())
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.sniff.is_some() {
            self.end_sniff(true, out)?;
        }
        if self.passthrough {
            return Ok(());
        }
        self.process(&[], true, out)?;
        if self.open_quote {
            out.push(b'"');
            self.open_quote = false;
        }
        Ok(())
    }

    /// Decides `pass` mode: invalid UTF-8 within the first [`SNIFF`] bytes means binary content,
    /// returned unchanged; otherwise the held bytes go through the redactor.
    fn end_sniff(&mut self, at_end: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        let held = self.sniff.take().unwrap_or_default();
        let binary = match std::str::from_utf8(&held) {
            Ok(_) => false,
            Err(e) => at_end || e.error_len().is_some(),
        };
        if binary {
            self.passthrough = true;
            out.extend_from_slice(&held);
            return Ok(());
        }
        for piece in held.chunks(SLICE) {
            self.process(piece, false, out)?;
        }
        Ok(())
    }

    fn process(&mut self, piece: &[u8], last: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        self.buf.extend_from_slice(piece);
        if let Some(tok) = &mut self.tok {
            tok.feed(piece, &mut self.class, &mut self.field);
        }
        self.check_utf8(last)?;
        match &self.split {
            Some(sp) if sp.usable => {
                // Two threads search whole blocks; until the next one is buffered, nothing
                // is searched.
                let frontier = sp.in_flight.map_or(self.scan, |f| f.end);
                if last || self.buf.len() >= frontier + sp.next_block() + LOOKAHEAD {
                    self.split_step(last, out)?;
                }
            }
            _ => self.scan_and_emit(last, out)?,
        }
        self.drain();
        Ok(())
    }

    fn check_utf8(&mut self, last: bool) -> Result<(), Error> {
        match std::str::from_utf8(&self.buf[self.utf8_ok..]) {
            Ok(_) => self.utf8_ok = self.buf.len(),
            Err(e) if e.error_len().is_none() && !last => self.utf8_ok += e.valid_up_to(),
            Err(e) => {
                let hint = if self.opts.unsupported == UnsupportedContent::Pass {
                    "the object was mostly text, so part of it may already be redacted and it cannot be passed through"
                } else {
                    "set unsupported_content to pass to receive such objects unchanged"
                };
                return Err(Error::NotText {
                    offset: self.base + (self.utf8_ok + e.valid_up_to()) as u64,
                    hint,
                });
            }
        }
        Ok(())
    }

    /// Where the search may go up to: [`LOOKAHEAD`] before the end of what is buffered (the
    /// end at the end of the object), never inside a UTF-8 sequence.
    fn limit(&self, last: bool) -> usize {
        let mut limit = if last {
            self.buf.len()
        } else {
            self.buf.len().saturating_sub(LOOKAHEAD)
        };
        while limit > 0 && limit < self.buf.len() && (self.buf[limit] & 0xC0) == 0x80 {
            limit -= 1;
        }
        limit
    }

    fn accept(&self) -> Accept {
        Accept {
            structured: self.tok.as_ref().map(|_| self.json),
        }
    }

    /// Takes every finding from the scan position up to `limit` (one thread).
    fn search_until(&mut self, limit: usize, out: &mut Vec<u8>) -> Result<(), Error> {
        let accept = self.accept();
        while self.scan < limit {
            let (buf, class, field) = (&self.buf, &self.class, &self.field);
            let found = self.engine.next(&mut self.st, buf, self.scan, limit, |f| {
                accept.apply(f, class, field)
            })?;
            let Some(f) = found else {
                self.scan = limit;
                break;
            };
            self.take(f, out)?;
        }
        Ok(())
    }

    fn scan_and_emit(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        let limit = self.limit(last);
        self.search_until(limit, out)?;
        self.emit_ready(last, out)
    }

    /// Emits what no later decision can change.
    fn emit_ready(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        let target = if last {
            self.buf.len()
        } else {
            self.scan.saturating_sub(HOLD)
        };
        if target > self.emit {
            self.emit_until(target, out)?;
        }
        Ok(())
    }

    /// One block on two threads (`crate::split`): takes the worker's part of the previous
    /// block, hands it the second part of this one, searches the first part here. At the end
    /// of the object, waits for the worker's part at once.
    fn split_step(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), Error> {
        let limit = self.limit(last);
        let accept = self.accept();
        let Some(sp) = self.split.as_mut() else {
            return self.scan_and_emit(last, out);
        };
        let back = match sp.in_flight.take() {
            Some(fl) => Some((fl, sp.receive(fl.q, !last)?)),
            None => None,
        };
        let from = back.as_ref().map_or(self.scan, |(fl, _)| fl.end);
        let next = sp
            .cut(&self.buf, from, limit, last)
            .filter(|q| sp.send(&self.buf, &self.class, &self.field, accept, *q, limit));
        if let Some((fl, done)) = back {
            self.take_part(fl, done, out)?;
        }
        let Some(q) = next else {
            self.search_until(limit, out)?;
            return self.emit_ready(last, out);
        };
        let (started, at) = (Instant::now(), self.scan);
        self.search_until(q, out)?;
        self.split_mut()?
            .searched(q.saturating_sub(at), started.elapsed());
        let fl = InFlight {
            q,
            end: limit,
            valid: self.st.settled(q),
        };
        if last {
            let done = self.split_mut()?.receive(q, false)?;
            self.take_part(fl, done, out)?;
        } else {
            self.split_mut()?.in_flight = Some(fl);
        }
        self.emit_ready(last, out)
    }

    fn split_mut(&mut self) -> Result<&mut Split, Error> {
        self.split
            .as_mut()
            .ok_or_else(|| Error::Internal("two-thread state lost".to_owned()))
    }

    /// Takes the findings of the worker's part `fl` (or, when they are not the sequential
    /// ones, searches the part here again).
    fn take_part(&mut self, fl: InFlight, mut done: Done, out: &mut Vec<u8>) -> Result<(), Error> {
        if fl.valid {
            for f in done.findings()? {
                self.take(f, out)?;
            }
            done.hand_over(&mut self.st);
            self.scan = self.scan.max(fl.end);
        } else {
            self.search_until(fl.end, out)?;
        }
        self.split_mut()?.reuse(done);
        Ok(())
    }

    /// Emits the text before finding `f` and its replacement.
    fn take(&mut self, f: Finding, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.opts.mode == Mode::Deny {
            return Err(Error::ContainsPii {
                entity: f.entity.to_string(),
            });
        }
        // Findings never start before what was already emitted (the e-mail walk-back is
        // bounded by HOLD); clamp anyway so no input can make the window arithmetic panic.
        let f = Finding {
            start: f.start.max(self.emit),
            ..f
        };
        self.emit_until(f.start, out)?;
        self.replace(&f, out);
        self.emit = f.end;
        self.scan = f.end;
        Ok(())
    }

    fn replace(&mut self, f: &Finding, out: &mut Vec<u8>) {
        let wrap = self.json && self.class.get(f.start) == Some(&NUM);
        if wrap {
            out.push(b'"');
        }
        match self.opts.mask_mode {
            MaskMode::Mask => push_mask(out, self.opts.mask, f.end - f.start),
            MaskMode::ReplaceWithType => {
                out.push(b'[');
                out.extend_from_slice(f.entity.name().as_bytes());
                out.push(b']');
            }
        }
        if wrap {
            out.push(b'"');
        }
    }

    /// Copies `emit..target`, redacting whole `redact_fields` values on the way.
    fn emit_until(&mut self, target: usize, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut i = self.emit;
        if self.tok.is_none() || self.opts.fields.is_empty() {
            out.extend_from_slice(&self.buf[i..target]);
            self.emit = target;
            return Ok(());
        }
        while i < target {
            let plain = self.field[i..target]
                .iter()
                .position(|f| *f != 0)
                .unwrap_or(target - i);
            if plain > 0 {
                self.close_quote(out);
                out.extend_from_slice(&self.buf[i..i + plain]);
                i += plain;
                continue;
            }
            if self.opts.mode == Mode::Deny {
                return Err(Error::ContainsPii {
                    entity: "redact_fields".to_owned(),
                });
            }
            let f = self.field[i];
            let start = f & RUN_START != 0;
            if start {
                self.close_quote(out);
            }
            let replace = self.opts.mask_mode == MaskMode::ReplaceWithType;
            let label = self
                .opts
                .labels
                .get(usize::from(f & !RUN_START))
                .map_or("[REDACTED]", String::as_str);
            let b = self.buf[i];
            if self.class[i] == NUM {
                if start {
                    out.push(b'"');
                    self.open_quote = true;
                    if replace {
                        out.extend_from_slice(label.as_bytes());
                    }
                }
                if !replace {
                    push_mask(out, self.opts.mask, 1);
                }
            } else if replace {
                if start {
                    out.extend_from_slice(label.as_bytes());
                }
            } else {
                match self.class[i] {
                    ESC_CONT => {}
                    ESC_START => push_mask(out, self.opts.mask, 1),
                    _ if b == b'\n' || b == b'\r' => out.push(b),
                    _ if (b & 0xC0) == 0x80 => {}
                    _ => push_mask(out, self.opts.mask, 1),
                }
            }
            i += 1;
        }
        self.emit = target;
        Ok(())
    }

    fn close_quote(&mut self, out: &mut Vec<u8>) {
        if self.open_quote {
            out.push(b'"');
            self.open_quote = false;
        }
    }

    fn drain(&mut self) {
        let keep_from = self.emit.min(self.scan.saturating_sub(LOOKBACK));
        if keep_from == 0 {
            return;
        }
        self.buf.drain(..keep_from);
        if self.tok.is_some() {
            self.class.drain(..keep_from);
            self.field.drain(..keep_from);
        }
        self.st.shift(keep_from);
        if let Some(fl) = self.split.as_mut().and_then(|sp| sp.in_flight.as_mut()) {
            fl.shift(keep_from);
        }
        self.base += keep_from as u64;
        self.scan -= keep_from;
        self.emit -= keep_from;
        self.utf8_ok -= keep_from;
    }
}

/// Adjusts a finding to the document structure, or rejects it: matches must lie inside one
/// string / cell and outside redacted fields; a JSON number must be matched whole.
pub(crate) fn fit(f: &Finding, class: &[u8], field: &[u8], json: bool) -> Option<Finding> {
    let mut s = f.start;
    let e = f.end;
    while s < e && matches!(class[s], ESC_START | ESC_CONT) {
        s += 1;
    }
    if s >= e || field[s..e].iter().any(|x| *x != 0) {
        return None;
    }
    let c = class[s];
    if !class[s..e].iter().all(|x| *x == c) {
        return None;
    }
    let ok = match c {
        PLAIN => true,
        NUM => json && (s == 0 || class[s - 1] != NUM) && class.get(e) != Some(&NUM),
        _ => false,
    };
    ok.then_some(Finding {
        entity: f.entity,
        start: s,
        end: e,
    })
}

fn push_mask(out: &mut Vec<u8>, mask: char, n: usize) {
    let mut tmp = [0u8; 4];
    let m = mask.encode_utf8(&mut tmp).as_bytes();
    if m.len() == 1 {
        out.resize(out.len() + n, m[0]);
    } else {
        for _ in 0..n {
            out.extend_from_slice(m);
        }
    }
}
