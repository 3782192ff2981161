//! A big array's items serialised on two threads.
//!
//! Tree mode writes the whole document once the root closes, and in documents such as
//! OpenStreetMap extracts nearly all of it is one array or a few (the root's `node`, `way`
//! and `relation` lists): on 200 MB a quarter of the conversion's wall time was this one
//! thread serialising while the reading thread idled. So the items are cut into chunks that
//! two threads claim in turn from a shared counter. Each thread writes its chunk into a
//! buffer of its own; the calling thread hands the chunks on in order (the helper's go to
//! the sink as they are, without a copy) and writes a chunk straight to the output when it
//! is the next one due. The output is the same bytes as on one thread.
//!
//! Memory stays bounded: chunks aim at [`CHUNK_BYTES`] of output, at most [`AHEAD`] of
//! the helper's wait to be handed on (it then waits), and buffers go back to the thread
//! that filled them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::BResult;
use super::write::{Buffer, Open, Outlet, View};

/// Arrays with fewer items are written on one thread: starting the helper costs about
/// as much as writing a few thousand small items.
pub(super) const MIN_ITEMS: usize = 4096;

/// Output bytes a chunk aims at: big enough that claiming and handing on are rare, small
/// enough that the buffers in flight stay small.
const CHUNK_BYTES: usize = 128 << 10;
/// Items in the first chunks, before their output size is known.
const FIRST_CHUNK_ITEMS: usize = 256;
/// Finished chunks that may wait to be handed on, per thread.
const AHEAD: usize = 4;

/// The items still to claim and how many to take at a time.
struct Claims {
    next: AtomicUsize,
    per_chunk: AtomicUsize,
    end: usize,
}

impl Claims {
    fn claim(&self) -> Option<Range<usize>> {
        let n = self.per_chunk.load(Ordering::Relaxed);
        let start = self.next.fetch_add(n, Ordering::Relaxed);
        (start < self.end).then(|| start..(start + n).min(self.end))
    }

    /// A chunk of `items` items came to `bytes` bytes: size the next ones for
    /// [`CHUNK_BYTES`].
    fn measured(&self, items: usize, bytes: usize) {
        let per_item = (bytes / items.max(1)).max(1);
        let n = (CHUNK_BYTES / per_item).clamp(1, 1 << 16);
        self.per_chunk.store(n, Ordering::Relaxed);
    }

    /// No more claims (an error ended the writing).
    fn stop(&self) {
        self.next.store(self.end, Ordering::Relaxed);
    }
}

/// Writes the items `items` of an array, at nesting `level`, to `out` and `outlet` on the
/// calling thread and a helper (on one thread if none can be started).
pub(super) fn write_items(
    view: View<'_>,
    items: Range<usize>,
    level: usize,
    out: &mut Vec<u8>,
    outlet: &mut impl Outlet,
) -> BResult<()> {
    let first = items.start;
    let claims = Claims {
        next: AtomicUsize::new(first),
        per_chunk: AtomicUsize::new(FIRST_CHUNK_ITEMS),
        end: items.end,
    };
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::sync_channel::<(Range<usize>, Vec<u8>)>(AHEAD);
        let (give_back, returned) = mpsc::channel::<Vec<u8>>();
        let claims = &claims;
        let helper = std::thread::Builder::new()
            .name("xml-to-json-write".to_owned())
            .spawn_scoped(scope, move || {
                let mut stack = Vec::new();
                while let Some(chunk) = claims.claim() {
                    let mut buf = returned.try_recv().unwrap_or_default();
                    // Writing into a buffer cannot fail.
                    let _ = view.write_items(
                        chunk.clone(),
                        first,
                        level,
                        &mut stack,
                        &mut buf,
                        &mut Buffer,
                    );
                    claims.measured(chunk.len(), buf.len());
                    if done.send((chunk, buf)).is_err() {
                        break;
                    }
                }
            });
        let mut stack = Vec::new();
        if helper.is_err() {
            return view.write_items(items, first, level, &mut stack, out, outlet);
        }
        let r = hand_on(
            view, claims, first, level, &mut stack, out, outlet, &finished, &give_back,
        );
        if r.is_err() {
            claims.stop();
        }
        // Dropping the receiver ends a helper that waits to send.
        drop(finished);
        r
    })
}

