//! The gateway's other invokers: function binaries in webhook mode (`--webhook`) and Lambda's
//! Invoke API (the emulator's).

use std::process::{Command, Stdio};
use std::sync::Arc;

use object_lambda_emulator::test_util::{assert_s3_error, get_object, head_object};

use crate::gateway::{
    AK, GatewayProc, KillOnDrop, Moto, REPORT, SK, big_object, config, free_port, get,
    wait_for_port,
};
use crate::runtime::function_binary;

#[tokio::test]
async fn webhook_invoker_against_function_binaries_in_webhook_mode() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let mut hooks = Vec::new();
    let mut functions = String::new();
    for name in ["passthrough", "pii-redactor"] {
        let port = free_port();
        let child = Command::new(function_binary(name))
            .args(["--webhook", &format!("127.0.0.1:{port}")])
            .env("AWS_ACCESS_KEY_ID", "unused")
            .env("AWS_SECRET_ACCESS_KEY", "unused")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("webhook binary");
        hooks.push(KillOnDrop(child));
        wait_for_port(port, name);
        functions.push_str(&format!(
            "[functions.{name}]\nwebhook = \"http://127.0.0.1:{port}/\"\n\n"
        ));
    }
    let gw = GatewayProc::start(&config(
        &moto.url,
        "",
        &[("pass", "passthrough"), ("redact", "pii-redactor")],
        &functions,
    ));
    let c = gw.client();
    let r = get_object(&c, "pass", "report.csv").await;
    assert_eq!(r.content_type(), Some("text/plain"));
    assert_eq!(r.content_length(), Some(REPORT.len() as i64));
    assert_eq!(r.body.collect().await.unwrap().to_vec(), REPORT);
    let r = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .range("bytes=-6")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.content_range(),
        Some(&*format!(
            "bytes {}-{}/{}",
            REPORT.len() - 6,
            REPORT.len() - 1,
            REPORT.len()
        ))
    );
    let redacted = String::from_utf8(get(&c, "redact", "report.csv").await).unwrap();
    assert!(!redacted.contains("jane.doe@example.com"), "{redacted}");
    assert_s3_error(
        c.get_object().bucket("pass").key("missing").send().await,
        404,
        "NoSuchKey",
    );
    // HEAD and LIST (our extension of the contract).
    let h = head_object(&c, "pass", "report.csv").await;
    assert_eq!(h.content_length(), Some(REPORT.len() as i64));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    assert_eq!(l.contents().len(), 1);
}

/// The Lambda invoker against an Invoke API nobody wrote for the gateway: the emulator's
/// (`POST /2015-03-31/functions/{name}/invocations`), running the passthrough binary whose
/// WGOR goes to the gateway.
#[tokio::test]
async fn lambda_invoker_against_the_emulator_invoke_api() {
    use object_lambda_emulator::{Config, Credential, Emulator, ProcessFunction};
    let Some(moto) = Moto::start() else { return };
    let big = big_object(500_000);
    moto.bucket("data", &[("big.bin", &big), ("report.csv", REPORT)])
        .await;
    let port = free_port();
    let passthrough = ProcessFunction::builder("passthrough", function_binary("passthrough"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let lambda = Emulator::builder()
        .config(Config {
            credentials: vec![Credential::new(AK, SK)],
            ..Config::default()
        })
        .function("passthrough", Arc::new(passthrough))
        .start()
        .await
        .expect("emulator");
    let functions = format!(
        "[functions.passthrough]\nlambda = \"arn:aws:lambda:us-east-1:111122223333:function:passthrough\"\nlambda_endpoint = \"{0}\"\n\n[functions.ghost]\nlambda = \"ghost\"\nlambda_endpoint = \"{0}\"\n",
        lambda.endpoint_url()
    );
    let toml = config(
        &moto.url,
        "",
        &[("pass", "passthrough"), ("ghost", "ghost")],
        &functions,
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let gw = GatewayProc::start(&toml);
    let c = gw.client();
    assert_eq!(get(&c, "pass", "big.bin").await, big);
    let r = c
        .get_object()
        .bucket("pass")
        .key("big.bin")
        .range("bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), &big[100..200]);
    let h = head_object(&c, "pass", "report.csv").await;
    assert_eq!(h.content_length(), Some(REPORT.len() as i64));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    assert_eq!(l.contents().len(), 2);
    assert_s3_error(
        c.get_object()
            .bucket("ghost")
            .key("report.csv")
            .send()
            .await,
        404,
        "LambdaNotFound",
    );
    // A caller the emulator does not know is refused by its Invoke API.
    let stranger = aws_sdk_lambda_free_invoke(lambda.endpoint_url()).await;
    assert_eq!(stranger, 403);
}

/// An unsigned Invoke call: 403 from the emulator's Invoke API.
async fn aws_sdk_lambda_free_invoke(endpoint: &str) -> u16 {
    reqwest::Client::new()
        .post(format!(
            "{endpoint}/2015-03-31/functions/passthrough/invocations"
        ))
        .body("{}")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
