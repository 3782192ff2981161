//! Serialising a finished element, with an explicit stack (no recursion on depth), into
//! `out` or in pieces to an output sink.

use super::compact::MARKER;
use super::{
    Arena, BLOCK_KEY, BResult, BuildError, Entry, Finished, Keys, TAG_ARR, TAG_NULL, TAG_OBJ,
    TAG_STR, TreeBuilder, Val,
};
use crate::json;

/// Receives the serialised document in pieces (see `Converter::set_sink`).
pub type OutputSink = Box<dyn FnMut(&[u8]) -> std::io::Result<()> + Send>;

/// With a sink, the serialiser hands `out` over once it holds this much.
const SPILL_AT: usize = 64 << 10;

/// An open container on the serialiser's stack: (is_object, first, next, end).
pub(super) type Open = (bool, u32, u32, u32);

/// What the serialiser reads: the finished tree, borrowed. It is shared by the threads that
/// write a big array's items (`parallel.rs`).
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub(super) keys: &'a Keys,
    pub(super) strings: &'a Arena,
    entries: &'a [Entry],
    items: &'a [Val],
    pretty: bool,
}

/// Where serialised output goes after each value.
pub(super) trait Outlet {
    /// Called after each value `out` received: checks the output limit, and may hand `out`
    /// to the sink.
    fn after(&mut self, out: &mut Vec<u8>) -> BResult<()>;
    /// Appends `piece` (written elsewhere) to the output that `out` ends.
    fn emit(&mut self, out: &mut Vec<u8>, piece: &[u8]) -> BResult<()>;
}

/// The output of a piece written into a buffer of its own: no limit, nothing handed on.
pub(super) struct Buffer;

impl Outlet for Buffer {
    #[inline(always)]
    fn after(&mut self, _: &mut Vec<u8>) -> BResult<()> {
        Ok(())
    }
    fn emit(&mut self, out: &mut Vec<u8>, piece: &[u8]) -> BResult<()> {
        out.extend_from_slice(piece);
        Ok(())
    }
}

/// The document's output: to the sink in pieces of [`SPILL_AT`] (or all in `out` without
/// one), failing once it passes `limit` bytes.
struct Spill<'a> {
    sink: &'a mut Option<OutputSink>,
    sent: &'a mut u64,
    limit: u64,
}

impl Spill<'_> {
    fn check(&self, out: &[u8]) -> BResult<()> {
        if *self.sent + out.len() as u64 > self.limit {
            return Err(BuildError::OutputTooLarge);
        }
        Ok(())
    }
}

impl Outlet for Spill<'_> {
    #[inline]
    fn after(&mut self, out: &mut Vec<u8>) -> BResult<()> {
        self.check(out)?;
        if out.len() >= SPILL_AT
            && let Some(sink) = self.sink
        {
            sink(out).map_err(|_| BuildError::Sink)?;
            *self.sent += out.len() as u64;
            out.clear();
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut Vec<u8>, piece: &[u8]) -> BResult<()> {
        let Some(sink) = self.sink else {
            out.extend_from_slice(piece);
            return self.check(out);
        };
        // Handed on as it is: no copy into `out`.
        if *self.sent + (out.len() + piece.len()) as u64 > self.limit {
            return Err(BuildError::OutputTooLarge);
        }
        if !out.is_empty() {
            sink(out).map_err(|_| BuildError::Sink)?;
            *self.sent += out.len() as u64;
            out.clear();
        }
        sink(piece).map_err(|_| BuildError::Sink)?;
        *self.sent += piece.len() as u64;
        Ok(())
    }
}

impl TreeBuilder {
    /// Sends serialised output to `sink` while it is written (see `Converter::set_sink`).
    pub(crate) fn set_sink(&mut self, sink: OutputSink) {
        self.sink = Some(sink);
    }

    /// Bytes of `out` handed to the sink since the last call (they left `out`).
    pub(crate) fn take_sent(&mut self) -> u64 {
        std::mem::take(&mut self.sent)
    }

    /// Hands all of `out` to the sink, if there is one (bytes already counted, so not in
    /// `sent`); returns whether there is a sink.
    pub(crate) fn hand_over(&mut self, out: &mut Vec<u8>) -> BResult<bool> {
        let Some(sink) = &mut self.sink else {
            return Ok(false);
        };
        if !out.is_empty() {
            sink(out).map_err(|_| BuildError::Sink)?;
            out.clear();
        }
        Ok(true)
    }

