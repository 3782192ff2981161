//! Server access logs: records for direct and Object Lambda requests reach the target bucket
//! in S3's format, without secrets; batches are written by size and by time; a bucket that
//! logs into itself is refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
use object_lambda_emulator::test_util::{self, SECRET_KEY as SK, TestEmulator};
use object_lambda_emulator::{
    AccessPointConfig, BucketConfig, Config, Emulator, Function, Logging, OlapConfig,
};

/// Bucket `data` logging into `logs` under `data/`, an access point and a passthrough OLAP.
fn config(flush_ms: u64, max_records: usize) -> Config {
    Config {
        credentials: vec![test_util::credential()],
        access_log_flush_ms: flush_ms,
        access_log_max_records: max_records,
        buckets: vec![
            BucketConfig {
                name: "data".into(),
                seed_samples: true,
                logging: Some(Logging {
                    target_bucket: "logs".into(),
                    target_prefix: "data/".into(),
                }),
                ..BucketConfig::default()
            },
            BucketConfig {
                name: "logs".into(),
                ..BucketConfig::default()
            },
        ],
        access_points: vec![AccessPointConfig {
            policy: None,
            name: "data-ap".into(),
            bucket: "data".into(),
        }],
        object_lambda_access_points: vec![OlapConfig {
            supporting_access_point: "data-ap".into(),
            ..OlapConfig::default_for("passthrough")
        }],
        ..Config::default()
    }
}

fn passthrough() -> Arc<dyn Function> {
    test_util::in_process(passthrough::function::Passthrough)
}

async fn start(config: Config) -> TestEmulator {
    TestEmulator::start(config, [("passthrough", passthrough())]).await
}

/// The log objects under `logs/data/`, each as its lines.
async fn log_objects(c: &aws_sdk_s3::Client) -> Vec<(String, Vec<String>)> {
    log_objects_in(c, "logs", "data/").await
}

