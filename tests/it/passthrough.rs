//! GET, HEAD and LIST through the `passthrough` Object Lambda Access Point.

use aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use integration_tests::start_passthrough;
use md5::Digest;
use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, assert_s3_status, body_bytes, error_message,
    expect_s3_error, get_object, get_range, head_object, list_v2, presigned_get,
};

const OLAP: &str = "passthrough";
const BUCKET: &str = "demo";

async fn env() -> TestEmulator {
    start_passthrough(test_util::config(&["passthrough"])).await
}

async fn put(env: &TestEmulator, key: &str, body: Vec<u8>, content_type: &str) {
    env.s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .content_type(content_type)
        .cache_control("max-age=60")
        .metadata("owner", "data-team")
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put");
}

/// A GET of `key` through the access point, to add headers to.
fn through(env: &TestEmulator, key: &str) -> GetObjectFluentBuilder {
    env.s3.get_object().bucket(OLAP).key(key)
}

/// The `owner` user metadata that [`put`] sets.
fn owner(metadata: Option<&std::collections::HashMap<String, String>>) -> Option<&str> {
    metadata?.get("owner").map(String::as_str)
}

fn digits(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'0' + (i % 10) as u8).collect()
}

#[tokio::test]
async fn get_returns_the_object_with_its_headers() {
    let env = env().await;
    let body = b"id,name\n1,Ada\n2,Grace\n".to_vec();
    put(&env, "docs/team list.csv", body.clone(), "text/csv").await;
    let direct = head_object(&env.s3, BUCKET, "docs/team list.csv").await;

    let got = get_object(&env.s3, OLAP, "docs/team list.csv").await;
    assert_eq!(got.content_type(), Some("text/csv"));
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(owner(got.metadata()), Some("data-team"));
    // Unchanged bytes keep their ETag and length.
    assert_eq!(got.e_tag(), direct.e_tag());
    assert_eq!(got.content_length(), Some(body.len() as i64));
    assert_eq!(body_bytes(got).await.to_vec(), body);
}

#[tokio::test]
async fn range_forms_apply_to_the_transformed_bytes() {
    let env = env().await;
    put(&env, "digits.txt", digits(100), "text/plain").await;
    for (range, expect_range, start, end) in [
        ("bytes=10-19", "bytes 10-19/100", 10, 20),
        ("bytes=90-", "bytes 90-99/100", 90, 100),
        ("bytes=-5", "bytes 95-99/100", 95, 100),
        ("bytes=95-500", "bytes 95-99/100", 95, 100),
    ] {
        let got = get_range(&env.s3, OLAP, "digits.txt", range).await;
        assert_eq!(got.content_range(), Some(expect_range), "{range}");
        assert_eq!(got.content_length(), Some((end - start) as i64), "{range}");
        let bytes = body_bytes(got).await;
        assert_eq!(&bytes[..], &digits(100)[start..end], "{range}");
    }
}

#[tokio::test]
async fn bad_ranges_fail_like_s3() {
    let env = env().await;
    put(&env, "digits.txt", digits(100), "text/plain").await;
    let past_the_end = through(&env, "digits.txt").range("bytes=100-");
    assert_s3_error(past_the_end.send().await, 416, "InvalidRange");
    let both = through(&env, "digits.txt")
        .range("bytes=0-1")
        .part_number(1);
    assert_s3_error(both.send().await, 400, "InvalidRequest");
}

#[tokio::test]
async fn part_numbers_are_5_mib_slices() {
    let env = env().await;
    let size = 11 * 1024 * 1024 + 7;
    let data = digits(size);
    put(&env, "big.bin", data.clone(), "application/octet-stream").await;
    let part = 5 * 1024 * 1024;
    let part_of = |n| through(&env, "big.bin").part_number(n).send();
    let got = part_of(2).await.unwrap();
    assert_eq!(got.parts_count(), Some(3));
    assert_eq!(
        got.content_range(),
        Some(format!("bytes {}-{}/{size}", part, 2 * part - 1).as_str())
    );
    let bytes = body_bytes(got).await;
    assert_eq!(&bytes[..], &data[part..2 * part]);

    let got = part_of(3).await.unwrap();
    assert_eq!(got.content_length(), Some((size - 2 * part) as i64));

    assert_s3_error(part_of(4).await, 400, "InvalidPart");
}

