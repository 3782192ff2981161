//! HTTPS next to plain HTTP: aws-sdk-s3 over TLS with the generated certificate or one of
//! our own, the template's DenyInsecureTransport, SSE-C's TLS requirement, and functions that
//! verify the emulator's certificate through `AWS_CA_BUNDLE`.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use object_lambda::{ClientSettings, s3_client};
use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, assert_s3_status, body_bytes, get_bytes, get_object,
    in_process, put_bytes, sample,
};
use object_lambda_emulator::{Config, Emulator, Function, ProcessFunction, SAMPLES};

use crate::common::real_functions;
use crate::{AK, SK};

/// An aws-sdk-s3 client for `endpoint` that trusts only `ca` (the runtime's own
/// `AWS_CA_BUNDLE` support, as a function uses it).
async fn https_client(endpoint: &str, ca: &Path) -> aws_sdk_s3::Client {
    s3_client(&ClientSettings {
        endpoint_url: Some(endpoint.to_owned()),
        credentials: Some((AK.to_owned(), SK.to_owned())),
        region: Some("us-east-1".to_owned()),
        ca_bundle: Some(ca.to_owned()),
    })
    .await
    .expect("client")
}

/// `config` with the test credential and HTTPS on a free port beside plain HTTP.
async fn start<'n>(
    mut config: Config,
    functions: impl IntoIterator<Item = (&'n str, Arc<dyn Function>)>,
) -> TestEmulator {
    config.credentials = vec![test_util::credential()];
    config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    TestEmulator::start(config, functions).await
}

/// An HTTPS client of `emu` that trusts its certificate.
async fn tls_client(emu: &TestEmulator) -> aws_sdk_s3::Client {
    let (url, cert) = (emu.emulator.tls_endpoint_url(), emu.emulator.tls_cert());
    https_client(url.unwrap(), cert.unwrap()).await
}

/// The built-in default with the passthrough function, over HTTP and HTTPS.
async fn start_passthrough(function: Arc<dyn Function>) -> TestEmulator {
    start(
        test_util::config(&["passthrough"]),
        [("passthrough", function)],
    )
    .await
}

/// Only `tls_listen`: a self-signed certificate is generated into the data directory; the
/// SDK verifies it (trusting that file only) for PUT and GET, and plain HTTP keeps working
/// on its own port. A client that does not trust the certificate is refused.
#[tokio::test]
async fn https_with_the_generated_certificate() {
    let emu = start_passthrough(in_process(passthrough::function::Passthrough)).await;
    let https = emu
        .emulator
        .tls_endpoint_url()
        .expect("https endpoint")
        .to_owned();
    assert!(https.starts_with("https://127.0.0.1:"), "{https}");
    let cert = emu.emulator.tls_cert().unwrap().to_owned();
    assert!(
        cert.starts_with(emu.emulator.data_dir().join("tls")),
        "{}",
        cert.display()
    );

    let s3 = https_client(&https, &cert).await;
    put_bytes(&s3, "demo", "over-tls.txt", "secret-free text").await;
    let got = get_bytes(&s3, "demo", "over-tls.txt").await;
    assert_eq!(&got[..], b"secret-free text");
    // Through an Object Lambda Access Point: the in-process function was handed the HTTPS
    // endpoint and the certificate as its CA bundle.
    let through = get_bytes(&s3, "passthrough", "report.csv").await;
    assert_eq!(&through[..], sample("report.csv"));

    // Plain HTTP, side by side.
    let got = get_object(&emu.s3, "demo", "over-tls.txt").await;
    assert_eq!(got.content_length(), Some(16));

    // A client with the system roots only does not trust the self-signed certificate.
    let other = tempfile::tempdir().unwrap();
    let unrelated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let wrong_ca = other.path().join("other.pem");
    std::fs::write(&wrong_ca, unrelated.cert.pem()).unwrap();
    let untrusting = https_client(&https, &wrong_ca).await;
    let err = untrusting
        .head_bucket()
        .bucket("demo")
        .send()
        .await
        .expect_err("an untrusted certificate must fail");
    assert!(
        err.raw_response().is_none(),
        "no HTTP answer expected: {err:?}"
    );
    emu.stop().await;
}

/// `tls_cert`/`tls_key` of our own are served as given.
#[tokio::test]
async fn https_with_our_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let mut config = test_util::config(&[]);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    let emu = start(config, []).await;
    assert_eq!(emu.emulator.tls_cert(), Some(cert.as_path()));
    let s3 = https_client(emu.emulator.tls_endpoint_url().unwrap(), &cert).await;
    let listed = s3.list_objects_v2().bucket("demo").send().await.unwrap();
    assert_eq!(listed.contents().len(), SAMPLES.len());
    emu.stop().await;
}

/// A certificate without its key (or a key without `tls_listen`) stops the start with a
/// message naming the setting.
#[tokio::test]
async fn tls_settings_are_checked_at_start() {
    async fn refused(config: &Config) -> String {
        let start = Emulator::builder().config(config.clone()).start().await;
        start.unwrap_err().to_string()
    }
    let mut config = test_util::config(&[]);
    config.tls_cert = Some("cert.pem".into());
    let err = refused(&config).await;
    assert!(err.contains("tls_key"), "{err}");
    config.tls_key = Some("key.pem".into());
    let err = refused(&config).await;
    assert!(err.contains("tls_listen"), "{err}");
    config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    let err = refused(&config).await;
    assert!(err.contains("cert.pem"), "{err}");
}