/// The log objects in `bucket` under `prefix`, each as its lines.
async fn log_objects_in(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Vec<(String, Vec<String>)> {
    let listed = c
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for o in listed.contents() {
        let key = o.key().unwrap().to_owned();
        let body = test_util::get_bytes(c, bucket, &key).await;
        let text = String::from_utf8(body.to_vec()).unwrap();
        out.push((key, text.lines().map(str::to_owned).collect()));
    }
    out
}

/// Waits until at least `n` records were delivered to `logs/data/` (or `limit` passed).
async fn wait_for_records(c: &aws_sdk_s3::Client, n: usize, limit: Duration) -> Vec<String> {
    wait_for_records_in(c, "logs", "data/", n, limit).await
}

/// Waits until at least `n` records were delivered to `bucket` under `prefix` (or `limit`
/// passed).
async fn wait_for_records_in(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    n: usize,
    limit: Duration,
) -> Vec<String> {
    let start = Instant::now();
    loop {
        let lines: Vec<String> = log_objects_in(c, bucket, prefix)
            .await
            .into_iter()
            .flat_map(|(_, l)| l)
            .collect();
        if lines.len() >= n || start.elapsed() > limit {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Splits a record into its fields: `"..."` and `[...]` are one field each.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut f = String::new();
        let close = match c {
            '"' => Some('"'),
            '[' => Some(']'),
            _ => None,
        };
        if let Some(close) = close {
            f.push(chars.next().unwrap());
            while let Some(c) = chars.next() {
                f.push(c);
                if c == '\\' {
                    f.extend(chars.next());
                } else if c == close {
                    break;
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                f.push(c);
                chars.next();
            }
        }
        out.push(f);
    }
    out
}

fn find<'a>(records: &'a [Vec<String>], op: &str, uri_part: &str) -> &'a Vec<String> {
    records
        .iter()
        .find(|f| f[6] == op && f[8].contains(uri_part))
        .unwrap_or_else(|| panic!("no {op} record with {uri_part} in {records:#?}"))
}

#[tokio::test]
async fn direct_and_object_lambda_requests_are_logged_in_s3_format() {
    let env = start(config(100, 1000)).await;
    let c = &env.s3;
    test_util::put_object(
        c,
        "data",
        "dir/new file.txt",
        "text/plain",
        &b"hello log"[..],
    )
    .await;
    test_util::get_bytes(c, "data", "dir/new file.txt").await;
    test_util::head_object(c, "data", "report.csv").await;
    c.list_objects_v2().bucket("data").send().await.unwrap();
    let missing = c.get_object().bucket("data").key("missing").send().await;
    test_util::assert_s3_error(missing, 404, "NoSuchKey");
    // A presigned GET: its signature must not reach the log.
    let presigned = c
        .get_object()
        .bucket("data")
        .key("notes.txt")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    let signature = presigned
        .uri()
        .split("X-Amz-Signature=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let status = reqwest::get(presigned.uri()).await.unwrap().status();
    assert_eq!(status, 200);
    // Through the Object Lambda Access Point: the caller's GET and the function's fetch.
    let through = test_util::get_bytes(c, "passthrough", "report.csv").await;
    let lines = wait_for_records(c, 8, Duration::from_secs(10)).await;
    assert!(lines.len() >= 8, "{lines:#?}");
    let records: Vec<Vec<String>> = lines.iter().map(|l| fields(l)).collect();
    for (line, f) in lines.iter().zip(&records) {
        assert_eq!(f.len(), 27, "27 fields: {line}");
        assert_eq!(f[1], "data", "{line}");
        assert!(f[2].starts_with('[') && f[2].ends_with(" +0000]"), "{line}");
        assert!(f[9].parse::<u16>().is_ok(), "status: {line}");
        assert!(!line.contains(&signature), "signature logged: {line}");
        assert!(!line.contains(SK), "secret logged: {line}");
        assert!(
            !line.contains("hello log"),
            "object contents logged: {line}"
        );
    }
    let put = find(&records, "REST.PUT.OBJECT", "/data/dir/new%20file.txt");
    assert_eq!(put[7], "dir/new%20file.txt");
    assert_eq!(put[4], "arn:aws:iam::111122223333:user/emulator-user");
    assert_eq!(put[9], "200");
    assert_eq!(put[12], "9", "object size");
    assert_eq!(
        (put[19].as_str(), put[21].as_str()),
        ("SigV4", "AuthHeader")
    );
    assert_eq!(put[3], "127.0.0.1");
    let get = find(&records, "REST.GET.OBJECT", "/data/dir/new%20file.txt");
    assert_eq!(
        (get[11].as_str(), get[12].as_str()),
        ("9", "9"),
        "bytes sent, size"
    );
    assert!(
        get[16].contains("aws-sdk-rust"),
        "user agent: {:?}",
        get[16]
    );
    find(&records, "REST.HEAD.OBJECT", "/data/report.csv");
    find(&records, "REST.GET.BUCKET", "list-type=2");
    let miss = find(&records, "REST.GET.OBJECT", "/data/missing");
    assert_eq!((miss[9].as_str(), miss[10].as_str()), ("404", "NoSuchKey"));
    let pre = find(&records, "REST.GET.OBJECT", "/data/notes.txt");
    assert_eq!(pre[21], "QueryString");
    assert!(pre[8].contains("X-Amz-Signature=REDACTED"), "{:?}", pre[8]);
    // The Object Lambda GET names the Object Lambda Access Point.
    let olap = find(&records, "REST.GET.OBJECT", "/passthrough/report.csv");
    assert_eq!(
        olap[24],
        "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/passthrough"
    );
    assert_eq!(olap[11], through.len().to_string(), "bytes sent");
    // The function's fetch of the original: presigned, its signature and grant redacted.
    let fetch = records
        .iter()
        .find(|f| f[8].starts_with("\"GET /data/report.csv?") && f[21] == "QueryString")
        .unwrap_or_else(|| panic!("no fetch record in {records:#?}"));
    assert!(
        fetch[8].contains("X-Amz-Signature=REDACTED"),
        "{:?}",
        fetch[8]
    );
    assert!(!fetch[8].contains("x-olap-grant=") || fetch[8].contains("x-olap-grant=REDACTED"));
    env.stop().await;
}

#[tokio::test]
async fn a_full_batch_is_written_at_once() {
    // Time flush far away: only the size can write the batch.
    let env = start(config(600_000, 3)).await;
    let c = &env.s3;
    for key in ["report.csv", "notes.txt", "data.json"] {
        test_util::head_object(c, "data", key).await;
    }
    let objects = {
        let start = Instant::now();
        loop {
            let o = log_objects(c).await;
            if !o.is_empty() || start.elapsed() > Duration::from_secs(10) {
                break o;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(objects.len(), 1, "{objects:#?}");
    let (key, lines) = &objects[0];
    assert_eq!(lines.len(), 3);
    // prefix + YYYY-mm-DD-HH-MM-SS-UniqueString
    let name = key.strip_prefix("data/").unwrap();
    let parts: Vec<&str> = name.split('-').collect();
    assert_eq!(parts.len(), 7, "{key}");
    assert!(
        parts[..6]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit())),
        "{key}"
    );
    // A fourth record waits for the next batch.
    test_util::head_object(c, "data", "report.csv").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log_objects(c).await.len(), 1);
    env.stop().await;
}

#[tokio::test]
async fn records_are_written_after_the_flush_interval() {
    let env = start(config(200, 1000)).await;
    let c = &env.s3;
    let asked = Instant::now();
    test_util::head_object(c, "data", "report.csv").await;
    let lines = wait_for_records(c, 1, Duration::from_secs(10)).await;
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    env.stop().await;
}

#[tokio::test]
async fn logging_into_the_bucket_itself_is_refused() {
    let mut looped = config(100, 1000);
    looped.buckets[0].logging = Some(Logging {
        target_bucket: "data".into(),
        target_prefix: String::new(),
    });
    let err = Emulator::builder()
        .config(looped)
        .function("passthrough", passthrough())
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("log loop"), "{err}");
    let mut unknown = config(100, 1000);
    unknown.buckets[0].logging.as_mut().unwrap().target_bucket = "nowhere".into();
    assert!(
        unknown
            .validate()
            .unwrap_err()
            .to_string()
            .contains("`nowhere` is not a configured bucket")
    );

    // Through the API: GetBucketLogging shows the configuration; a loop is refused there too.
    let env = start(config(100, 1000)).await;
    let c = &env.s3;
    let got = c.get_bucket_logging().bucket("data").send().await.unwrap();
    let enabled = got.logging_enabled().unwrap();
    assert_eq!(
        (enabled.target_bucket(), enabled.target_prefix()),
        ("logs", "data/")
    );
    let refused = c
        .put_bucket_logging()
        .bucket("data")
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket("data")
                        .target_prefix("self/")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    test_util::assert_s3_error(refused, 400, "InvalidTargetBucketForLogging");
    // Turning logging off.
    c.put_bucket_logging()
        .bucket("data")
        .bucket_logging_status(BucketLoggingStatus::builder().build())
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_logging().bucket("data").send().await.unwrap();
    assert!(got.logging_enabled().is_none());
    env.stop().await;
}

/// A HEAD that fails has no body, yet its record names the error code, as S3's does
/// (`NoSuchKey` for a HEAD 404 of a missing key), directly and through an Object Lambda
/// Access Point.
#[tokio::test]
async fn failed_heads_log_their_error_code() {
    let env = start(config(100, 1000)).await;
    let c = &env.s3;
    let missing = c.head_object().bucket("data").key("missing").send().await;
    test_util::assert_s3_status(missing, 404);
    // Through the Object Lambda Access Point (passthrough answers HEAD from the original's).
    let through = c
        .head_object()
        .bucket("passthrough")
        .key("nope")
        .send()
        .await;
    test_util::assert_s3_status(through, 404);
    // Three records: the direct HEAD, the function's HEAD of the original, the caller's HEAD.
    let lines = wait_for_records(c, 3, Duration::from_secs(10)).await;
    let records: Vec<Vec<String>> = lines.iter().map(|l| fields(l)).collect();
    let head = find(&records, "REST.HEAD.OBJECT", "/data/missing");
    assert_eq!((head[9].as_str(), head[10].as_str()), ("404", "NoSuchKey"));
    assert_eq!(head[11], "-", "no body sent: {head:?}");
    let olap = find(&records, "REST.HEAD.OBJECT", "/passthrough/nope");
    assert_eq!((olap[9].as_str(), olap[10].as_str()), ("404", "NoSuchKey"));
    assert_eq!(olap[11], "-", "no body sent: {olap:?}");
    env.stop().await;
}

/// Over HTTPS the record carries the negotiated TLS version and cipher suite as S3 writes
/// them (OpenSSL names for TLS 1.2, IANA names for TLS 1.3); over plain HTTP both are `-`.
#[tokio::test]
async fn https_records_carry_the_tls_version_and_cipher_suite() {
    let mut cfg = config(100, 1000);
    cfg.tls_listen = Some("127.0.0.1:0".parse().unwrap());
    let env = start(cfg).await;
    let c = &env.s3;
    let https = env.emulator.tls_endpoint_url().unwrap().to_owned();
    let pem = std::fs::read(env.emulator.tls_cert().unwrap()).unwrap();
    let presign = |key: &'static str| {
        let plain = test_util::client(&https, test_util::ACCESS_KEY, SK);
        async move {
            plain
                .get_object()
                .bucket("data")
                .key(key)
                .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
                .await
                .unwrap()
                .uri()
                .to_owned()
        }
    };
    for (key, version) in [
        ("notes.txt", reqwest::tls::Version::TLS_1_2),
        ("data.json", reqwest::tls::Version::TLS_1_3),
    ] {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
            .tls_version_min(version)
            .tls_version_max(version)
            .build()
            .unwrap();
        let r = client.get(presign(key).await).send().await.unwrap();
        assert_eq!(r.status(), 200, "{key}");
        r.bytes().await.unwrap();
    }
    test_util::head_object(c, "data", "report.csv").await;
    let lines = wait_for_records(c, 3, Duration::from_secs(10)).await;
    let records: Vec<Vec<String>> = lines.iter().map(|l| fields(l)).collect();
    // rcgen's certificate is ECDSA: the TLS 1.2 suites are ECDHE-ECDSA ones.
    let tls12 = find(&records, "REST.GET.OBJECT", "/data/notes.txt");
    assert_eq!(tls12[23], "TLSv1.2", "{tls12:?}");
    assert!(
        [
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-CHACHA20-POLY1305"
        ]
        .contains(&tls12[20].as_str()),
        "{tls12:?}"
    );
    let tls13 = find(&records, "REST.GET.OBJECT", "/data/data.json");
    assert_eq!(tls13[23], "TLSv1.3", "{tls13:?}");
    assert!(
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
        .contains(&tls13[20].as_str()),
        "{tls13:?}"
    );
    let plain = find(&records, "REST.HEAD.OBJECT", "/data/report.csv");
    assert_eq!((plain[20].as_str(), plain[23].as_str()), ("-", "-"));
    env.stop().await;
}