#[tokio::test]
async fn conditional_requests_are_evaluated_on_the_original() {
    let env = env().await;
    put(&env, "c.txt", b"conditional".to_vec(), "text/plain").await;
    let etag = head_object(&env.s3, BUCKET, "c.txt")
        .await
        .e_tag()
        .unwrap()
        .to_owned();

    let other = through(&env, "c.txt").if_match("\"0000\"").send().await;
    assert_s3_error(other, 412, "PreconditionFailed");
    let same = through(&env, "c.txt").if_none_match(&etag).send().await;
    assert_s3_status(same, 304);
    let ok = through(&env, "c.txt").if_match(&etag).send().await.unwrap();
    assert_eq!(body_bytes(ok).await.as_ref(), b"conditional");
}

#[tokio::test]
async fn missing_key_is_no_such_key() {
    let env = env().await;
    assert_s3_error(through(&env, "nope.txt").send().await, 404, "NoSuchKey");
}

#[tokio::test]
async fn bad_payload_names_the_key() {
    let mut config = test_util::config(&["passthrough"]);
    config.object_lambda_access_points[0].payload = r#"{"compression":"zstd"}"#.into();
    let env = start_passthrough(config).await;
    put(&env, "a.txt", b"a".to_vec(), "text/plain").await;
    let refused = through(&env, "a.txt").send().await;
    let err = expect_s3_error(refused, 400, "InvalidFunctionPayload");
    let message = error_message(&err);
    assert!(message.contains("`compression`"), "{message}");
}

#[tokio::test]
async fn head_through_the_access_point() {
    let env = env().await;
    put(&env, "h.csv", digits(1234), "text/csv").await;
    let head = head_object(&env.s3, OLAP, "h.csv").await;
    assert_eq!(head.content_length(), Some(1234));
    assert_eq!(head.content_type(), Some("text/csv"));
    assert_eq!(owner(head.metadata()), Some("data-team"));
    let missing = env.s3.head_object().bucket(OLAP).key("missing.csv");
    assert_s3_status(missing.send().await, 404);
}

#[tokio::test]
async fn list_objects_v2_through_the_access_point() {
    let env = env().await;
    for key in ["logs/a.txt", "logs/b.txt", "other/c.txt"] {
        put(&env, key, b"x".to_vec(), "text/plain").await;
    }
    let list = list_v2(&env.s3, OLAP, "logs/").await;
    let keys: Vec<&str> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["logs/a.txt", "logs/b.txt"]);
    let v1 = env
        .s3
        .list_objects()
        .bucket(OLAP)
        .prefix("other/")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents().len(), 1);
}

/// SSE-C needs TLS, as in S3: over this suite's plain HTTP the PUT is 400 and stores nothing,
/// and a GET through the access point with SSE-C headers is 400 too. (Over HTTPS, and SSE-C
/// objects through an access point: `emulator/tests/it/tls.rs`.)
#[tokio::test]
async fn sse_c_objects_are_refused() {
    let env = env().await;
    let key = [7u8; 32];
    let b64 = |b: &[u8]| aws_smithy_types::base64::encode(b);
    let md5 = b64(&md5::Md5::digest(key));
    assert_s3_status(
        env.s3
            .put_object()
            .bucket(BUCKET)
            .key("secret.txt")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(b64(&key))
            .sse_customer_key_md5(&md5)
            .body(ByteStream::from_static(b"top secret"))
            .send()
            .await,
        400,
    );
    let stored = env.s3.get_object().bucket(BUCKET).key("secret.txt");
    assert_s3_status(stored.send().await, 404);
    put(&env, "secret.txt", b"plain".to_vec(), "text/plain").await;
    let with_key = through(&env, "secret.txt")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(b64(&key))
        .sse_customer_key_md5(&md5);
    assert_s3_status(with_key.send().await, 400);
}

#[tokio::test]
async fn wrong_secret_is_refused() {
    let env = env().await;
    put(&env, "a.txt", b"a".to_vec(), "text/plain").await;
    let bad = env.client_as(test_util::ACCESS_KEY, "wrong-secret");
    assert_s3_status(bad.get_object().bucket(OLAP).key("a.txt").send().await, 403);
}

#[tokio::test]
async fn expired_presigned_urls_are_refused() {
    let env = env().await;
    put(&env, "p.txt", b"presigned".to_vec(), "text/plain").await;
    let fresh = presigned_get(&env.s3, OLAP, "p.txt", 60).await;
    let resp = reqwest::get(&fresh).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "presigned");

    let short = presigned_get(&env.s3, OLAP, "p.txt", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let resp = reqwest::get(&short).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("AccessDenied"));
}
