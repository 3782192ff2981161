//! The gateway in front of moto with the workspace's function binaries behind the Runtime API:
//! start-up checks, a dead backend, GET/HEAD/LIST, metrics, HTTPS, graceful SIGTERM.

use std::time::{Duration, Instant};

use object_lambda_emulator::test_util::{
    assert_s3_error, assert_s3_status, get_object, head_object,
};

use crate::gateway::{
    AK, GatewayProc, Moto, REPORT, SK, big_object, binary_functions, config, free_port, get,
    scrape, terminate,
};
use crate::runtime::function_binary;

#[test]
fn gateway_refuses_to_start_without_credentials_or_route_secret() {
    let ok = config("http://127.0.0.1:1", "", &[], "");
    let no_secret = ok.replace("route_secret = \"change-me\"", "");
    let e = GatewayProc::try_start(&no_secret).err().expect("refused");
    assert!(e.contains("route_secret"), "{e}");
    let start = ok.find("[[credentials]]").unwrap();
    let end = ok.find("[[access_points]]").unwrap();
    let no_creds = format!("{}{}", &ok[..start], &ok[end..]);
    let e = GatewayProc::try_start(&no_creds).err().expect("refused");
    assert!(e.contains("credentials"), "{e}");
}

#[tokio::test]
async fn backend_down_gives_503_quickly() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let gw = GatewayProc::start(&config(
        &dead,
        "",
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let client = gw.client();
    let started = Instant::now();
    assert_s3_status(
        client.get_object().bucket("pass").key("a.txt").send().await,
        503,
    );
    assert_s3_status(
        client
            .head_object()
            .bucket("pass")
            .key("a.txt")
            .send()
            .await,
        503,
    );
    assert_s3_status(client.list_objects_v2().bucket("pass").send().await, 503);
    // Not transformed (tagging): passed through to the store, which is down.
    assert_s3_status(
        client
            .get_object_tagging()
            .bucket("pass")
            .key("a.txt")
            .send()
            .await,
        503,
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn gateway_in_front_of_moto_with_binaries() {
    let Some(moto) = Moto::start() else { return };
    let big = big_object(300_000);
    moto.bucket("data", &[("report.csv", REPORT), ("big.bin", &big)])
        .await;
    let gw = GatewayProc::start(&config(
        &moto.url,
        "metrics_listen = \"127.0.0.1:0\"",
        &[("pass", "passthrough"), ("redact", "pii-redactor")],
        &binary_functions(),
    ));
    let c = gw.client();
    // GET: byte-exact, as straight from moto.
    assert_eq!(get(&c, "pass", "big.bin").await, big);
    assert_eq!(get(&c, "pass", "report.csv").await, REPORT);
    // pii-redactor: the e-mail addresses are gone.
    let redacted = String::from_utf8(get(&c, "redact", "report.csv").await).unwrap();
    assert!(!redacted.contains("jane.doe@example.com"), "{redacted}");
    assert!(redacted.starts_with("id,name,email"), "{redacted}");
    // Range and partNumber.
    let r = c
        .get_object()
        .bucket("pass")
        .key("big.bin")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_range(), Some("bytes 10-19/300000"));
    assert_eq!(r.body.collect().await.unwrap().to_vec(), &big[10..20]);
    let r = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), REPORT);
    // 404, 304, 412 relayed.
    assert_s3_error(
        c.get_object().bucket("pass").key("missing").send().await,
        404,
        "NoSuchKey",
    );
    let etag = moto
        .client()
        .head_object()
        .bucket("data")
        .key("report.csv")
        .send()
        .await
        .unwrap()
        .e_tag
        .unwrap();
    assert_s3_status(
        c.get_object()
            .bucket("pass")
            .key("report.csv")
            .if_none_match(&etag)
            .send()
            .await,
        304,
    );
    assert_s3_error(
        c.get_object()
            .bucket("pass")
            .key("report.csv")
            .if_match("\"nope\"")
            .send()
            .await,
        412,
        "PreconditionFailed",
    );
    // HEAD and LIST through the function.
    let h = head_object(&c, "pass", "big.bin").await;
    assert_eq!(h.content_length(), Some(300_000));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    let keys: Vec<_> = l.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["big.bin", "report.csv"]);
    let l1 = c
        .list_objects()
        .bucket("pass")
        .prefix("rep")
        .send()
        .await
        .unwrap();
    assert_eq!(l1.contents().len(), 1);
    // Operations: health, metrics.
    let m = gw.metrics.clone().expect("metrics listener");
    assert_eq!(scrape(&m, "/healthz").await.0, 200);
    let (status, text) = scrape(&m, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(r#"object_lambda_requests_total{access_point="pass",status="200"}"#),
        "{text}"
    );
    assert!(text.contains(r#"status="404""#), "{text}");
    assert!(text.contains("object_lambda_invoke_seconds"), "{text}");
    assert!(
        text.contains(r#"object_lambda_bytes_out_total{access_point="pass"}"#),
        "{text}"
    );
    // JSON logs with the request id; never an object's content or a secret.
    let logs = gw.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("\"request_id\""))
        .expect("a request log line");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert!(
        v["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{line}"
    );
    assert!(
        !logs.contains("jane.doe") && !logs.contains(SK),
        "logs leak content or secrets"
    );
    // SIGTERM: graceful exit.
    let mut gw = gw;
    let status = terminate(&mut gw.child).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
}

/// HTTPS with a generated self-signed certificate: served over TLS only.
#[tokio::test]
async fn gateway_serves_https_only_with_tls_keys() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("certificate");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    // The function trusts the certificate for its WGOR through the `AWS_CA_BUNDLE` the gateway
    // gives it (`function_ca_bundle`'s default: `tls_cert`, as `public_url` is not set); its
    // own environment names no bundle.
    let functions = format!(
        "[functions.passthrough]\nbinary = \"{}\"\n",
        function_binary("passthrough").display(),
    );
    let extra = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"",
        cert.display(),
        key.display()
    );
    let gw = GatewayProc::start(&config(
        &moto.url,
        &extra,
        &[("pass", "passthrough")],
        &functions,
    ));
    assert!(gw.url.starts_with("https://"), "{}", gw.url);
    let presigner = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                AK, SK, None, None, "test",
            ))
            .endpoint_url(&gw.url)
            .force_path_style(true)
            .build(),
    );
    let url = presigner
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap(),
        )
        .await
        .unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let r = https.get(url.uri()).send().await.expect("HTTPS GET");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), REPORT);
    let plain = gw.url.replace("https://", "http://");
    let refused = reqwest::get(format!("{plain}/pass/report.csv")).await;
    assert!(
        refused.is_err() || refused.is_ok_and(|r| !r.status().is_success()),
        "plain HTTP served"
    );
}

