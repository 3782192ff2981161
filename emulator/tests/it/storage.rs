//! The store under attack and faults: keys that look like paths, rejected writes,
//! non-empty buckets, multipart as S3 runs it, and connections that never finish.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use crate::raw::Request;
use crate::{start, status_and_code};

/// Every file the emulator wrote is inside `buckets/<a known bucket>/` or `.tmp/`.
fn assert_files_inside(data_dir: &Path, buckets: &[&str]) {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(data_dir, &mut files);
    for f in files {
        let rel = f.strip_prefix(data_dir).unwrap();
        let mut parts = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        match parts.next().as_deref() {
            Some(".tmp") => {}
            Some("buckets") => {
                let b = parts.next().unwrap_or_default();
                assert!(
                    buckets.contains(&b.as_str()),
                    "file in unknown bucket folder: {}",
                    rel.display()
                );
            }
            _ => panic!("file outside the layout: {}", rel.display()),
        }
    }
}

async fn bucket_names(c: &aws_sdk_s3::Client) -> Vec<String> {
    let mut v: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    v.sort();
    v
}

async fn get_bytes(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    c.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key:?}: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn keys_that_look_like_paths_stay_keys() {
    let env = start().await;
    let c = &env.client;
    c.create_bucket().bucket("other").send().await.unwrap();
    let before = bucket_names(c).await;
    let long = "k".repeat(1024);
    let deep = "d/".repeat(300) + "leaf";
    let keys = [
        "..",
        ".",
        "../other/stolen",
        "a/../../escape",
        "../../../../etc/passwd",
        "/absolute/key",
        "..\\windows\\..\\x",
        "../sse-c.json",
        "../.bucket-data.internal.json",
        "%2e%2e",
        "ends/with/slash/",
        long.as_str(),
        deep.as_str(),
    ];
    for (i, key) in keys.iter().enumerate() {
        c.put_object()
            .bucket("data")
            .key(*key)
            .body(ByteStream::from(format!("body {i}").into_bytes()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("PUT {key:?}: {e:?}"));
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            get_bytes(c, "data", key).await,
            format!("body {i}").as_bytes(),
            "{key:?}"
        );
    }
    // Nothing appeared in the other bucket, no bucket was made, nothing left the layout.
    let other = c.list_objects_v2().bucket("other").send().await.unwrap();
    assert_eq!(other.key_count(), Some(0));
    assert_eq!(bucket_names(c).await, before);
    assert_files_inside(env.emu.data_dir(), &["data", "other"]);
    // Listing returns the keys as they were written.
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_objects_v2()
            .bucket("data")
            .set_continuation_token(token)
            .max_keys(5)
            .send()
            .await
            .unwrap();
        listed.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    for key in keys {
        assert!(listed.iter().any(|k| k == key), "{key:?} not listed");
    }
    // A NUL byte is a valid key character too (listings need encoding-type=url for it).
    c.put_object()
        .bucket("data")
        .key("nul\u{0}byte")
        .body(ByteStream::from_static(b"nul"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(c, "data", "nul\u{0}byte").await, b"nul");
    // S3's limit: 1 024 bytes.
    let err = c
        .put_object()
        .bucket("data")
        .key("k".repeat(1025))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (400, "KeyTooLongError".to_owned()));
    env.emu.shutdown().await;
}

#[tokio::test]
async fn percent_encoded_dot_segments_reach_no_internal_file() {
    let env = start().await;
    let url = env.emu.endpoint_url();
    for path in [
        "/data/..%2Fsse-c.json",
        "/data/..%2F..%2Fbuckets",
        "/data/%2E%2E",
        "/data/..",
        "/data/a/../..",
        "/data/..%5Cx",
    ] {
        let r = Request::new("GET", path).send(url).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "NoSuchKey"),
            "GET {path}: {r:?}"
        );
    }
    let mut put = Request::new("PUT", "/data/..%2F..%2Fother-bucket%2Fx");
    put.body = b"written".to_vec();
    let r = put.send(url).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        get_bytes(&env.client, "data", "../../other-bucket/x").await,
        b"written"
    );
    assert_files_inside(env.emu.data_dir(), &["data"]);
    env.emu.shutdown().await;
}

