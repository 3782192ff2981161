//! The push-style converter: feed chunks, collect output, finish.
//!
//! quick-xml's reader pulls from a complete buffer, so each `feed` parses what has arrived
//! with a fresh reader and keeps the unfinished tail (a tag, comment, reference... cut by
//! the chunk boundary) for the next call. A tail is only re-parsed once the buffer has
//! doubled, so a huge token fed in tiny chunks costs linear, not quadratic, time; its size
//! is capped by `max_text_bytes`. Element nesting, end-tag matching and namespaces are
//! tracked by the event handler (`crate::handler`), not by quick-xml, so they survive the
//! reader being replaced; `crate::segment` runs one reader over one parsed segment.

use crate::config::Config;
use crate::decode::InputDecoder;
use crate::error::{Error, Result};
use crate::handler::Core;
use crate::pipeline::{MAX_PIECE, Pipe};
use crate::tree::OutputSink;
/// A cut token of at most this many bytes is completed from the next chunk's first
/// `BRIDGE` bytes, the rest of that chunk is parsed in place.
const BRIDGE: usize = 4 << 10;
/// Extra room for the unparsed tail beyond `max_text_bytes` (tag names, quotes, ...).
const TAIL_SLACK: u64 = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Active,
    Failed,
    Finished,
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
    /// free, at a few percent more CPU time in total; tree mode then also writes arrays of
    /// many items (an OSM extract's nodes) on two threads. The output is the same. Takes
    /// effect only before the first [`Self::feed`].
    pub fn set_pipelined(&mut self, on: bool) {
        if self.pipe.is_none() && self.core.pos.offset == 0 {
            self.pipelined = on;
            self.core.set_split_arrays(on);
        }
    }

    /// The object's size, when known (`Content-Length`, a file's length). Tree mode keeps
    /// about that much in its string arena until the root closes; from 2 MiB on, the arena
    /// is then backed by transparent huge pages from its start instead of from its third
    /// MiB on (where Linux offers them): a fault per 2 MiB instead of per 4 KiB. Output and
    /// errors do not depend on it. Takes effect only before the first [`Self::feed`].
    pub fn set_expected_len(&mut self, len: Option<u64>) {
        if self.pipe.is_none() && self.core.pos.offset == 0 {
            self.core.expect_len(len);
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
        self.core.set_sink(sink);
    }

    /// Content type of the output (`application/json` or `application/x-ndjson`).
    pub fn content_type(&self) -> &'static str {
        self.core.config().content_type()
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
            let fresh = Core::new(self.core.config().clone());
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
        if !last
            && self.buf.is_empty()
            && let Some(skip) = self.decoder.detect_in_place(chunk)?
        {
            // The first chunk, UTF-8: parsed in place like the ones after it.
            chunk = chunk.get(skip..).unwrap_or_default();
        }
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
        let max = self.core.config().max_text_bytes;
        if self.buf.len() as u64 > max.saturating_add(TAIL_SLACK) {
            return Err(self.core.limit("max_text_bytes", max));
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

/// Converts a whole document held in memory.
pub fn convert(input: &[u8], config: &Config) -> Result<Vec<u8>> {
    let mut conv = Converter::new(config.clone())?;
    let mut out = Vec::with_capacity(input.len() + input.len() / 4);
    conv.feed(input, &mut out)?;
    conv.finish(&mut out)?;
    Ok(out)
}