/// SIGTERM while a GET streams: the GET completes byte-exact, new connections are refused, and
/// the process exits 0.
#[tokio::test]
async fn sigterm_lets_in_flight_gets_finish() {
    let Some(moto) = Moto::start() else { return };
    let big = big_object(20_000_000);
    moto.bucket("data", &[("big.bin", &big)]).await;
    let mut gw = GatewayProc::start(&config(
        &moto.url,
        "metrics_listen = \"127.0.0.1:0\"",
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let c = gw.client();
    let resp = get_object(&c, "pass", "big.bin").await;
    crate::gateway::sigterm(gw.child.id());
    // Draining: health says so, and no new connection is taken.
    let m = gw.metrics.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = scrape(&m, "/healthz").await;
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "healthz never said draining");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let late = reqwest::Client::new()
        .get(format!("{}/pass/big.bin", gw.url))
        .send()
        .await;
    assert!(late.is_err(), "a new connection was served while draining");
    let body = resp
        .body
        .collect()
        .await
        .expect("the in-flight body completes")
        .to_vec();
    assert!(
        body == big,
        "in-flight GET cut short ({} of {} bytes)",
        body.len(),
        big.len()
    );
    let status = terminate(&mut gw.child).expect("exits");
    assert!(status.success(), "{status:?}");
}
