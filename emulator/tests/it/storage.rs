//! The store under attack and faults: keys that look like paths, rejected writes,
//! non-empty buckets, multipart as S3 runs it, and connections that never finish.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, assert_s3_status, body_bytes, put_bytes,
};

use crate::common::{complete_upload, delete, upload_parts};
use crate::raw::Request;
use crate::start;

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
    test_util::get_bytes(c, bucket, key).await.to_vec()
}

#[tokio::test]
async fn keys_that_look_like_paths_stay_keys() {
    let env = start().await;
    let c = &env.s3;
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
        put_bytes(c, "data", key, format!("body {i}")).await;
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
    assert_files_inside(env.emulator.data_dir(), &["data", "other"]);
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
    put_bytes(c, "data", "nul\u{0}byte", "nul").await;
    assert_eq!(get_bytes(c, "data", "nul\u{0}byte").await, b"nul");
    // S3's limit: 1 024 bytes.
    let too_long = c
        .put_object()
        .bucket("data")
        .key("k".repeat(1025))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_s3_error(too_long, 400, "KeyTooLongError");
    env.stop().await;
}

#[tokio::test]
async fn percent_encoded_dot_segments_reach_no_internal_file() {
    let env = start().await;
    let url = env.endpoint_url();
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
    let put = Request::new("PUT", "/data/..%2F..%2Fother-bucket%2Fx").with_body(*b"written");
    let r = put.send(url).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        get_bytes(&env.s3, "data", "../../other-bucket/x").await,
        b"written"
    );
    assert_files_inside(env.emulator.data_dir(), &["data"]);
    env.stop().await;
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
                put_bytes(&env.s3, "data", &key, body.clone()).await;
                assert_eq!(get_bytes(&env.s3, "data", &key).await, body, "{key:?}");
            });
            Ok(())
        })
        .unwrap();
    assert_files_inside(env.emulator.data_dir(), &["data"]);
    rt.block_on(async {
        assert_eq!(bucket_names(&env.s3).await, ["data"]);
    });
}