/// The gateway's `[[buckets]]` entry for `data` logging into the backend's `logs` under `gw/`.
const GATEWAY_LOGGING: &str = r#"
[[buckets]]
name = "data"
logging = { target_bucket = "logs", target_prefix = "gw/" }
"#;

/// All objects of a moto bucket (keys).
async fn keys(c: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = c.list_objects_v2().bucket(bucket).send().await.unwrap();
    listed
        .contents()
        .iter()
        .map(|o| o.key().unwrap().to_owned())
        .collect()
}

/// The gateway writes the records of requests through its access points into the target
/// bucket of its backend (moto), in S3's format, with the gateway's backend credentials; records
/// still waiting at SIGTERM are written; without `logging` nothing is written; a log loop is
/// refused at start.
#[tokio::test]
async fn the_gateway_delivers_access_logs_into_the_backend() {
    use aws_sdk_s3::operation::RequestId;

    use crate::gateway::{self, GatewayProc, Moto, REPORT};
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    moto.bucket("logs", &[]).await;
    let backend = moto.client();
    let functions = gateway::binary_functions();
    let olaps = [("pass", "passthrough")];

    // Not configured: requests go through, nothing is written.
    let quiet = GatewayProc::start(&gateway::config(
        &moto.url,
        "access_log_flush_ms = 50",
        &olaps,
        &functions,
    ));
    assert_eq!(
        gateway::get(&quiet.client(), "pass", "report.csv").await,
        REPORT
    );
    drop(quiet);

    let extra = format!("access_log_flush_ms = 100\n{GATEWAY_LOGGING}");
    let gw = GatewayProc::start(&gateway::config(&moto.url, &extra, &olaps, &functions));
    let c = gw.client();
    let got = test_util::get_object(&c, "pass", "report.csv").await;
    let request_id = got.request_id().unwrap().to_owned();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), REPORT);
    let missing = c.get_object().bucket("pass").key("missing").send().await;
    test_util::assert_s3_error(missing, 404, "NoSuchKey");
    let head = c.head_object().bucket("pass").key("missing").send().await;
    test_util::assert_s3_status(head, 404);
    // A presigned GET: its signature must not reach the log.
    let url = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap()
        .uri()
        .to_owned();
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap().to_owned();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);

    let lines = wait_for_records_in(&backend, "logs", "gw/", 4, Duration::from_secs(15)).await;
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let records: Vec<Vec<String>> = lines.iter().map(|l| fields(l)).collect();
    for (line, f) in lines.iter().zip(&records) {
        assert_eq!(f.len(), 27, "27 fields: {line}");
        assert_eq!(f[1], "data", "{line}");
        assert_eq!(
            f[24], "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/pass",
            "{line}"
        );
        assert!(!line.contains(&signature), "signature logged: {line}");
        assert!(!line.contains(gateway::SK), "secret logged: {line}");
        assert!(!line.contains("jane.doe"), "object contents logged: {line}");
    }
    let get = records
        .iter()
        .find(|f| f[5] == request_id)
        .unwrap_or_else(|| panic!("no record of request {request_id}: {records:#?}"));
    assert_eq!(get[6], "REST.GET.OBJECT");
    assert_eq!(get[7], "report.csv");
    assert!(get[8].starts_with("\"GET /pass/report.csv"), "{:?}", get[8]);
    assert_eq!((get[9].as_str(), get[10].as_str()), ("200", "-"));
    assert_eq!(get[11], REPORT.len().to_string(), "bytes sent");
    assert_eq!(get[4], "arn:aws:iam::111122223333:user/alice");
    assert_eq!(get[3], "127.0.0.1");
    assert_eq!(
        (get[19].as_str(), get[21].as_str()),
        ("SigV4", "AuthHeader")
    );
    assert!(
        get[16].contains("aws-sdk-rust"),
        "user agent: {:?}",
        get[16]
    );
    let miss = find(&records, "REST.GET.OBJECT", "/pass/missing");
    assert_eq!((miss[9].as_str(), miss[10].as_str()), ("404", "NoSuchKey"));
    let head = find(&records, "REST.HEAD.OBJECT", "/pass/missing");
    assert_eq!((head[9].as_str(), head[10].as_str()), ("404", "NoSuchKey"));
    assert_eq!(head[11], "-", "no body sent: {head:?}");
    let pre = records
        .iter()
        .find(|f| f[21] == "QueryString")
        .unwrap_or_else(|| panic!("no presigned record in {records:#?}"));
    assert!(pre[8].contains("X-Amz-Signature=REDACTED"), "{:?}", pre[8]);
    drop(gw);
    // Only log objects were written, and only by the gateway that logs.
    assert_eq!(keys(&backend, "data").await, ["report.csv"]);
    assert!(
        keys(&backend, "logs")
            .await
            .iter()
            .all(|k| k.starts_with("gw/"))
    );

    // Records still waiting at SIGTERM are written before the gateway exits.
    let extra = format!("access_log_flush_ms = 600000\n{GATEWAY_LOGGING}");
    let mut gw = GatewayProc::start(&gateway::config(&moto.url, &extra, &olaps, &functions));
    let before = keys(&backend, "logs").await.len();
    assert_eq!(
        gateway::get(&gw.client(), "pass", "report.csv").await,
        REPORT
    );
    let status = gateway::terminate(&mut gw.child).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert_eq!(keys(&backend, "logs").await.len(), before + 1);

    // A bucket logging into itself.
    let looped = GATEWAY_LOGGING.replace("\"logs\"", "\"data\"");
    let err = GatewayProc::try_start(&gateway::config(&moto.url, &looped, &olaps, &functions))
        .err()
        .expect("a log loop is refused");
    assert!(err.contains("log loop"), "{err}");
}