/// The repository's template: its DenyInsecureTransport bucket policy makes a plain-HTTP GET
/// (and PUT) of the data bucket 403 AccessDenied while the same GET over HTTPS is 200, and
/// Object Lambda keeps working over both (its calls to the supporting access point are
/// S3's own, over HTTPS in AWS).
#[tokio::test]
async fn template_denies_insecure_transport() {
    let t = crate::template::repo_template();
    let emu = start(t.config.clone(), real_functions()).await;
    let plain = &emu.s3;
    let tls = tls_client(&emu).await;

    // Plain HTTP: GET, PUT and LIST are denied.
    let get = plain.get_object().bucket("databucket").key("report.csv");
    assert_s3_error(get.send().await, 403, "AccessDenied");
    let put = plain.put_object().bucket("databucket").key("new.txt");
    assert_s3_error(
        put.body(ByteStream::from_static(b"x")).send().await,
        403,
        "AccessDenied",
    );
    let list = plain.list_objects_v2().bucket("databucket");
    assert_s3_error(list.send().await, 403, "AccessDenied");

    let got = get_bytes(&tls, "databucket", "report.csv").await;
    assert_eq!(&got[..], sample("report.csv"));
    // Nothing was written by the refused PUT.
    let head = tls.head_object().bucket("databucket").key("new.txt");
    assert_s3_status(head.send().await, 404);

    for client in [plain, &tls] {
        crate::template::check_get(client, "passthrough", "passthrough").await;
        crate::template::check_get(client, "pii-redactor", "pii-redactor").await;
    }
    emu.stop().await;
}

/// SSE-C needs TLS, as in S3: over plain HTTP 400 InvalidRequest (PUT and GET, nothing
/// stored); over HTTPS the same PUT is accepted and the object reads back with its key.
/// Through an Object Lambda Access Point SSE-C stays 400 on both.
#[tokio::test]
async fn sse_c_needs_https() {
    let emu = start_passthrough(in_process(passthrough::function::Passthrough)).await;
    let plain = &emu.s3;
    let tls = tls_client(&emu).await;
    // 32 bytes of 7, and its MD5 (computed once with Python's hashlib), both base64.
    let key_b64 = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
    let md5_b64 = "y4HAEFCYWuvAXWFTtA1Qpg==";

    let put = |c: &aws_sdk_s3::Client| {
        c.put_object()
            .bucket("demo")
            .key("customer-key.txt")
            .body(ByteStream::from_static(b"encrypted with my key"))
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key_b64)
            .sse_customer_key_md5(md5_b64)
            .send()
    };
    // A GET of `bucket`/`key` with the customer key.
    let get_with_key = |c: &aws_sdk_s3::Client, bucket: &'static str, key: &'static str| {
        c.get_object()
            .bucket(bucket)
            .key(key)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key_b64)
            .sse_customer_key_md5(md5_b64)
            .send()
    };
    assert_s3_error(put(plain).await, 400, "InvalidRequest");
    // Nothing stored.
    let head = plain.head_object().bucket("demo").key("customer-key.txt");
    assert_s3_status(head.send().await, 404);

    put(&tls).await.expect("SSE-C over HTTPS");
    let got = get_with_key(&tls, "demo", "customer-key.txt")
        .await
        .expect("SSE-C GET over HTTPS");
    assert_eq!(got.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(&body_bytes(got).await[..], b"encrypted with my key");
    let over_http = get_with_key(plain, "demo", "customer-key.txt").await;
    assert_s3_error(over_http, 400, "InvalidRequest");

    // Directly without the key: 400, as S3 does; through the access point (which cannot pass
    // a customer key on): 400, over either transport.
    let without_key = tls.get_object().bucket("demo").key("customer-key.txt");
    assert_s3_status(without_key.send().await, 400);
    for client in [plain, &tls] {
        let through = client
            .get_object()
            .bucket("passthrough")
            .key("customer-key.txt");
        assert_s3_error(through.send().await, 400, "InvalidRequest");
        let with_key = get_with_key(client, "passthrough", "report.csv").await;
        assert_s3_status(with_key, 400);
    }
    emu.stop().await;
}

/// A function run as its real binary gets `AWS_CA_BUNDLE` (the generated certificate) and
/// the HTTPS endpoint: its `inputS3Url` fetch and its WriteGetObjectResponse both verify the
/// emulator's certificate, and a GET through it over HTTPS works.
#[tokio::test]
async fn process_functions_get_the_ca_bundle() {
    let bin = crate::runtime::function_binary("passthrough");
    let f: Arc<dyn Function> = Arc::new(
        ProcessFunction::builder("passthrough", bin)
            .credential(test_util::credential())
            .build(),
    );
    let emu = start_passthrough(f).await;
    let got = get_bytes(&tls_client(&emu).await, "passthrough", "report.csv").await;
    assert_eq!(&got[..], sample("report.csv"));
    emu.stop().await;
}
