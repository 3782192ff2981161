//! HTTPS next to plain HTTP: aws-sdk-s3 over TLS with the generated certificate or one of
//! our own, the template's DenyInsecureTransport, SSE-C's TLS requirement, and functions that
//! verify the emulator's certificate through `AWS_CA_BUNDLE`.

use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use object_lambda::{ClientSettings, s3_client};
use object_lambda_emulator::{
    Config, Credential, Emulator, Function, InProcess, ProcessFunction, RunningEmulator, SAMPLES,
};

use crate::{AK, SK, status_and_code};

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

fn sample(key: &str) -> &'static [u8] {
    SAMPLES
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(.., b)| *b)
        .unwrap()
}

async fn start(mut config: Config, functions: &[(&str, Arc<dyn Function>)]) -> RunningEmulator {
    config.credentials = vec![Credential::new(AK, SK)];
    config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    let mut b = Emulator::builder().config(config);
    for (name, f) in functions {
        b = b.function(*name, f.clone());
    }
    b.start().await.expect("emulator starts")
}

/// Only `tls_listen`: a self-signed certificate is generated into the data directory; the
/// SDK verifies it (trusting that file only) for PUT and GET, and plain HTTP keeps working
/// on its own port. A client that does not trust the certificate is refused.
#[tokio::test]
async fn https_with_the_generated_certificate() {
    let cred = Credential::new(AK, SK);
    let pass: Arc<dyn Function> = InProcess::new(passthrough::function::Passthrough, &cred);
    let emu = start(
        Config::default_for(&["passthrough"]),
        &[("passthrough", pass)],
    )
    .await;
    let https = emu.tls_endpoint_url().expect("https endpoint").to_owned();
    assert!(https.starts_with("https://127.0.0.1:"), "{https}");
    let cert = emu.tls_cert().unwrap().to_owned();
    assert!(
        cert.starts_with(emu.data_dir().join("tls")),
        "{}",
        cert.display()
    );

    let s3 = https_client(&https, &cert).await;
    s3.put_object()
        .bucket("demo")
        .key("over-tls.txt")
        .body(ByteStream::from_static(b"secret-free text"))
        .send()
        .await
        .expect("PUT over HTTPS");
    let got = s3
        .get_object()
        .bucket("demo")
        .key("over-tls.txt")
        .send()
        .await
        .expect("GET over HTTPS");
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"secret-free text"
    );
    // Through an Object Lambda Access Point: the in-process function was handed the HTTPS
    // endpoint and the certificate as its CA bundle.
    let through = s3
        .get_object()
        .bucket("passthrough")
        .key("report.csv")
        .send()
        .await
        .expect("GET through passthrough over HTTPS");
    assert_eq!(
        &through.body.collect().await.unwrap().into_bytes()[..],
        sample("report.csv")
    );

    // Plain HTTP, side by side.
    let plain = crate::functions::s3_client(emu.endpoint_url(), AK, SK);
    let got = plain
        .get_object()
        .bucket("demo")
        .key("over-tls.txt")
        .send()
        .await
        .expect("GET over HTTP");
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
    emu.shutdown().await;
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
    let mut config = Config::default_for(&[]);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    let emu = start(config, &[]).await;
    assert_eq!(emu.tls_cert(), Some(cert.as_path()));
    let s3 = https_client(emu.tls_endpoint_url().unwrap(), &cert).await;
    let listed = s3.list_objects_v2().bucket("demo").send().await.unwrap();
    assert_eq!(listed.contents().len(), SAMPLES.len());
    emu.shutdown().await;
}

/// A certificate without its key (or a key without `tls_listen`) stops the start with a
/// message naming the setting.
#[tokio::test]
async fn tls_settings_are_checked_at_start() {
    let mut config = Config::default_for(&[]);
    config.credentials = vec![Credential::new(AK, SK)];
    config.tls_cert = Some("cert.pem".into());
    let err = Emulator::builder()
        .config(config.clone())
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("tls_key"), "{err}");
    config.tls_key = Some("key.pem".into());
    let err = Emulator::builder()
        .config(config.clone())
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("tls_listen"), "{err}");
    config.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    let err = Emulator::builder()
        .config(config)
        .start()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cert.pem"), "{err}");
}