#[test]
fn any_key_round_trips_and_stays_in_its_bucket() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(start());
    let segment = prop_oneof![
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
        Just("\\".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("\u{0}".to_owned()),
        "[a-z%.\\\\]{1,8}",
        "[a-z]{200,255}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ];
    let key = prop::collection::vec(segment, 1..6)
        .prop_map(|v| v.join("/"))
        .prop_filter("S3 keys are 1..=1024 bytes", |k| {
            !k.is_empty() && k.len() <= 1024
        });
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 48,
        ..Default::default()
    });
    runner
        .run(&(key, any::<Vec<u8>>()), |(key, body)| {
            rt.block_on(async {
                env.client
                    .put_object()
                    .bucket("data")
                    .key(&key)
                    .body(ByteStream::from(body.clone()))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("PUT {key:?}: {e:?}"));
                assert_eq!(get_bytes(&env.client, "data", &key).await, body, "{key:?}");
            });
            Ok(())
        })
        .unwrap();
    assert_files_inside(env.emu.data_dir(), &["data"]);
    rt.block_on(async {
        assert_eq!(bucket_names(&env.client).await, ["data"]);
    });
}

#[tokio::test]
async fn a_rejected_write_changes_nothing() {
    let env = start().await;
    let c = &env.client;
    c.put_object()
        .bucket("data")
        .key("kept.txt")
        .body(ByteStream::from_static(b"original"))
        .send()
        .await
        .unwrap();
    // Body not matching its signed x-amz-content-sha256.
    let mut put = Request::new("PUT", "/data/kept.txt");
    put.body = b"tampered".to_vec();
    put.payload_hash = Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"original",
    )));
    let r = put.send(env.emu.endpoint_url()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "XAmzContentSHA256Mismatch"),
        "{r:?}"
    );
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // Content-MD5 of other bytes.
    let err = c
        .put_object()
        .bucket("data")
        .key("kept.txt")
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(ByteStream::from_static(b"tampered"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (400, "BadDigest".to_owned()));
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // A checksum of other bytes.
    let err = c
        .put_object()
        .bucket("data")
        .key("kept.txt")
        .checksum_crc32("AAAAAA==")
        .body(ByteStream::from_static(b"tampered"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (400, "BadDigest".to_owned()));
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // No temporary file is left behind.
    let tmp: Vec<_> = std::fs::read_dir(env.emu.data_dir().join(".tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn a_bucket_with_objects_is_not_deleted() {
    let env = start().await;
    let c = &env.client;
    c.create_bucket().bucket("full").send().await.unwrap();
    c.put_object()
        .bucket("full")
        .key("a")
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap();
    let err = c.delete_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(status_and_code(&err), (409, "BucketNotEmpty".to_owned()));
    assert_eq!(get_bytes(c, "full", "a").await, b"a");
    c.delete_object()
        .bucket("full")
        .key("a")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket("full").send().await.unwrap();
    let err = c.head_bucket().bucket("full").send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    env.emu.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_as_s3_runs_it() {
    let env = start().await;
    let c = &env.client;
    let part1 = vec![b'x'; 5 * 1024 * 1024];
    let up = c
        .create_multipart_upload()
        .bucket("data")
        .key("mp.bin")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, body) in [(1, part1.clone()), (2, b"tail".to_vec())] {
        let r = c
            .upload_part()
            .bucket("data")
            .key("mp.bin")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        parts.push((n, r.e_tag().unwrap().to_owned()));
    }
    let complete = |etags: &[(i32, String)]| {
        c.complete_multipart_upload()
            .bucket("data")
            .key("mp.bin")
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(
                        etags
                            .iter()
                            .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build())
                            .collect(),
                    ))
                    .build(),
            )
            .send()
    };
    let wrong = [
        (1, parts[0].1.clone()),
        (2, "\"0123456789abcdef0123456789abcdef\"".to_owned()),
    ];
    let err = complete(&wrong).await.unwrap_err();
    assert_eq!(status_and_code(&err), (400, "InvalidPart".to_owned()));
    let reversed = [parts[1].clone(), parts[0].clone()];
    let err = complete(&reversed).await.unwrap_err();
    assert_eq!(status_and_code(&err), (400, "InvalidPartOrder".to_owned()));
    // The upload survived the failed completes.
    let done = complete(&parts).await.unwrap();
    assert!(
        done.e_tag().unwrap().ends_with("-2\""),
        "{:?}",
        done.e_tag()
    );
    // partNumber reads that part.
    let p2 = c
        .get_object()
        .bucket("data")
        .key("mp.bin")
        .part_number(2)
        .send()
        .await
        .unwrap();
    let total = part1.len() + 4;
    assert_eq!(
        p2.content_range(),
        Some(format!("bytes {}-{}/{total}", part1.len(), total - 1).as_str())
    );
    assert_eq!(p2.parts_count(), Some(2));
    assert_eq!(
        p2.body.collect().await.unwrap().into_bytes().as_ref(),
        b"tail"
    );
    let err = c
        .get_object()
        .bucket("data")
        .key("mp.bin")
        .part_number(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (416, "InvalidPartNumber".to_owned()));
    // A single-part object: part 1 is the whole object (206), part 2 is 416.
    let one = c
        .get_object()
        .bucket("data")
        .key("report.csv")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert!(
        one.content_range()
            .is_some_and(|r| r.starts_with("bytes 0-"))
    );
    let err = c
        .get_object()
        .bucket("data")
        .key("report.csv")
        .part_number(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).1, "InvalidPartNumber");

    // Aborted and completed uploads leave no part files.
    let up = c
        .create_multipart_upload()
        .bucket("data")
        .key("gone.bin")
        .send()
        .await
        .unwrap();
    let gone = up.upload_id().unwrap();
    c.upload_part()
        .bucket("data")
        .key("gone.bin")
        .upload_id(gone)
        .part_number(1)
        .body(ByteStream::from_static(b"bytes"))
        .send()
        .await
        .unwrap();
    c.abort_multipart_upload()
        .bucket("data")
        .key("gone.bin")
        .upload_id(gone)
        .send()
        .await
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(env.emu.data_dir().join("buckets/data/uploads"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let err = c
        .upload_part()
        .bucket("data")
        .key("gone.bin")
        .upload_id(gone)
        .part_number(2)
        .body(ByteStream::from_static(b"bytes"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err), (404, "NoSuchUpload".to_owned()));

    // An oversized CompleteMultipartUpload body is a client error, not a 500.
    let up = c
        .create_multipart_upload()
        .bucket("data")
        .key("huge.bin")
        .send()
        .await
        .unwrap();
    let path = format!("/data/huge.bin?uploadId={}", up.upload_id().unwrap());
    let mut big = Request::new("POST", &path);
    let mut xml = String::from("<CompleteMultipartUpload>");
    while xml.len() < 21 * 1024 * 1024 {
        xml.push_str("<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>");
    }
    xml.push_str("</CompleteMultipartUpload>");
    big.body = xml.into_bytes();
    let r = big.send(env.emu.endpoint_url()).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "MaxMessageLengthExceeded"),
        "{r:?}"
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn signatures_for_other_regions_and_week_long_presigns_are_refused() {
    let env = start().await;
    let url = env.emu.endpoint_url();
    for path in ["/data/report.csv", "/upper/report.csv"] {
        let mut r = Request::new("GET", path);
        r.region = "eu-west-1";
        let r = r.send(url).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "AuthorizationHeaderMalformed"),
            "{path}: {r:?}"
        );
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            text.contains("eu-west-1") && text.contains("expecting"),
            "{text}"
        );
    }
    let presigned = env
        .client
        .get_object()
        .bucket("upper")
        .key("report.csv")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap(),
        )
        .await
        .unwrap();
    let too_long = presigned
        .uri()
        .replace("X-Amz-Expires=60", "X-Amz-Expires=604801");
    let resp = reqwest::get(&too_long).await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>AuthorizationQueryParametersError</Code>")
    );
    env.emu.shutdown().await;
}