/// The calling thread's part: claims and writes chunks, and hands every chunk on in order.
#[allow(clippy::too_many_arguments)]
fn hand_on(
    view: View<'_>,
    claims: &Claims,
    first: usize,
    level: usize,
    stack: &mut Vec<Open>,
    out: &mut Vec<u8>,
    outlet: &mut impl Outlet,
    finished: &mpsc::Receiver<(Range<usize>, Vec<u8>)>,
    give_back: &mpsc::Sender<Vec<u8>>,
) -> BResult<()> {
    // Next item due in the output, and the chunks written ahead of it (by start).
    let mut due = first;
    let mut waiting: BTreeMap<usize, (usize, Vec<u8>, bool)> = BTreeMap::new();
    let mut spare = Vec::new();
    loop {
        while let Ok((chunk, buf)) = finished.try_recv() {
            waiting.insert(chunk.start, (chunk.end, buf, true));
        }
        while let Some(entry) = waiting.first_entry()
            && *entry.key() == due
        {
            let (end, mut buf, helpers) = entry.remove();
            outlet.emit(out, &buf)?;
            due = end;
            buf.clear();
            if helpers {
                let _ = give_back.send(buf);
            } else {
                spare = buf;
            }
        }
        if waiting.len() >= AHEAD {
            // Our own chunks wait for one of the helper's: it is the next message.
            let Ok((chunk, buf)) = finished.recv() else {
                break;
            };
            waiting.insert(chunk.start, (chunk.end, buf, true));
            continue;
        }
        let Some(chunk) = claims.claim() else {
            break;
        };
        if chunk.start == due {
            view.write_items(chunk.clone(), first, level, stack, out, outlet)?;
            due = chunk.end;
        } else {
            let mut buf = std::mem::take(&mut spare);
            view.write_items(chunk.clone(), first, level, stack, &mut buf, &mut Buffer)?;
            claims.measured(chunk.len(), buf.len());
            waiting.insert(chunk.start, (chunk.end, buf, false));
        }
    }
    // The helper's last chunks (and ours that wait for them).
    while due < claims.end {
        if let Some(entry) = waiting.first_entry()
            && *entry.key() == due
        {
            let (end, buf, _) = entry.remove();
            outlet.emit(out, &buf)?;
            due = end;
            continue;
        }
        let Ok((chunk, buf)) = finished.recv() else {
            // The helper stopped early: cannot happen while we hold the receiver, but
            // never wait for it.
            return Err(super::BuildError::Sink);
        };
        waiting.insert(chunk.start, (chunk.end, buf, true));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};

    use super::MIN_ITEMS;
    use crate::{Config, Converter};

    /// A root with two arrays over [`MIN_ITEMS`] (the second's items hold a big array of
    /// their own, written on the thread that writes the item), items of every shape (objects
    /// with attributes and children, attributes only, text only, empty), and a small array.
    fn document() -> Vec<u8> {
        let mut doc = String::from("<root v=\"1\">");
        for i in 0..3 * MIN_ITEMS {
            match i % 4 {
                0 => doc.push_str(&format!(
                    "<n id=\"{i}\" k=\"a&amp;b\"><t k=\"x\" v=\"{i}\"/><t k=\"y\"/></n>"
                )),
                1 => doc.push_str(&format!("<n id=\"{i}\"/>")),
                2 => doc.push_str(&format!("<n>text {i} \"q\"</n>")),
                _ => doc.push_str("<n/>"),
            }
        }
        for i in 0..MIN_ITEMS + 7 {
            doc.push_str(&format!("<w id=\"{i}\">"));
            if i == 5 {
                for j in 0..MIN_ITEMS + 1 {
                    doc.push_str(&format!("<nd ref=\"{j}\"/>"));
                }
            }
            doc.push_str("<nd ref=\"1\"/><nd ref=\"2\"/></w>");
        }
        doc.push_str("<r/><r>x</r></root>");
        doc.into_bytes()
    }

    /// Converts `doc` in 64 KiB chunks; with `sink`, tree output goes through a sink that
    /// fails once it has received `fail_after` bytes.
    fn convert(
        payload: &str,
        doc: &[u8],
        pipelined: bool,
        sink: Option<usize>,
    ) -> Result<Vec<u8>, crate::Error> {
        let mut converter = Converter::new(Config::from_payload(payload).unwrap()).unwrap();
        converter.set_pipelined(pipelined);
        let received = Arc::new(Mutex::new(Vec::new()));
        if let Some(fail_after) = sink {
            let received = Arc::clone(&received);
            converter.set_sink(Box::new(move |piece| {
                let mut r = received.lock().unwrap_or_else(PoisonError::into_inner);
                if r.len() >= fail_after {
                    return Err(std::io::Error::other("sink full"));
                }
                r.extend_from_slice(piece);
                Ok(())
            }));
        }
        let mut out = Vec::new();
        for chunk in doc.chunks(64 << 10) {
            converter.feed(chunk, &mut out)?;
        }
        converter.finish(&mut out)?;
        let mut all = std::mem::take(&mut *received.lock().unwrap_or_else(PoisonError::into_inner));
        all.extend_from_slice(&out);
        Ok(all)
    }

    #[test]
    fn two_threads_write_the_bytes_one_thread_writes() {
        let doc = document();
        for payload in [
            "",
            r#"{"pretty":true}"#,
            r#"{"attr_prefix":"a_"}"#,
            r#"{"force_list":["t","r"]}"#,
        ] {
            let one = convert(payload, &doc, false, None).unwrap();
            assert!(
                one.len() > 256 << 10,
                "{payload}: too small for several chunks"
            );
            for sink in [None, Some(usize::MAX)] {
                let two = convert(payload, &doc, true, sink).unwrap();
                assert!(one == two, "{payload:?}, sink {sink:?}: outputs differ");
            }
        }
    }

    #[test]
    fn a_failing_sink_ends_the_conversion() {
        let doc = document();
        let err = convert("", &doc, true, Some(300 << 10)).unwrap_err();
        assert!(matches!(err, crate::Error::Internal(_)), "{err:?}");
    }
}