/// The repository's template: its DenyInsecureTransport bucket policy makes a plain-HTTP GET
/// (and PUT) of the data bucket 403 AccessDenied while the same GET over HTTPS is 200, and
/// Object Lambda keeps working over both (its calls to the supporting access point are
/// S3's own, over HTTPS in AWS).
#[tokio::test]
async fn template_denies_insecure_transport() {
    let t = crate::template::repo_template();
    let cred = Credential::new(AK, SK);
    let pass: Arc<dyn Function> = InProcess::new(passthrough::function::Passthrough, &cred);
    let pii: Arc<dyn Function> = InProcess::new(pii_redactor::function::PiiRedactor, &cred);
    let xml: Arc<dyn Function> = InProcess::new(xml_to_json::function::XmlToJson, &cred);
    let img: Arc<dyn Function> = InProcess::new(image_transform::function::ImageTransform, &cred);
    let emu = start(
        t.config.clone(),
        &[
            ("passthrough", pass),
            ("pii-redactor", pii),
            ("xml-to-json", xml),
            ("image-transform", img),
        ],
    )
    .await;
    let plain = crate::functions::s3_client(emu.endpoint_url(), AK, SK);
    let tls = https_client(emu.tls_endpoint_url().unwrap(), emu.tls_cert().unwrap()).await;

    let err = plain
        .get_object()
        .bucket("databucket")
        .key("report.csv")
        .send()
        .await
        .expect_err("plain HTTP must be denied");
    assert_eq!(status_and_code(&err), (403, "AccessDenied".to_owned()));
    let err = plain
        .put_object()
        .bucket("databucket")
        .key("new.txt")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("plain HTTP PUT must be denied");
    assert_eq!(status_and_code(&err), (403, "AccessDenied".to_owned()));
    let err = plain
        .list_objects_v2()
        .bucket("databucket")
        .send()
        .await
        .expect_err("plain HTTP LIST must be denied");
    assert_eq!(status_and_code(&err), (403, "AccessDenied".to_owned()));

    let got = tls
        .get_object()
        .bucket("databucket")
        .key("report.csv")
        .send()
        .await
        .expect("HTTPS GET is allowed");
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        sample("report.csv")
    );
    // Nothing was written by the refused PUT.
    let err = tls
        .head_object()
        .bucket("databucket")
        .key("new.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 404);

    for client in [&plain, &tls] {
        crate::template::check_get(client, "passthrough", "passthrough").await;
        crate::template::check_get(client, "pii-redactor", "pii-redactor").await;
    }
    emu.shutdown().await;
}

/// SSE-C needs TLS, as in S3: over plain HTTP 400 InvalidRequest (PUT and GET, nothing
/// stored); over HTTPS the same PUT is accepted and the object reads back with its key.
/// Through an Object Lambda Access Point SSE-C stays 400 on both.
#[tokio::test]
async fn sse_c_needs_https() {
    let cred = Credential::new(AK, SK);
    let pass: Arc<dyn Function> = InProcess::new(passthrough::function::Passthrough, &cred);
    let emu = start(
        Config::default_for(&["passthrough"]),
        &[("passthrough", pass)],
    )
    .await;
    let plain = crate::functions::s3_client(emu.endpoint_url(), AK, SK);
    let tls = https_client(emu.tls_endpoint_url().unwrap(), emu.tls_cert().unwrap()).await;
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
    let err = put(&plain).await.expect_err("SSE-C over HTTP");
    assert_eq!(status_and_code(&err), (400, "InvalidRequest".to_owned()));
    let err = plain
        .head_object()
        .bucket("demo")
        .key("customer-key.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 404, "nothing stored");

    put(&tls).await.expect("SSE-C over HTTPS");
    let got = tls
        .get_object()
        .bucket("demo")
        .key("customer-key.txt")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(key_b64)
        .sse_customer_key_md5(md5_b64)
        .send()
        .await
        .expect("SSE-C GET over HTTPS");
    assert_eq!(got.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"encrypted with my key"
    );
    let err = plain
        .get_object()
        .bucket("demo")
        .key("customer-key.txt")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(key_b64)
        .sse_customer_key_md5(md5_b64)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (400, "InvalidRequest".to_owned()));

    // Directly without the key: 400, as S3 does; through the access point (which cannot pass
    // a customer key on): 400, over either transport.
    let err = tls
        .get_object()
        .bucket("demo")
        .key("customer-key.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 400);
    for client in [&plain, &tls] {
        let err = client
            .get_object()
            .bucket("passthrough")
            .key("customer-key.txt")
            .send()
            .await
            .unwrap_err();
        assert_eq!(status_and_code(&err), (400, "InvalidRequest".to_owned()));
        let err = client
            .get_object()
            .bucket("passthrough")
            .key("report.csv")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(key_b64)
            .sse_customer_key_md5(md5_b64)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status_and_code(&err).0, 400, "{err:?}");
    }
    emu.shutdown().await;
}

/// A function run as its real binary gets `AWS_CA_BUNDLE` (the generated certificate) and
/// the HTTPS endpoint: its `inputS3Url` fetch and its WriteGetObjectResponse both verify the
/// emulator's certificate, and a GET through it over HTTPS works.
#[tokio::test]
async fn process_functions_get_the_ca_bundle() {
    let bin = crate::runtime::function_binary("passthrough");
    let f: Arc<dyn Function> = Arc::new(
        ProcessFunction::builder("passthrough", bin)
            .credential(Credential::new(AK, SK))
            .build(),
    );
    let emu = start(Config::default_for(&["passthrough"]), &[("passthrough", f)]).await;
    let tls = https_client(emu.tls_endpoint_url().unwrap(), emu.tls_cert().unwrap()).await;
    let got = tls
        .get_object()
        .bucket("passthrough")
        .key("report.csv")
        .send()
        .await
        .expect("GET through the process function over HTTPS");
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        sample("report.csv")
    );
    emu.shutdown().await;
}
