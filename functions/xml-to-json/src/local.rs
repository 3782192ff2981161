//! Local mode's conversion (`xml-to-json < in.xml > out.json`, through
//! [`object_lambda::Transform::transform_blocking`]): standard input to standard output on
//! the calling thread, with no async runtime. The Lambda path's hand-over of 256 KiB pieces
//! from the converting thread to the runtime's (`function.rs`) cost a local run on 6 MB
//! about 2 ms of 26 (200 page faults of the piece buffers and a thread, 13 M instructions
//! of the runtime and the copies, wake-ups; bench/runs/2026-12-06-intel-xeon-vm.md).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use object_lambda::{BlockingOutput, TransformError};

use crate::Converter;

/// Input chunk: the buffer is reused, so its pages are touched once
/// (bench/runs/2026-12-05-amd-epyc-quiet.md).
const CHUNK: usize = 64 << 10;
/// `feed`'s output (NDJSON records) is written once it holds this much.
const WRITE_AT: usize = 128 << 10;

/// Converts `input` to `output`. Tree mode's document goes to `output` in the pieces of
/// about 64 KiB the converter's sink receives while it serialises; NDJSON records in
/// writes of about [`WRITE_AT`].
pub(crate) fn convert(
    mut converter: Converter,
    mut input: Box<dyn Read + Send>,
    output: BlockingOutput,
) -> Result<(), TransformError> {
    // Shared by the sink (on the converter's worker thread when pipelined) and this
    // thread; the two never write at the same time (the converter's output order).
    let output = Arc::new(Mutex::new(output));
    let sink_output = Arc::clone(&output);
    converter.set_sink(Box::new(move |piece| lock(&sink_output).write_all(piece)));
    let mut chunk = vec![0u8; CHUNK];
    let mut out = Vec::with_capacity(2 * WRITE_AT);
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        converter.feed(&chunk[..n], &mut out)?;
        if out.len() >= WRITE_AT {
            lock(&output).write_all(&out)?;
            out.clear();
        }
    }
    converter.finish(&mut out)?;
    let mut output = lock(&output);
    output.write_all(&out)?;
    Ok(output.flush()?)
}

/// A lock that a panic elsewhere does not poison for us.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    /// Standard output in a test: bytes kept where the test can read them.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn run(payload: &str, doc: Vec<u8>, pipelined: bool) -> Result<Vec<u8>, TransformError> {
        let mut converter = Converter::new(Config::from_payload(payload).unwrap()).unwrap();
        converter.set_pipelined(pipelined);
        let output = Shared::default();
        convert(
            converter,
            Box::new(std::io::Cursor::new(doc)),
            Box::new(output.clone()),
        )?;
        Ok(lock(&output.0).clone())
    }

    /// About 1 MB: many input chunks, tree output in many sink pieces.
    fn document() -> Vec<u8> {
        let mut doc = String::from("<r>");
        for i in 0..20_000 {
            doc.push_str(&format!("<n id=\"{i}\"><t k=\"a\" v=\"{i}\"/></n>"));
        }
        doc.push_str("</r>");
        doc.into_bytes()
    }

    #[test]
    fn writes_what_convert_returns() {
        let doc = document();
        for payload in ["", r#"{"item_depth":2}"#] {
            let expected = crate::convert(&doc, &Config::from_payload(payload).unwrap()).unwrap();
            for pipelined in [false, true] {
                let got = run(payload, doc.clone(), pipelined).unwrap();
                assert!(got == expected, "{payload:?}, pipelined {pipelined}");
            }
        }
    }

    /// `max_output_bytes` counts tree mode's stored document as written (attribute keys
    /// spelled out), so a document whose JSON is over the limit fails while it is parsed,
    /// before the first piece of output is handed over, even when its compact form is under
    /// the limit.
    #[test]
    fn output_limit_fails_before_any_output() {
        let doc = document();
        let full = crate::convert(&doc, &Config::default()).unwrap().len();
        let limit = full * 2 / 3;
        let payload = format!(r#"{{"max_output_bytes":{limit}}}"#);
        let mut converter = Converter::new(Config::from_payload(&payload).unwrap()).unwrap();
        converter.set_pipelined(false);
        let output = Shared::default();
        let err = convert(
            converter,
            Box::new(std::io::Cursor::new(doc)),
            Box::new(output.clone()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("max_output_bytes"), "{err}");
        assert!(
            lock(&output.0).is_empty(),
            "output was handed over before the limit error"
        );
    }

    #[test]
    fn errors_are_transform_errors() {
        let mut doc = document();
        doc.truncate(doc.len() - 2);
        let err = run("", doc, false).unwrap_err();
        assert_eq!(err.code(), "InvalidObjectContent");
    }
}
