//! Two-thread conversion: quick-xml reads on the caller's thread, a worker thread builds
//! the JSON.
//!
//! Reading (finding the events, UTF-8 checks, line counting) is about half of a
//! conversion and the JSON side the other half, so on a machine with a free second core a
//! document converts in a quarter to a third less time (README: figures), for 10–20 % more
//! CPU time in all. The caller's thread turns each parsed
//! segment into a [`Batch`]: the segment's text (owned, already known to be UTF-8) and
//! one small [`Tok`] per event, holding offsets only. The worker rebuilds each event from
//! its offsets (no copying, no second UTF-8 check) and hands it to the same handling as
//! the one-thread converter (tags straight to its start and end handlers, the rest through
//! its event handler), so both produce the same bytes and the same errors.
//!
//! Ordering: batches form a bounded queue (memory stays bounded when the worker is
//! slower); the worker handles them in order, so an error it finds in an earlier batch
//! wins over a reading error found later, exactly as on one thread. The difference a
//! caller sees is timing: output appears up to a few chunks later and an error in one
//! chunk may be reported by a later `feed` or by `finish`.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesRef, BytesStart, BytesText, Event};

use crate::error::{Error, Result};
use crate::handler::Core;
use crate::position::Position;
use crate::problem::Problem;
use crate::segment::{Events, read_segment};

/// Whether the machine offers a second core to a pipelined converter.
pub fn second_core_available() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Objects smaller than this convert on one thread: starting the worker, handing batches
/// over and the buffers in flight cost more than the second core saves. On OSM extracts the
/// two break even at 2–3 MB and two threads take 13–17 % off the wall time from 4 MB
/// (bench/runs/2026-12-06-intel-xeon-vm.md, session 14).
pub const PIPELINE_MIN_BYTES: u64 = 4 << 20;

/// Whether an object of `len` bytes (unknown: `None`) is big enough for a pipelined
/// converter ([`PIPELINE_MIN_BYTES`]); an unknown length may be anything, so it is.
pub fn pipeline_pays_off(len: Option<u64>) -> bool {
    len.is_none_or(|n| n >= PIPELINE_MIN_BYTES)
}

/// Batches in flight between the threads.
const QUEUE: usize = 2;
/// Segments are sent once they add up to this many bytes: each hand-over between the
/// threads may wake one up (a system call, then a scheduling delay). 64–256 KiB measured
/// alike on the 6 MB benchmark; 128 KiB keeps the buffers in flight small.
const BATCH: usize = 128 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    Empty,
    /// Whitespace the reader skipped (a text event of its own for the worker).
    Space,
    End,
    Text,
    CData,
    Ref,
    /// An XML declaration of version 1.1 (`Decl11`) or anything else.
    Decl10,
    Decl11,
    DocType,
    /// A comment or processing instruction: nothing but "not text".
    Other,
    /// A U+FEFF at the start of a segment (text: the decoder removed the real BOM).
    Bom,
}

/// One event of a batch: its kind and offsets in the batch's text (which is shorter than
/// 4 GiB: see [`MAX_PIECE`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    kind: Kind,
    /// Where the event starts (its `<`, or the first byte of text); errors point here.
    ev_start: u32,
    /// The event's content, as quick-xml gave it.
    start: u32,
    end: u32,
    /// Length of the element name (start and empty tags).
    name_len: u32,
}

