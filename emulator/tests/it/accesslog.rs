//! Server access logs: records for direct and Object Lambda requests reach the target bucket
//! in S3's format, without secrets; batches are written by size and by time; a bucket that
//! logs into itself is refused.

use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
use object_lambda_emulator::{
    AccessPointConfig, BucketConfig, Config, Credential, Emulator, InProcess, Logging, OlapConfig,
    RunningEmulator,
};

use crate::{AK, SK, status_and_code};

/// Bucket `data` logging into `logs` under `data/`, an access point and a passthrough OLAP.
fn config(flush_ms: u64, max_records: usize) -> Config {
    Config {
        credentials: vec![Credential::new(AK, SK)],
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

async fn start(config: Config) -> (RunningEmulator, aws_sdk_s3::Client) {
    let cred = Credential::new(AK, SK);
    let emu = Emulator::builder()
        .config(config)
        .function(
            "passthrough",
            InProcess::new(passthrough::function::Passthrough, &cred),
        )
        .start()
        .await
        .expect("emulator starts");
    let client = crate::functions::s3_client(emu.endpoint_url(), AK, SK);
    (emu, client)
}

/// The log objects under `logs/data/`, each as its lines.
async fn log_objects(c: &aws_sdk_s3::Client) -> Vec<(String, Vec<String>)> {
    let listed = c
        .list_objects_v2()
        .bucket("logs")
        .prefix("data/")
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for o in listed.contents() {
        let key = o.key().unwrap().to_owned();
        let body = c
            .get_object()
            .bucket("logs")
            .key(&key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        out.push((key, text.lines().map(str::to_owned).collect()));
    }
    out
}

/// Waits until at least `n` records were delivered (or `limit` passed).
async fn wait_for_records(c: &aws_sdk_s3::Client, n: usize, limit: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        let lines: Vec<String> = log_objects(c)
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
    let (emu, c) = start(config(100, 1000)).await;
    c.put_object()
        .bucket("data")
        .key("dir/new file.txt")
        .body(ByteStream::from_static(b"hello log"))
        .send()
        .await
        .unwrap();
    c.get_object()
        .bucket("data")
        .key("dir/new file.txt")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap();
    c.head_object()
        .bucket("data")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    c.list_objects_v2().bucket("data").send().await.unwrap();
    let missing = c
        .get_object()
        .bucket("data")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&missing).0, 404);
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
    let through = c
        .get_object()
        .bucket("passthrough")
        .key("report.csv")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let lines = wait_for_records(&c, 8, Duration::from_secs(10)).await;
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
    emu.shutdown().await;
}

#[tokio::test]
async fn a_full_batch_is_written_at_once() {
    // Time flush far away: only the size can write the batch.
    let (emu, c) = start(config(600_000, 3)).await;
    for key in ["report.csv", "notes.txt", "data.json"] {
        c.head_object()
            .bucket("data")
            .key(key)
            .send()
            .await
            .unwrap();
    }
    let objects = {
        let start = Instant::now();
        loop {
            let o = log_objects(&c).await;
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
    c.head_object()
        .bucket("data")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log_objects(&c).await.len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn records_are_written_after_the_flush_interval() {
    let (emu, c) = start(config(200, 1000)).await;
    let asked = Instant::now();
    c.head_object()
        .bucket("data")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    let lines = wait_for_records(&c, 1, Duration::from_secs(10)).await;
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    emu.shutdown().await;
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
        .function(
            "passthrough",
            InProcess::new(passthrough::function::Passthrough, &Credential::new(AK, SK)),
        )
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
    let (emu, c) = start(config(100, 1000)).await;
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
        .await
        .unwrap_err();
    assert_eq!(
        status_and_code(&refused),
        (400, "InvalidTargetBucketForLogging".to_owned())
    );
    // Turning logging off.
    c.put_bucket_logging()
        .bucket("data")
        .bucket_logging_status(BucketLoggingStatus::builder().build())
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_logging().bucket("data").send().await.unwrap();
    assert!(got.logging_enabled().is_none());
    emu.shutdown().await;
}
