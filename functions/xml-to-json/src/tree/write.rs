//! Serialising a finished element, with an explicit stack (no recursion on depth), into
//! `out` or in pieces to an output sink.

use super::compact::MARKER;
use super::{
    BLOCK_KEY, BResult, BuildError, Entry, Finished, TAG_NULL, TAG_OBJ, TAG_STR, TreeBuilder, Val,
};
use crate::json;

/// Receives the serialised document in pieces (see `Converter::set_sink`).
pub type OutputSink = Box<dyn FnMut(&[u8]) -> std::io::Result<()> + Send>;

/// With a sink, the serialiser hands `out` over once it holds this much.
const SPILL_AT: usize = 64 << 10;

/// Hands `out` to the sink when it has grown past [`SPILL_AT`]; counts what was sent.
#[inline]
fn spill(sink: &mut Option<OutputSink>, out: &mut Vec<u8>, sent: &mut u64) -> BResult<()> {
    if out.len() >= SPILL_AT
        && let Some(sink) = sink
    {
        sink(out).map_err(|_| BuildError::Sink)?;
        *sent += out.len() as u64;
        out.clear();
    }
    Ok(())
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

    /// Iterative serialiser: `stack` holds (is_object, first, next, end) per open container.
    fn write_value(&mut self, val: Val, base: usize, out: &mut Vec<u8>, limit: u64) -> BResult<()> {
        let pretty = self.config.pretty;
        self.stack.clear();
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
                        } else {
                            out.push(if is_obj { b'{' } else { b'[' });
                            self.stack
                                .push((is_obj, r.start as u32, r.start as u32, r.end as u32));
                        }
                    }
                }
                if self.sent + out.len() as u64 > limit {
                    return Err(BuildError::OutputTooLarge);
                }
                spill(&mut self.sink, out, &mut self.sent)?;
            }
            let level = base + self.stack.len();
            let Some(top) = self.stack.last_mut() else {
                return Ok(());
            };
            let (is_obj, first, next, end) = *top;
            if next == end {
                self.stack.pop();
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
                    if self.sent + out.len() as u64 > limit {
                        return Err(BuildError::OutputTooLarge);
                    }
                    spill(&mut self.sink, out, &mut self.sent)?;
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
}