/// A tag of a batch (see [`Tok::tag`]); `true` for an empty-element tag.
pub(crate) enum Tag<'a> {
    Start(BytesStart<'a>, bool),
    End(BytesEnd<'a>),
}

/// A pipelined converter reads a chunk bigger than this in pieces, so a batch (less than
/// [`BATCH`] of earlier segments, a piece and an unfinished token of at most 256 MiB,
/// `max_text_bytes`) has 32-bit offsets.
pub(crate) const MAX_PIECE: usize = 1 << 30;

impl Tok {
    /// The event again, borrowing its content from `text`.
    pub(crate) fn event<'a>(&self, text: &'a str) -> Option<Event<'a>> {
        let s = text.get(self.start as usize..self.end as usize)?;
        let name_len = self.name_len as usize;
        Some(match self.kind {
            Kind::Start => Event::Start(BytesStart::from_content(s, name_len)),
            Kind::Empty => Event::Empty(BytesStart::from_content(s, name_len)),
            Kind::End => Event::End(BytesEnd::new(s)),
            Kind::Text | Kind::Space => Event::Text(BytesText::from_escaped(s)),
            Kind::CData => Event::CData(BytesCData::new(s)),
            Kind::Ref => Event::GeneralRef(BytesRef::new(s)),
            // The converter only asks a declaration for its version.
            Kind::Decl10 => Event::Decl(BytesDecl::new("1.0", None, None)),
            Kind::Decl11 => Event::Decl(BytesDecl::new("1.1", None, None)),
            Kind::DocType => Event::DocType(BytesText::from_escaped(s)),
            Kind::Other | Kind::Bom => Event::Comment(BytesText::from_escaped("")),
        })
    }

    /// A start, empty or end tag, rebuilt like [`Self::event`] but without the enum the
    /// general handler matches on: tags are most events, and the worker's hot path.
    #[inline]
    pub(crate) fn tag<'a>(&self, text: &'a str) -> Option<Tag<'a>> {
        let s = text.get(self.start as usize..self.end as usize)?;
        let name_len = self.name_len as usize;
        Some(match self.kind {
            Kind::Start => Tag::Start(BytesStart::from_content(s, name_len), false),
            Kind::Empty => Tag::Start(BytesStart::from_content(s, name_len), true),
            Kind::End => Tag::End(BytesEnd::new(s)),
            _ => return None,
        })
    }

    /// Whitespace the reader skipped (never empty, only XML whitespace).
    pub(crate) fn is_space(&self) -> bool {
        self.kind == Kind::Space
    }

    pub(crate) fn is_bom(&self) -> bool {
        self.kind == Kind::Bom
    }

    pub(crate) fn ev_start(&self) -> usize {
        self.ev_start as usize
    }
}

/// One parsed segment for the worker.
pub(crate) struct Batch {
    /// The segment's text up to its last event.
    pub(crate) text: String,
    pub(crate) tokens: Vec<Tok>,
    /// Position of the segment's first byte in the document.
    pub(crate) pos: Position,
}

enum Msg {
    Batch(Batch),
    /// The document is complete (and ends at this position): check it and stop.
    Finish(Position),
}

/// Records a segment's events as offsets into the segment.
struct Tokenizer {
    /// Address of the segment's first byte.
    base: usize,
    /// Length of the segment.
    len: usize,
    /// Where the segment starts in the batch's text.
    shift: usize,
    tokens: Vec<Tok>,
    /// End of the last event's content.
    covered: usize,
}

impl Tokenizer {
    /// Offsets of `content` inside the segment, if it is borrowed from it (quick-xml's
    /// slice reader always borrows).
    fn span(&self, content: &str) -> Option<(usize, usize)> {
        let start = content.as_ptr().addr().checked_sub(self.base)?;
        let end = start.checked_add(content.len())?;
        (end <= self.len).then_some((start, end))
    }

    fn push(&mut self, kind: Kind, ev_start: usize, content: &str, name_len: usize) -> bool {
        let Some((start, end)) = self.span(content) else {
            return false;
        };
        let at = |offset: usize| u32::try_from(offset + self.shift);
        let (Ok(ev_start32), Ok(start), Ok(end32), Ok(name_len)) =
            (at(ev_start), at(start), at(end), u32::try_from(name_len))
        else {
            return false;
        };
        self.covered = self.covered.max(end).max(ev_start);
        self.tokens.push(Tok {
            kind,
            ev_start: ev_start32,
            start,
            end: end32,
            name_len,
        });
        true
    }
}

impl Events for Tokenizer {
    /// Whether whitespace is dropped depends on the worker's state, so it gets all of it,
    /// but as one cheap token per run instead of a text event from the reader.
    #[inline]
    fn trims_leading_space(&self) -> bool {
        true
    }

    #[inline]
    fn space(&mut self, start: usize, end: usize) -> std::result::Result<(), Problem> {
        let at = |offset: usize| u32::try_from(offset + self.shift);
        let (Ok(start), Ok(end32)) = (at(start), at(end)) else {
            return Err(Problem::Internal("a batch over 4 GiB"));
        };
        self.covered = self.covered.max(end);
        self.tokens.push(Tok {
            kind: Kind::Space,
            ev_start: start,
            start,
            end: end32,
            name_len: 0,
        });
        Ok(())
    }

    fn bom(&mut self) -> std::result::Result<(), Problem> {
        let at = u32::try_from(self.shift).map_err(|_| Problem::Internal("a batch over 4 GiB"))?;
        self.tokens.push(Tok {
            kind: Kind::Bom,
            ev_start: at,
            start: at,
            end: at,
            name_len: 0,
        });
        self.covered = self.covered.max(3);
        Ok(())
    }

