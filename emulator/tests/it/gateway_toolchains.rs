//! Functions as their developers run them: every workspace function under `cargo lambda watch`,
//! and a Python function written against AWS's own libraries (awslambdaric, boto3).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use object_lambda_emulator::test_util;

use crate::gateway::{
    AK, GatewayProc, KillOnDrop, Moto, REPORT, SK, config, free_port, get, wait_for_port,
};
use crate::runtime::function_binary;

/// The program named by the environment variable `var` (else `default`) if running it with
/// `probe` succeeds; else `None`, saying why the test skips (CI always has both tools).
fn tool(var: &str, default: &str, probe: &[&str], missing: &str) -> Option<std::ffi::OsString> {
    let program = std::env::var_os(var).unwrap_or_else(|| default.into());
    match Command::new(&program).args(probe).output() {
        Ok(o) if o.status.success() => Some(program),
        _ => {
            eprintln!("SKIPPED: {missing}");
            None
        }
    }
}

/// `cargo lambda` (`CARGO_LAMBDA`, else on PATH; `.ci/run` installs it from pip).
fn cargo_lambda() -> Option<std::ffi::OsString> {
    tool(
        "CARGO_LAMBDA",
        "cargo-lambda",
        &["lambda", "--version"],
        "cargo-lambda is not installed (`pip install cargo-lambda`, or set CARGO_LAMBDA)",
    )
}