#[tokio::test]
async fn stalled_connections_are_closed_and_do_not_starve_others() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let config = object_lambda_emulator::Config {
        credentials: vec![object_lambda_emulator::Credential::new(
            crate::AK,
            crate::SK,
        )],
        buckets: vec![object_lambda_emulator::BucketConfig {
            policy: None,
            name: "data".into(),
            seed_dir: None,
            seed_samples: true,
            ..Default::default()
        }],
        max_connections: 32,
        header_read_timeout_ms: 400,
        ..object_lambda_emulator::Config::default()
    };
    let emu = object_lambda_emulator::Emulator::builder()
        .config(config)
        .start()
        .await
        .unwrap();
    let addr = emu.addr();
    // More stalled clients than connection slots, each sending half a request head.
    let mut stalled = Vec::new();
    for _ in 0..64 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /data/report.csv HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stalled.push(s);
    }
    // A real client still gets through once the stalled ones time out.
    let client = crate::functions::s3_client(emu.endpoint_url(), crate::AK, crate::SK);
    let got = tokio::time::timeout(
        Duration::from_secs(10),
        client.get_object().bucket("data").key("report.csv").send(),
    )
    .await
    .expect("a request is served while stalled clients hold connections")
    .unwrap();
    assert!(got.content_length().unwrap() > 0);
    // The stalled connections were closed by the server.
    for s in &mut stalled {
        let mut buf = [0_u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("the server closes a stalled connection")
            .unwrap_or(0);
        // Either closed at once or after a 408 answer.
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(n == 0 || text.starts_with("HTTP/1.1 408"), "{text}");
    }
    emu.shutdown().await;
}