    #[inline]
    fn event(&mut self, event: Event<'_>, ev_start: usize) -> std::result::Result<(), Problem> {
        let pushed = match &event {
            Event::Start(e) => self.push(Kind::Start, ev_start, e, e.name().as_ref().len()),
            Event::Empty(e) => self.push(Kind::Empty, ev_start, e, e.name().as_ref().len()),
            Event::End(e) => self.push(Kind::End, ev_start, e, 0),
            Event::Text(e) => self.push(Kind::Text, ev_start, e, 0),
            Event::CData(e) => self.push(Kind::CData, ev_start, e, 0),
            Event::GeneralRef(e) => self.push(Kind::Ref, ev_start, e, 0),
            Event::Decl(d) => {
                let kind = match d.xml_version() {
                    Ok(quick_xml::XmlVersion::Explicit1_1) => Kind::Decl11,
                    _ => Kind::Decl10,
                };
                self.push(kind, ev_start, d, 0)
            }
            Event::DocType(e) => self.push(Kind::DocType, ev_start, e, 0),
            Event::Comment(e) => self.push(Kind::Other, ev_start, e, 0),
            Event::PI(e) => self.push(Kind::Other, ev_start, e, 0),
            Event::Eof => true,
        };
        if pushed {
            Ok(())
        } else {
            Err(Problem::Internal("an event outside its segment"))
        }
    }
}

/// The reading side of a pipelined converter: the queue to the worker and its output.
pub(crate) struct Pipe {
    batches: Option<SyncSender<Msg>>,
    output: Receiver<Vec<u8>>,
    /// Buffers of handled batches, reused: fresh ones would cost page faults each time.
    spare: Receiver<Batch>,
    /// Output buffers going back to the worker, for the same reason.
    recycle: mpsc::Sender<Vec<u8>>,
    /// Segments read but not sent yet (see [`BATCH`]).
    pending: Option<Batch>,
    worker: Option<JoinHandle<Result<()>>>,
}

impl Pipe {
    /// Starts the worker, which takes over `core` (all converter state but the reading).
    /// Gives `core` back when no thread can be started (the caller then goes on alone).
    pub(crate) fn start(core: Core) -> std::result::Result<Pipe, Box<Core>> {
        let (batches, inbox) = mpsc::sync_channel::<Msg>(QUEUE);
        let (results, output) = mpsc::channel::<Vec<u8>>();
        let (used, spare) = mpsc::channel::<Batch>();
        let (recycle, fresh) = mpsc::channel::<Vec<u8>>();
        // The state goes over only once the thread runs, so a failed start loses nothing.
        let (hand, take) = mpsc::sync_channel::<Box<Core>>(1);
        let spawned = std::thread::Builder::new()
            .name("xml-to-json".into())
            .spawn(move || match take.recv() {
                Ok(core) => work(*core, &inbox, &results, &used, &fresh),
                Err(_) => Ok(()),
            });
        let Ok(worker) = spawned else {
            return Err(Box::new(core));
        };
        if let Err(mpsc::SendError(core)) = hand.send(Box::new(core)) {
            return Err(core);
        }
        Ok(Pipe {
            batches: Some(batches),
            output,
            spare,
            recycle,
            pending: None,
            worker: Some(worker),
        })
    }