#[tokio::test]
async fn a_rejected_write_changes_nothing() {
    let env = start().await;
    let c = &env.s3;
    put_bytes(c, "data", "kept.txt", "original").await;
    // Body not matching its signed x-amz-content-sha256.
    let mut put = Request::new("PUT", "/data/kept.txt").with_body(*b"tampered");
    put.payload_hash = Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"original",
    )));
    let r = put.send(env.endpoint_url()).await;
    r.assert_error(400, "XAmzContentSHA256Mismatch");
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // Content-MD5 of other bytes.
    let put = || {
        c.put_object()
            .bucket("data")
            .key("kept.txt")
            .body(ByteStream::from_static(b"tampered"))
    };
    let md5 = put().content_md5("1B2M2Y8AsgTpgAmY7PhCfg==").send().await;
    assert_s3_error(md5, 400, "BadDigest");
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // A checksum of other bytes.
    let crc = put().checksum_crc32("AAAAAA==").send().await;
    assert_s3_error(crc, 400, "BadDigest");
    assert_eq!(get_bytes(c, "data", "kept.txt").await, b"original");
    // No temporary file is left behind.
    let tmp: Vec<_> = std::fs::read_dir(env.emulator.data_dir().join(".tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
    env.stop().await;
}

#[tokio::test]
async fn a_bucket_with_objects_is_not_deleted() {
    let env = start().await;
    let c = &env.s3;
    c.create_bucket().bucket("full").send().await.unwrap();
    put_bytes(c, "full", "a", "a").await;
    let refused = c.delete_bucket().bucket("full").send().await;
    assert_s3_error(refused, 409, "BucketNotEmpty");
    assert_eq!(get_bytes(c, "full", "a").await, b"a");
    delete(c, "full", "a", None).await.unwrap();
    c.delete_bucket().bucket("full").send().await.unwrap();
    assert_s3_status(c.head_bucket().bucket("full").send().await, 404);
    env.stop().await;
}

#[tokio::test]
async fn multipart_upload_as_s3_runs_it() {
    let env = start().await;
    let c = &env.s3;
    let part1 = vec![b'x'; 5 * 1024 * 1024];
    let (id, parts) =
        upload_parts(c, "data", "mp.bin", vec![part1.clone(), b"tail".to_vec()]).await;
    let complete = |etags| complete_upload(c, "data", "mp.bin", &id, etags);
    let wrong = [
        (1, parts[0].1.clone()),
        (2, "\"0123456789abcdef0123456789abcdef\"".to_owned()),
    ];
    assert_s3_error(complete(&wrong).await, 400, "InvalidPart");
    let reversed = [parts[1].clone(), parts[0].clone()];
    assert_s3_error(complete(&reversed).await, 400, "InvalidPartOrder");
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
    assert_eq!(body_bytes(p2).await.as_ref(), b"tail");
    let part = |key: &'static str, n| c.get_object().bucket("data").key(key).part_number(n).send();
    assert_s3_error(part("mp.bin", 3).await, 416, "InvalidPartNumber");
    // A single-part object: part 1 is the whole object (206), part 2 is 416.
    let one = part("report.csv", 1).await.unwrap();
    assert!(
        one.content_range()
            .is_some_and(|r| r.starts_with("bytes 0-"))
    );
    let err = part("report.csv", 2).await.unwrap_err();
    assert_eq!(test_util::status_and_code(&err).1, "InvalidPartNumber");

    // Aborted and completed uploads leave no part files.
    let (gone, _) = upload_parts(c, "data", "gone.bin", vec![b"bytes".to_vec()]).await;
    c.abort_multipart_upload()
        .bucket("data")
        .key("gone.bin")
        .upload_id(&gone)
        .send()
        .await
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(env.emulator.data_dir().join("buckets/data/uploads"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let late = c
        .upload_part()
        .bucket("data")
        .key("gone.bin")
        .upload_id(&gone)
        .part_number(2)
        .body(ByteStream::from_static(b"bytes"))
        .send()
        .await;
    assert_s3_error(late, 404, "NoSuchUpload");

    // An oversized CompleteMultipartUpload body is a client error, not a 500.
    let (huge, _) = upload_parts(c, "data", "huge.bin", Vec::new()).await;
    let path = format!("/data/huge.bin?uploadId={huge}");
    let mut big = Request::new("POST", &path);
    let mut xml = String::from("<CompleteMultipartUpload>");
    while xml.len() < 21 * 1024 * 1024 {
        xml.push_str("<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>");
    }
    xml.push_str("</CompleteMultipartUpload>");
    big.body = xml.into_bytes();
    let r = big.send(env.endpoint_url()).await;
    r.assert_error(400, "MaxMessageLengthExceeded");
    env.stop().await;
}

#[tokio::test]
async fn signatures_for_other_regions_and_week_long_presigns_are_refused() {
    let env = start().await;
    let url = env.endpoint_url();
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
    let presigned = test_util::presigned_get(&env.s3, "upper", "report.csv", 60).await;
    let too_long = presigned.replace("X-Amz-Expires=60", "X-Amz-Expires=604801");
    let resp = reqwest::get(&too_long).await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("<Code>AuthorizationQueryParametersError</Code>")
    );
    env.stop().await;
}

#[tokio::test]
async fn stalled_connections_are_closed_and_do_not_starve_others() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut config = crate::data_config(Vec::new());
    config.access_points.clear();
    config.max_connections = 32;
    config.header_read_timeout_ms = 400;
    let emu = TestEmulator::start(config, []).await;
    let addr = emu.emulator.addr();
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
    let got = tokio::time::timeout(
        Duration::from_secs(10),
        emu.s3.get_object().bucket("data").key("report.csv").send(),
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
    emu.stop().await;
}
