//! The binary's local mode: without `AWS_LAMBDA_RUNTIME_API` it copies stdin to stdout, and bad
//! input exits 1 with `Code: message` on stderr. (This test also makes `cargo test` build the
//! binary, which the emulator's Runtime API tests run.)

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_passthrough"))
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn passthrough");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn copies_stdin_to_stdout() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
    let out = run(
        &[
            "--payload",
            "{}",
            "--content-type",
            "application/octet-stream",
        ],
        &data,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, data);
}

#[test]
fn bad_payload_exits_1_with_the_s3_code() {
    let out = run(&["--payload", r#"{"level": 3}"#], b"x");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("InvalidFunctionPayload: "), "{stderr}");
    assert!(stderr.contains("`level`"), "{stderr}");
    assert!(out.stdout.is_empty());
}