    /// Reads `data` (a segment starting at `reader.pos`) and queues its events; returns
    /// how many bytes were used and whether it stopped at an incomplete token. Output the
    /// worker has produced so far is appended to `out`.
    pub(crate) fn parse(
        &mut self,
        reader: &Core,
        data: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(usize, bool)> {
        let batch = match self.pending.take() {
            Some(batch) => batch,
            None => {
                // Sized for a whole batch at once (mapped, touched only as written), so the
                // few batches in circulation never grow by copying.
                let mut batch = self.spare.try_recv().unwrap_or_else(|_| Batch {
                    text: String::with_capacity(2 * BATCH),
                    tokens: Vec::with_capacity(BATCH / 8),
                    pos: reader.pos,
                });
                batch.text.clear();
                batch.tokens.clear();
                batch.pos = reader.pos;
                batch
            }
        };
        let mut tok = Tokenizer {
            base: data.as_ptr().addr(),
            len: data.len(),
            shift: batch.text.len(),
            tokens: batch.tokens,
            covered: 0,
        };
        let parsed = read_segment(&mut tok, data, last);
        let covered = match parsed {
            Ok((consumed, _)) => consumed,
            Err(_) => tok.covered.min(data.len()),
        };
        let mut batch = Batch {
            text: batch.text,
            tokens: tok.tokens,
            pos: batch.pos,
        };
        // Every event was checked to be UTF-8 and the bytes between them are markup or
        // whitespace, so this holds; checked anyway, without trusting it.
        batch.text.push_str(
            std::str::from_utf8(&data[..covered])
                .map_err(|_| Error::Internal("segment is not UTF-8"))?,
        );
        // Segments follow each other in the document, so batches can take several.
        self.pending = Some(batch);
        if last || parsed.is_err() || self.pending.as_ref().is_some_and(|b| b.text.len() >= BATCH) {
            self.flush()?;
        }
        self.drain(out);
        parsed.map_err(|(p, at)| reader.to_error(p, reader.position_in(data, at)))
    }

    /// Sends the pending batch.
    fn flush(&mut self) -> Result<()> {
        match self.pending.take() {
            Some(batch) => self.send(Msg::Batch(batch)),
            None => Ok(()),
        }
    }

    fn send(&mut self, msg: Msg) -> Result<()> {
        match &self.batches {
            Some(tx) if tx.send(msg).is_ok() => Ok(()),
            // The worker stopped: it has an error, which `stop` returns.
            _ => Err(Error::Internal("conversion thread stopped")),
        }
    }

    /// Appends the output the worker has sent so far.
    fn drain(&self, out: &mut Vec<u8>) {
        while let Ok(piece) = self.output.try_recv() {
            self.append(out, piece);
        }
    }

    /// Appends `piece` to `out` and gives the buffer back to the worker. (Swapping them
    /// would save a copy but let buffers of every size circulate and regrow.)
    fn append(&self, out: &mut Vec<u8>, mut piece: Vec<u8>) {
        out.extend_from_slice(&piece);
        piece.clear();
        // The worker may have finished; then the buffer just drops.
        let _ = self.recycle.send(piece);
    }

    /// Ends the worker after the reading side failed with `error`: the worker's own error
    /// wins (it comes from earlier in the document).
    pub(crate) fn stop(&mut self, error: Error) -> Error {
        // What was read before the error is handled first: its errors come first.
        let _ = self.flush();
        self.batches = None;
        match self.join() {
            Err(e) => e,
            Ok(()) => error,
        }
    }

    /// Ends the document: the worker checks it is complete; all its output goes to `out`.
    pub(crate) fn finish(&mut self, end: Position, out: &mut Vec<u8>) -> Result<()> {
        self.flush()?;
        self.send(Msg::Finish(end))?;
        self.batches = None;
        let result = self.join();
        while let Ok(piece) = self.output.recv() {
            self.append(out, piece);
        }
        result
    }

    fn join(&mut self) -> Result<()> {
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .unwrap_or(Err(Error::Internal("conversion thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // Closing the queue ends the worker; it is not waited for.
        self.batches = None;
    }
}

/// The worker: handles batches in order until the document is finished, the reading
/// side goes away, or an error.
fn work(
    mut core: Core,
    inbox: &Receiver<Msg>,
    results: &mpsc::Sender<Vec<u8>>,
    used: &mpsc::Sender<Batch>,
    fresh: &Receiver<Vec<u8>>,
) -> Result<()> {
    let mut out = Vec::new();
    for msg in inbox {
        match msg {
            Msg::Batch(batch) => {
                run_batch(&mut core, &batch, &mut out)?;
                // The reading side may be gone (it failed); then the buffers just drop.
                let _ = used.send(batch);
                if core.hand_over(&mut out)? || out.is_empty() {
                    continue;
                }
                let next = fresh.try_recv().unwrap_or_default();
                if results.send(std::mem::replace(&mut out, next)).is_err() {
                    return Ok(());
                }
            }
            Msg::Finish(end) => {
                core.pos = end;
                return core.check_complete();
            }
        }
    }
    Ok(())
}

/// Handles a batch on the worker: each token as the one-thread converter handles its
/// event (tags and dropped whitespace without rebuilding an event).
fn run_batch(core: &mut Core, batch: &Batch, out: &mut Vec<u8>) -> Result<()> {
    core.pos = batch.pos;
    let before = out.len();
    let data = batch.text.as_bytes();
    let mut result = Ok(());
    for t in &batch.tokens {
        if t.is_space() && core.drops_space() {
            core.space_skipped();
            continue;
        }
        let r = if let Some(tag) = t.tag(&batch.text) {
            match tag {
                Tag::Start(e, empty) => core.tag_start(&e, empty, out),
                Tag::End(e) => core.tag_end(e.name().as_ref(), out),
            }
        } else if t.is_bom() {
            core.bom(out)
        } else {
            match t.event(&batch.text) {
                Some(event) => core.handle(event, t.ev_start(), out),
                None => Err(Problem::Internal("an event outside its batch")),
            }
        };
        if let Err(p) = r {
            result = Err(core.to_error(p, core.position_in(data, t.ev_start())));
            break;
        }
    }
    core.count_output(before, out);
    result?;
    core.check_output()
}
