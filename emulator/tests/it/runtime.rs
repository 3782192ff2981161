//! Functions run as real processes through the Lambda Runtime API ([`ProcessFunction`]): the
//! workspace's `passthrough` binary, and small misbehaving "runtimes" written as scripts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, assert_s3_status, body_bytes, error_message,
    expect_s3_error, get_object, get_range, head_object, list_v2,
};
use object_lambda_emulator::{Function, ProcessFunction, SAMPLES};

use crate::{AK, SK, data_config, olap};

/// `<target dir>/<profile>`, from this test binary's path (`…/target/debug/deps/it-xxxx`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary sits in <target>/<profile>/deps")
        .to_owned()
}

/// A workspace function's binary (`passthrough`, `pii-redactor`, ...), built (or found up to
/// date) once per test run with `cargo build --workspace --bins` in the same target directory
/// (cargo does not hold the build lock while tests run). Building even when the file exists
/// matters: with `cargo test -p object-lambda-emulator` a binary left from an older build would be
/// tested otherwise. One workspace-wide build rather than `-p <function>` each: every `-p` resolves
/// its own feature set, so four of them compiled four variants of the shared dependencies, which
/// filled the CI machine's disk.
pub(crate) fn function_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let dir = profile_dir();
    let built = BUILT.get_or_init(|| {
        let target = dir.parent().expect("target dir").to_owned();
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(["build", "--workspace", "--bins"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", &target);
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        match cmd.status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("cargo build --workspace --bins: {status}")),
            Err(e) => Err(format!("running cargo build: {e}")),
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let bin = dir.join(name);
    assert!(bin.is_file(), "{} missing", bin.display());
    bin
}

fn passthrough_binary() -> PathBuf {
    function_binary("passthrough")
}

/// An emulator with one Object Lambda Access Point per function, all on bucket `data`.
async fn start(timeout_ms: u64, functions: &[(&str, Arc<dyn Function>)]) -> TestEmulator {
    let mut config = data_config(functions.iter().map(|(name, _)| olap(name, name)).collect());
    config.function_timeout_ms = timeout_ms;
    TestEmulator::start(config, functions.iter().cloned()).await
}

fn process(name: &str, program: &Path) -> ProcessFunction {
    ProcessFunction::builder(name, program)
        .credential(test_util::credential())
        .build()
}

/// GET `report.csv` through `olap`, which must fail with 500 LambdaRuntimeError whose message
/// contains `detail`.
async fn assert_runtime_error(client: &aws_sdk_s3::Client, olap: &str, detail: &str) {
    let get = client.get_object().bucket(olap).key("report.csv");
    let err = expect_s3_error(get.send().await, 500, "LambdaRuntimeError");
    let message = error_message(&err);
    assert!(message.contains(detail), "{olap}: {message:?}");
}

/// Writes an executable script into `dir`.
fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A Runtime API client in Python (python3 is on CI): `MODE` is `error` (answers every event
/// with `/error`), `crash` (exits after receiving an event), `init-error` (posts
/// `/init/error` then sleeps) or `slow-head` (0.3 s, then a valid HEAD answer).
fn python_runtime(dir: &Path, mode: &str) -> PathBuf {
    let text = format!(
        r#"#!/usr/bin/env python3
import json, os, sys, time, urllib.request
MODE = "{mode}"
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
def post(path, body):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req).read()
if MODE == "init-error":
    post("/init/error", {{"errorType": "Runtime.ConfigError", "errorMessage": "no config"}})
    time.sleep(60)
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.load(r)
    if MODE == "crash":
        sys.exit(3)
    if MODE == "error":
        post("/invocation/" + rid + "/error", {{"errorType": "Boom", "errorMessage": "it broke"}})
    if MODE == "slow-head":
        time.sleep(0.3)
        post("/invocation/" + rid + "/response", {{"statusCode": 200, "headers": {{"Content-Length": 3}}}})
"#
    );
    script(dir, &format!("{mode}.py"), &text)
}

/// Waits until every process of `f` is idle again. For GET the caller has its answer as soon
/// as the WriteGetObjectResponse streams, while the function finishes (posts its `response`)
/// a moment later; only then is its process free, as in Lambda.
async fn settle(f: &ProcessFunction) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.idle_processes() as u64 != f.processes_started() {
        assert!(Instant::now() < deadline, "processes stay busy");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn passthrough_binary_serves_get_head_list_and_stays_warm() {
    let f = process("passthrough", &passthrough_binary());
    let emu = start(20_000, &[("passthrough", Arc::new(f.clone()))]).await;
    let client = &emu.s3;
    let (key, _, original) = SAMPLES[0];
    for round in 0..2 {
        let out = client
            .get_object()
            .bucket("passthrough")
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {round}: {e:?}"));
        let body = body_bytes(out).await;
        assert_eq!(&body[..], original, "round {round}");
        settle(&f).await;
    }
    let ranged = get_range(client, "passthrough", key, "bytes=0-3").await;
    assert_eq!(&body_bytes(ranged).await[..], &original[..4]);
    settle(&f).await;
    let head = head_object(client, "passthrough", key).await;
    assert_eq!(
        head.content_length(),
        Some(i64::try_from(original.len()).unwrap())
    );
    let list = list_v2(client, "passthrough", "").await;
    assert_eq!(list.contents().len(), SAMPLES.len());
    // One process served everything: warm between invocations.
    assert_eq!(f.processes_started(), 1);
    assert_eq!(f.cold_starts().len(), 1);
    assert_eq!(f.idle_processes(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn crashing_binary_is_a_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let exits = process(
        "exits",
        &script(dir.path(), "exits.sh", "#!/bin/sh\nexit 1\n"),
    );
    let crash = process("crash", &python_runtime(dir.path(), "crash"));
    let init = process("init-error", &python_runtime(dir.path(), "init-error"));
    let emu = start(
        20_000,
        &[
            ("exits", Arc::new(exits.clone())),
            ("crash", Arc::new(crash.clone())),
            ("init-error", Arc::new(init.clone())),
        ],
    )
    .await;
    let client = &emu.s3;
    for (olap, f, detail) in [
        ("exits", &exits, "exit status: 1"),
        ("crash", &crash, "exit status: 3"),
        ("init-error", &init, "Runtime.ConfigError: no config"),
    ] {
        for round in 1..=2 {
            let started = Instant::now();
            assert_runtime_error(client, olap, detail).await;
            assert!(started.elapsed() < Duration::from_secs(10), "{olap}");
            // A dead process is never reused.
            assert_eq!(f.processes_started(), round, "{olap}");
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn function_error_keeps_the_process_warm() {
    let dir = tempfile::tempdir().unwrap();
    let f = process("failing", &python_runtime(dir.path(), "error"));
    let emu = start(20_000, &[("failing", Arc::new(f.clone()))]).await;
    let client = &emu.s3;
    for _ in 0..2 {
        assert_runtime_error(client, "failing", "Boom: it broke").await;
    }
    assert_eq!(f.processes_started(), 1);
    emu.stop().await;
}

/// A binary that never calls `next` gets the invocation's timeout: 500 LambdaTimeout, and the
/// process is killed.
#[tokio::test]
async fn binary_that_never_calls_next_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let text = format!(
        "#!/bin/sh\necho $$ > '{}'\nexec sleep 600\n",
        pid_file.display()
    );
    let f = process("stuck", &script(dir.path(), "stuck.sh", &text));
    let emu = start(1_500, &[("stuck", Arc::new(f.clone()))]).await;
    let client = &emu.s3;
    let started = Instant::now();
    assert_s3_error(
        client
            .get_object()
            .bucket("stuck")
            .key("report.csv")
            .send()
            .await,
        500,
        "LambdaTimeout",
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1_400) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    wait_until_gone(pid.trim(), "the stuck process").await;
    // The next invocation starts a fresh process.
    assert_s3_status(
        client
            .head_object()
            .bucket("stuck")
            .key("report.csv")
            .send()
            .await,
        500,
    );
    assert_eq!(f.processes_started(), 2);
    emu.stop().await;
}

/// Waits up to 5 s until process `pid` is gone, or a zombie waiting to be reaped: either way
/// no longer running.
async fn wait_until_gone(pid: &str, what: &str) {
    let stat = Path::new("/proc").join(pid).join("stat");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match std::fs::read_to_string(&stat) {
            Err(_) => break,
            Ok(s)
                if s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z')) =>
            {
                break;
            }
            Ok(_) => {
                assert!(Instant::now() < deadline, "{what} was not killed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A timed-out function is ended with everything it started (its process group).
#[tokio::test]
async fn a_timed_out_function_takes_its_children_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let text = format!(
        "#!/bin/sh\nsleep 600 &\necho $! > '{p}'\n(sleep 600 & echo $! >> '{p}'; wait) &\necho $$ >> '{p}'\nexec sleep 600\n",
        p = pids.display()
    );
    let f = process("spawner", &script(dir.path(), "spawner.sh", &text));
    let emu = start(1_000, &[("spawner", Arc::new(f.clone()))]).await;
    let client = &emu.s3;
    assert_s3_error(
        client
            .get_object()
            .bucket("spawner")
            .key("report.csv")
            .send()
            .await,
        500,
        "LambdaTimeout",
    );
    let started = std::fs::read_to_string(&pids).unwrap();
    let started: Vec<&str> = started.split_whitespace().collect();
    assert!(started.len() >= 3, "{started:?}");
    for pid in started {
        wait_until_gone(pid, &format!("process {pid} of the timed-out function")).await;
    }
    emu.stop().await;
}

/// Concurrent invocations get their own processes, up to the cap; the rest wait for one.
#[tokio::test]
async fn concurrency_is_capped_per_function() {
    let dir = tempfile::tempdir().unwrap();
    let f = ProcessFunction::builder("slow", python_runtime(dir.path(), "slow-head"))
        .credential(test_util::credential())
        .max_processes(2)
        .build();
    let emu = start(20_000, &[("slow", Arc::new(f.clone()))]).await;
    let client = &emu.s3;
    let heads = (0..4).map(|_| {
        let client = client.clone();
        async move {
            client
                .head_object()
                .bucket("slow")
                .key("report.csv")
                .send()
                .await
        }
    });
    for r in futures::future::join_all(heads).await {
        assert_eq!(r.unwrap().content_length(), Some(3));
    }
    assert_eq!(f.processes_started(), 2);
    assert_eq!(f.idle_processes(), 2);
    emu.stop().await;
}

/// The binary: `--template` with a small SAM template, `--functions-dir` holding the
/// passthrough binary in cargo lambda's layout (`<dir>/passthrough/bootstrap`).
#[tokio::test]
async fn cli_template_with_functions_dir() {
    use tokio::io::AsyncBufReadExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fns = dir.path().join("lambda/passthrough");
    std::fs::create_dir_all(&fns).unwrap();
    std::fs::copy(passthrough_binary(), fns.join("bootstrap")).unwrap();
    let template = dir.path().join("template.yaml");
    std::fs::write(
        &template,
        r#"
Parameters:
  Payload: {Type: String, Default: "{}"}
Resources:
  Store: {Type: AWS::S3::Bucket}
  Ap:
    Type: AWS::S3::AccessPoint
    Properties: {Bucket: !Ref Store, Name: store-ap}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/passthrough, Timeout: 10}
  Olap:
    Type: AWS::S3ObjectLambda::AccessPoint
    Properties:
      Name: via-binary
      ObjectLambdaConfiguration:
        SupportingAccessPoint: !GetAtt Ap.Arn
        TransformationConfigurations:
          - Actions: [GetObject]
            ContentTransformation:
              AwsLambda: {FunctionArn: !GetAtt Fn.Arn, FunctionPayload: !Ref Payload}
"#,
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_object-lambda-emulator"))
        .arg("--template")
        .arg(&template)
        .arg("--functions-dir")
        .arg(dir.path().join("lambda"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("AWS_ACCESS_KEY_ID", AK)
        .env("AWS_SECRET_ACCESS_KEY", SK)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let endpoint = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("object-lambda-emulator listening on ") {
                return url.to_owned();
            }
        }
        panic!("the emulator exited before listening");
    })
    .await
    .expect("the emulator starts");
    let client = test_util::client(&endpoint, AK, SK);
    let (key, _, original) = SAMPLES[0];
    let out = get_object(&client, "via-binary", key).await;
    assert_eq!(&body_bytes(out).await[..], original);
    // HEAD is not in Actions: it passes through to the supporting bucket `store`.
    let head = head_object(&client, "via-binary", key).await;
    assert_eq!(
        head.content_length(),
        Some(i64::try_from(original.len()).unwrap())
    );
    child.kill().await.unwrap();
}

/// `template.yaml` with every function as its spawned binary: the same GETs as in-process
/// (`template::emulator_from_template_serves_every_access_point`) give the same results.
#[tokio::test]
async fn template_functions_as_spawned_binaries() {
    let mut t = crate::template::repo_template();
    t.config.credentials = vec![test_util::credential()];
    let functions = crate::template::FUNCTIONS.map(|name| {
        let spec = t.function(name).unwrap();
        ProcessFunction::builder(name, function_binary(name))
            .credential(test_util::credential())
            .memory_mb(spec.memory_mb)
            .log_format(spec.log_format.clone().unwrap())
            .build()
    });
    let named = crate::template::FUNCTIONS
        .iter()
        .zip(&functions)
        .map(|(name, f)| (*name, Arc::new(f.clone()) as Arc<dyn Function>));
    let emu = TestEmulator::start(t.config.clone(), named).await;
    let client = &emu.s3;
    for (name, f) in crate::template::FUNCTIONS.iter().zip(&functions) {
        let olap = t.config.olap(name).unwrap();
        crate::template::check_get(client, name, &olap.name).await;
        settle(f).await;
        crate::template::check_get(client, name, olap.alias.as_deref().unwrap()).await;
        settle(f).await;
        assert_eq!(
            f.processes_started(),
            1,
            "{name}: warm between the two GETs"
        );
    }
    emu.stop().await;
}
