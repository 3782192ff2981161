//! The binary in local mode (no `AWS_LAMBDA_RUNTIME_API`): stdin → JSON on stdout, as a
//! user runs it. Standard input as a regular file (its length is known, as S3 declares
//! one) and as a pipe (unknown length), several chunks long; errors as `Code: message`.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use xml_to_json::{Config, convert};

const BIN: &str = env!("CARGO_BIN_EXE_xml-to-json");

/// A document of about 1.5 MB: several of local mode's 256 KiB input chunks, and tree
/// output that leaves in many pieces.
fn document() -> Vec<u8> {
    let mut doc = b"<osm>".to_vec();
    for i in 0..20_000 {
        write!(
            doc,
            r#"<node id="{i}" lat="51.{i}" lon="-0.{i}"><tag k="name" v="n&amp;{i}"/></node>"#
        )
        .unwrap();
        if i % 7 == 0 {
            writeln!(doc, "<way id=\"{i}\"><nd ref=\"{i}\"/>text {i}</way>").unwrap();
        }
    }
    doc.extend_from_slice(b"</osm>");
    doc
}

fn from_file(input: &[u8], args: &[&str]) -> Output {
    let dir = std::env::temp_dir().join(format!("xml-to-json-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One file per call: tests run in parallel.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!("in-{}.xml", CALLS.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, input).unwrap();
    let out = Command::new(BIN)
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    out
}

fn from_pipe(input: &[u8], args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // Several writes, so the binary sees the input arrive in pieces.
        for piece in input.chunks(100_000) {
            if stdin.write_all(piece).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn converts_stdin_from_a_file_and_from_a_pipe() {
    let doc = document();
    for payload in ["", r#"{"item_depth":2}"#] {
        let expected = convert(&doc, &Config::from_payload(payload).unwrap()).unwrap();
        let args: &[&str] = if payload.is_empty() {
            &[]
        } else {
            &["--payload", payload]
        };
        for (how, out) in [
            ("file", from_file(&doc, args)),
            ("pipe", from_pipe(&doc, args)),
        ] {
            assert!(
                out.status.success(),
                "{how}, payload {payload:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stdout == expected,
                "{how}, payload {payload:?}: output differs from convert() ({} vs {} bytes)",
                out.stdout.len(),
                expected.len()
            );
        }
    }
}

#[test]
fn malformed_input_exits_1_with_the_s3_code() {
    let mut doc = document();
    doc.truncate(doc.len() - 3); // `</osm` cut short
    for (how, out) in [
        ("file", from_file(&doc, &[])),
        ("pipe", from_pipe(&doc, &[])),
    ] {
        assert_eq!(out.status.code(), Some(1), "{how}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("InvalidObjectContent: "),
            "{how}: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{how}: tree mode wrote output before the error"
        );
    }
}
