//! Plain S3 operations and authentication.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;

use object_lambda_emulator::test_util::{
    assert_s3_error, assert_s3_status, body_bytes, get_object, get_range, head_object,
    presigned_get, put_object,
};

use crate::common::{complete_upload, delete, upload_parts};
use crate::{AK, SK, start};

#[tokio::test]
async fn bucket_object_lifecycle_with_range_list_and_multipart() {
    let env = start().await;
    let c = &env.s3;
    c.create_bucket().bucket("fresh").send().await.unwrap();
    put_object(c, "fresh", "dir/hello.txt", "text/plain", "hello world").await;
    let got = get_object(c, "fresh", "dir/hello.txt").await;
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(body_bytes(got).await.as_ref(), b"hello world");

    let ranged = get_range(c, "fresh", "dir/hello.txt", "bytes=6-").await;
    assert_eq!(ranged.content_range(), Some("bytes 6-10/11"));
    assert_eq!(body_bytes(ranged).await.as_ref(), b"world");

    let head = head_object(c, "fresh", "dir/hello.txt").await;
    assert_eq!(head.content_length(), Some(11));
    let etag = head.e_tag().unwrap().to_owned();

    // Conditional GET, which s3s-fs lacks and the emulator adds.
    // The SDK reports 304 as success with an empty body, so look at the raw status.
    let presigned = presigned_get(c, "fresh", "dir/hello.txt", 60).await;
    let nm = reqwest::Client::new()
        .get(&presigned)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(
        nm.status().as_u16(),
        304,
        "{:?} {presigned}",
        nm.headers().clone(),
    );
    assert_s3_error(
        c.get_object()
            .bucket("fresh")
            .key("dir/hello.txt")
            .if_match("\"nope\"")
            .send()
            .await,
        412,
        "PreconditionFailed",
    );
    assert_s3_status(
        c.head_object()
            .bucket("fresh")
            .key("dir/hello.txt")
            .if_unmodified_since(aws_sdk_s3::primitives::DateTime::from_secs(1_000_000))
            .send()
            .await,
        412,
    );

    // Multipart, as the aws CLI does for large files.
    let part = vec![b'x'; 5 * 1024 * 1024];
    let (id, parts) = upload_parts(c, "fresh", "big.bin", vec![part, b"tail".to_vec()]).await;
    complete_upload(c, "fresh", "big.bin", &id, &parts)
        .await
        .unwrap();
    let big = head_object(c, "fresh", "big.bin").await;
    assert_eq!(big.content_length(), Some(5 * 1024 * 1024 + 4));

    let list = c.list_objects_v2().bucket("fresh").send().await.unwrap();
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["big.bin", "dir/hello.txt"]);

    delete(c, "fresh", "dir/hello.txt", None).await.unwrap();
    assert_s3_error(
        c.get_object()
            .bucket("fresh")
            .key("dir/hello.txt")
            .send()
            .await,
        404,
        "NoSuchKey",
    );

    // The seeded samples are there.
    let seeded = c.list_objects_v2().bucket("data").send().await.unwrap();
    assert!(
        seeded
            .contents()
            .iter()
            .any(|o| o.key() == Some("report.csv"))
    );
    env.stop().await;
}

#[tokio::test]
async fn authentication_is_enforced() {
    let env = start().await;
    let wrong = env.client_as(AK, "not-the-secret");
    assert_s3_error(
        wrong.list_objects_v2().bucket("data").send().await,
        403,
        "SignatureDoesNotMatch",
    );
    let unknown = env.client_as("nobody", SK);
    assert_s3_status(
        unknown
            .get_object()
            .bucket("data")
            .key("report.csv")
            .send()
            .await,
        403,
    );

    // Anonymous requests are refused.
    let url = format!("{}/data/report.csv", env.endpoint_url());
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 403);

    // A presigned URL works until it expires.
    let fresh = presigned_get(&env.s3, "data", "report.csv", 60).await;
    let ok = reqwest::get(&fresh).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert!(ok.text().await.unwrap().starts_with("order_id,"));
    let expired = env
        .s3
        .get_object()
        .bucket("data")
        .key("report.csv")
        .presigned(
            PresigningConfig::builder()
                .start_time(SystemTime::now() - Duration::from_secs(120))
                .expires_in(Duration::from_secs(60))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let refused = reqwest::get(expired.uri()).await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("<Code>AccessDenied</Code>")
    );
    env.stop().await;
}
