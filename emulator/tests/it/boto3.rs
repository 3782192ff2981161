//! boto3 against the emulator (`emulator/tests/boto3_cases.py`): GET through an Object Lambda
//! Access Point, versioning, ExpectedBucketOwner, encoding-type, a policy denial for another
//! team's prefix, SSE-KMS headers, checksum mode, and HTTPS verified with the emulator's
//! certificate. Needs a Python with boto3: `OBJECT_LAMBDA_PYTHON` (`.ci/run` sets it), else
//! `python3`; skipped with a message when there is none.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use object_lambda_emulator::test_util::{TestEmulator, in_process};
use object_lambda_emulator::{
    AccessPointConfig, BucketConfig, Credential, Function, InProcess, OlapConfig,
};

use crate::{AK, SK};

fn python_with_boto3() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("OBJECT_LAMBDA_PYTHON").unwrap_or_else(|| "python3".into());
    match Command::new(&python).args(["-c", "import boto3"]).output() {
        Ok(o) if o.status.success() => Some(python),
        _ => {
            eprintln!(
                "SKIPPED: no Python with boto3 (`pip install boto3`, or set OBJECT_LAMBDA_PYTHON)"
            );
            None
        }
    }
}

#[tokio::test]
async fn boto3_cases() {
    let Some(python) = python_with_boto3() else {
        return;
    };
    // The three teams of `policies.rs` (bucket `data`, one access point and one Object Lambda
    // Access Point per team, each limited to its prefix), plus an admin and a bucket `plain`
    // behind the `passthrough` Object Lambda Access Point.
    let mut config = crate::policies::config();
    config
        .credentials
        .push(object_lambda_emulator::test_util::credential());
    config.buckets.push(BucketConfig {
        name: "plain".into(),
        ..BucketConfig::default()
    });
    config.access_points.push(AccessPointConfig {
        name: "plain-ap".into(),
        bucket: "plain".into(),
        policy: None,
    });
    config.object_lambda_access_points.push(OlapConfig {
        supporting_access_point: "plain-ap".into(),
        ..OlapConfig::default_for("passthrough")
    });
    config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    // The teams' access points run the passthrough transform here: a real `object-lambda`
    // handler, which trusts the emulator's certificate (the test helper does not).
    let role = Credential::new("AKROLE", "role-secret");
    let functions: [(&str, Arc<dyn Function>); 2] = [
        (
            "upper",
            InProcess::new(passthrough::function::Passthrough, &role),
        ),
        (
            "passthrough",
            in_process(passthrough::function::Passthrough),
        ),
    ];
    let emu = TestEmulator::start(config, functions).await;
    let admin = &emu.s3;
    for (key, text) in [
        ("Finance/q1.csv", "finance q1"),
        ("Sales/q1.csv", "sales q1"),
    ] {
        admin
            .put_object()
            .bucket("data")
            .key(key)
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3_cases.py");
    let (endpoint, https, ca) = (
        emu.endpoint_url().to_owned(),
        emu.emulator.tls_endpoint_url().unwrap().to_owned(),
        emu.emulator.tls_cert().unwrap().to_owned(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("EMU_HTTP", endpoint)
            .env("EMU_HTTPS", https)
            .env("EMU_CA", ca)
            .env("EMU_AK", AK)
            .env("EMU_SK", SK)
            .env("EMU_FINANCE_AK", "AKFINANCE")
            .env("EMU_FINANCE_SK", "finance-secret")
            // The user's own AWS settings must not leak in.
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_CA_BUNDLE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_S3")
            .output()
    })
    .await
    .unwrap()
    .expect("running python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 cases failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for case in [
        "get-through-olap",
        "versioning",
        "expected-bucket-owner",
        "encoding-type",
        "policy-denies-other-team",
        "sse-kms-headers",
        "checksum-mode",
        "https-verify-ca",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("ok {case}")),
            "case {case} did not run\n{stdout}"
        );
    }
    emu.stop().await;
}