/// The Rust Lambda developer's loop: every workspace function under `cargo lambda watch`
/// (whose Runtime API sends a relative `Lambda-Runtime-Deadline-Ms: 600000`), invoked with
/// `cargo lambda invoke` and by the gateway's Lambda invoker through watch's Invoke API.
#[tokio::test]
async fn functions_run_under_cargo_lambda_watch() {
    let Some(moto) = Moto::start() else { return };
    let Some(cl) = cargo_lambda() else { return };
    let samples: Vec<(&str, &[u8])> = object_lambda_emulator::SAMPLES
        .iter()
        .map(|(k, _, b)| (*k, *b))
        .collect();
    moto.bucket("data", &samples).await;
    // The binaries are built once here, so watch's `cargo run` only finds them up to date.
    let _ = function_binary("passthrough");
    let (watch_port, gw_port) = (free_port(), free_port());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let watch = KillOnDrop(
        Command::new(&cl)
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &watch_port.to_string(),
            ])
            .current_dir(workspace)
            .env("AWS_ENDPOINT_URL_S3", format!("http://127.0.0.1:{gw_port}"))
            .env("AWS_ACCESS_KEY_ID", "function")
            .env("AWS_SECRET_ACCESS_KEY", "function-secret")
            .env("AWS_REGION", "us-east-1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch"),
    );
    wait_for_port(watch_port, "cargo lambda watch");

    // cargo lambda invoke, HEAD events with a real presigned URL: answered, not TransformTimeout.
    let dir = tempfile::tempdir().unwrap();
    let moto_client = moto.client();
    for (function, key) in [
        ("passthrough", "report.csv"),
        ("pii-redactor", "report.csv"),
        ("xml-to-json", "catalog.xml"),
        ("image-transform", "photo.jpg"),
    ] {
        let url = moto_client
            .head_object()
            .bucket("data")
            .key(key)
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(300))
                    .unwrap(),
            )
            .await
            .unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../events/{function}/head-object.json"));
        let mut event: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        event["headObjectContext"]["inputS3Url"] = url.uri().into();
        event["configuration"]["payload"] = "{}".into();
        let file = dir.path().join(format!("{function}.json"));
        std::fs::write(&file, event.to_string()).unwrap();
        let out = tokio::time::timeout(
            Duration::from_secs(300),
            tokio::process::Command::new(&cl)
                .args([
                    "lambda",
                    "invoke",
                    "-A",
                    "127.0.0.1",
                    "-P",
                    &watch_port.to_string(),
                    function,
                    "--data-file",
                ])
                .arg(&file)
                .current_dir(workspace)
                .output(),
        )
        .await
        .expect("cargo lambda invoke within 5 minutes")
        .expect("cargo lambda invoke");
        let text = String::from_utf8_lossy(&out.stdout);
        let answer: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|_| {
            panic!(
                "{function}: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(answer["statusCode"], 200, "{function}: {answer}");
    }

    // Through the gateway: GET via watch's Invoke API.
    let endpoint = format!("http://127.0.0.1:{watch_port}");
    let mut functions = String::new();
    for f in ["passthrough", "pii-redactor", "xml-to-json"] {
        functions.push_str(&format!(
            "[functions.{f}]\nlambda = \"{f}\"\nlambda_endpoint = \"{endpoint}\"\n\n"
        ));
    }
    let toml = config(
        &moto.url,
        "",
        &[
            ("pass", "passthrough"),
            ("redact", "pii-redactor"),
            ("json", "xml-to-json"),
        ],
        &functions,
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{gw_port}"));
    let gw = GatewayProc::start(&toml);
    let c = gw.client();
    let report = samples.iter().find(|(k, _)| *k == "report.csv").unwrap().1;
    assert_eq!(get(&c, "pass", "report.csv").await, report);
    let redacted = get(&c, "redact", "report.csv").await;
    assert_ne!(redacted, report);
    let json: serde_json::Value =
        serde_json::from_slice(&get(&c, "json", "catalog.xml").await).expect("JSON");
    assert!(json.is_object(), "{json}");
    drop(gw);
    // watch runs the functions in its process group: stop them all.
    crate::gateway::sigterm_group(watch.0.id());
}

/// A Python interpreter with `awslambdaric` and `boto3` (`OBJECT_LAMBDA_PYTHON`, which `.ci/run`
/// sets; else `python3`).
fn python_with_ric() -> Option<std::ffi::OsString> {
    tool(
        "OBJECT_LAMBDA_PYTHON",
        "python3",
        &["-c", "import awslambdaric, boto3"],
        "no Python with awslambdaric and boto3 (`pip install awslambdaric boto3`, or set OBJECT_LAMBDA_PYTHON)",
    )
}

/// AWS's way of writing an Object Lambda function in Python: uppercase the object.
const PYTHON_FUNCTION: &str = r#"
import urllib.parse, urllib.request
import boto3, botocore.config
# botocore would send WGOR to {route}.<host>: switch the host prefix off.
s3 = boto3.client("s3", config=botocore.config.Config(inject_host_prefix=False))
def handler(event, context):
    ctx = event["getObjectContext"]
    url = ctx["inputS3Url"]
    # Resend the headers the URL is signed with (x-amz-checksum-mode, ...).
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed = query.get("X-Amz-SignedHeaders", [""])[0].split(";")
    user = {k.lower(): v for k, v in event["userRequest"]["headers"].items()}
    headers = {h: user[h] for h in signed if h != "host" and h in user}
    body = urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()
    s3.write_get_object_response(
        Body=body.upper(), RequestRoute=ctx["outputRoute"], RequestToken=ctx["outputToken"]
    )
    return {"status_code": 200}
"#;

/// The Python function as an executable in its own folder (`bootstrap` runs awslambdaric).
fn python_function(dir: &Path, python: &std::ffi::OsStr) -> PathBuf {
    std::fs::write(dir.join("upper.py"), PYTHON_FUNCTION).unwrap();
    let bootstrap = dir.join("bootstrap");
    std::fs::write(
        &bootstrap,
        format!(
            "#!/bin/sh\nexec \"{}\" -m awslambdaric upper.handler\n",
            python.to_string_lossy()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    bootstrap
}

/// A Python function written against AWS's own libraries (awslambdaric, boto3's
/// `write_get_object_response`) runs unchanged as a `binary` of the gateway and under the emulator.
#[tokio::test]
async fn python_awslambdaric_function_under_gateway_and_emulator() {
    use object_lambda_emulator::{Config, Credential, Emulator, ProcessFunction};
    let Some(python) = python_with_ric() else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = python_function(dir.path(), &python);
    let upper = REPORT.to_ascii_uppercase();

    let functions = format!("[functions.upper]\nbinary = \"{}\"\n", bootstrap.display());
    let gw = GatewayProc::start(&config(&moto.url, "", &[("upper", "upper")], &functions));
    assert_eq!(get(&gw.client(), "upper", "report.csv").await, upper);
    // A boto3-like caller sends x-amz-checksum-mode: the function resends it.
    let r = gw
        .client()
        .get_object()
        .bucket("upper")
        .key("report.csv")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), upper);

    let mut config = Config::default_for(&["upper"]);
    config.credentials = vec![Credential::new(AK, SK)];
    let emu = Emulator::builder()
        .config(config)
        .function(
            "upper",
            Arc::new(
                ProcessFunction::builder("upper", &bootstrap)
                    .credential(Credential::new(AK, SK))
                    .build(),
            ),
        )
        .start()
        .await
        .unwrap();
    let c = test_util::client(emu.endpoint_url(), AK, SK);
    let report = object_lambda_emulator::SAMPLES
        .iter()
        .find(|(k, _, _)| *k == "report.csv")
        .unwrap()
        .2;
    let r = c
        .get_object()
        .bucket("upper")
        .key("report.csv")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.body.collect().await.unwrap().to_vec(),
        report.to_ascii_uppercase()
    );
}