    /// Writes `{"name": value}` (value wrapped in an array when `force_root` and the
    /// name is forced) and appends a newline. Fails once `out` grows past `budget` bytes.
    pub(crate) fn write_record(
        &mut self,
        done: Finished,
        force_root: bool,
        out: &mut Vec<u8>,
        budget: u64,
    ) -> BResult<()> {
        // Bytes already sent to the sink count as written.
        let limit = (self.sent + out.len() as u64).saturating_add(budget);
        let pretty = self.config.pretty;
        out.push(b'{');
        if pretty {
            json::newline_indent(out, 1);
        }
        out.extend_from_slice(self.keys.quoted(done.key));
        if pretty {
            out.push(b' ');
        }
        if force_root && self.keys.forced(done.key) {
            out.push(b'[');
            if pretty {
                json::newline_indent(out, 2);
            }
            self.write_value(done.val, 2, out, limit)?;
            if pretty {
                json::newline_indent(out, 1);
            }
            out.push(b']');
        } else {
            self.write_value(done.val, 1, out, limit)?;
        }
        if pretty {
            out.push(b'\n');
        }
        out.extend_from_slice(b"}\n");
        if self.sent + out.len() as u64 > limit {
            return Err(BuildError::OutputTooLarge);
        }
        Ok(())
    }

    /// Writes `val` with its containers' members at nesting `base` and deeper (the serialiser
    /// proper is [`View::write_value`]).
    fn write_value(&mut self, val: Val, base: usize, out: &mut Vec<u8>, limit: u64) -> BResult<()> {
        let TreeBuilder {
            config,
            keys,
            strings,
            entries,
            items,
            stack,
            sink,
            sent,
            split_arrays,
            ..
        } = self;
        let view = View {
            keys,
            strings,
            entries,
            items,
            pretty: config.pretty,
        };
        let mut spill = Spill { sink, sent, limit };
        stack.clear();
        view.write_value(val, base, stack, out, &mut spill, *split_arrays)
    }
}

impl View<'_> {
    /// Iterative serialiser: `stack` holds an [`Open`] per open container. `split`: arrays of
    /// at least [`super::parallel::MIN_ITEMS`] items are written on two threads.
    pub(super) fn write_value(
        self,
        val: Val,
        base: usize,
        stack: &mut Vec<Open>,
        out: &mut Vec<u8>,
        outlet: &mut impl Outlet,
        split: bool,
    ) -> BResult<()> {
        let pretty = self.pretty;
        let bottom = stack.len();
        let mut current = Some(val);
        loop {
            if let Some(v) = current.take() {
                match v.tag() {
                    TAG_NULL => out.extend_from_slice(b"null"),
                    TAG_STR => {
                        let r = v.range();
                        let s = self.strings.get(r.clone()).unwrap_or_default();
                        if s.first() == Some(&MARKER) {
                            // An element with attributes only.
                            out.push(b'{');
                            self.write_block(r.start + 1..r.end, out);
                            out.push(b'}');
                        } else {
                            out.extend_from_slice(s);
                        }
                    }
                    tag => {
                        let r = v.range();
                        let is_obj = tag == TAG_OBJ;
                        if r.is_empty() {
                            out.extend_from_slice(if is_obj { b"{}" } else { b"[]" });
                        } else if split && tag == TAG_ARR && r.len() >= super::parallel::MIN_ITEMS {
                            out.push(b'[');
                            let level = base + stack.len() - bottom + 1;
                            super::parallel::write_items(self, r, level, out, outlet)?;
                            if pretty {
                                json::newline_indent(out, level - 1);
                            }
                            out.push(b']');
                        } else {
                            out.push(if is_obj { b'{' } else { b'[' });
                            stack.push((is_obj, r.start as u32, r.start as u32, r.end as u32));
                        }
                    }
                }
                outlet.after(out)?;
            }
            let level = base + stack.len() - bottom;
            if stack.len() == bottom {
                return Ok(());
            }
            let Some(top) = stack.last_mut() else {
                return Ok(());
            };
            let (is_obj, first, next, end) = *top;
            if next == end {
                stack.pop();
                if pretty {
                    json::newline_indent(out, level - 1);
                }
                out.push(if is_obj { b'}' } else { b']' });
                continue;
            }
            top.2 += 1;
            if next != first {
                out.push(b',');
            }
            if pretty {
                json::newline_indent(out, level);
            }
            if is_obj {
                let entry = self.entries.get(next as usize).copied().unwrap_or(Entry {
                    key: 0,
                    val: Val::NULL,
                });
                if entry.key == BLOCK_KEY {
                    // The element's attributes, the first members of its object.
                    self.write_block(entry.val.range(), out);
                    outlet.after(out)?;
                    continue;
                }
                out.extend_from_slice(self.keys.quoted(entry.key));
                if pretty {
                    out.push(b' ');
                }
                current = Some(entry.val);
            } else {
                current = Some(self.items.get(next as usize).copied().unwrap_or(Val::NULL));
            }
        }
    }

    /// Writes the items `range` of the array whose first item is `first`, as they appear in
    /// it (a comma before each but the first, indented at `level` when pretty).
    pub(super) fn write_items(
        self,
        range: std::ops::Range<usize>,
        first: usize,
        level: usize,
        stack: &mut Vec<Open>,
        out: &mut Vec<u8>,
        outlet: &mut impl Outlet,
    ) -> BResult<()> {
        for i in range {
            if i != first {
                out.push(b',');
            }
            if self.pretty {
                json::newline_indent(out, level);
            }
            let val = self.items.get(i).copied().unwrap_or(Val::NULL);
            self.write_value(val, level, stack, out, outlet, false)?;
        }
        Ok(())
    }
}
