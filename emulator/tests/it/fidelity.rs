//! The S3 layer as S3 answers: versioning and delete markers, ownership checks, encryption
//! headers, checksums, Object Lock, listings, and the Range rule on direct GETs.

use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ChecksumAlgorithm, ChecksumMode, EncodingType, ObjectLockLegalHold,
    ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode,
    ServerSideEncryption, VersioningConfiguration,
};

use object_lambda_emulator::test_util::{
    TestEmulator, assert_s3_error, assert_s3_status, body_bytes, expect_s3_error, get_object,
    head_object, in_process, put_bytes,
};

use crate::common::{delete, get_version as body, versioning};
use crate::functions::Mode;
use crate::raw::Request;
use crate::{data_config, olap, start, test_function};

/// PUT `data/summed` ("hello") with a SHA-256 checksum.
async fn put_summed(c: &aws_sdk_s3::Client) -> PutObjectOutput {
    let put = c.put_object().bucket("data").key("summed");
    let put = put.checksum_algorithm(ChecksumAlgorithm::Sha256);
    put.body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn versioning_keeps_every_version_and_delete_markers_hide_the_key() {
    let env = start().await;
    let c = &env.s3;
    c.create_bucket().bucket("ver").send().await.unwrap();
    assert_eq!(versioning(c, "ver").await, None);
    c.put_bucket_versioning()
        .bucket("ver")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        versioning(c, "ver").await,
        Some(BucketVersioningStatus::Enabled)
    );
    let mut ids = Vec::new();
    for text in ["one", "two"] {
        let put = put_bytes(c, "ver", "k", text).await;
        ids.push(put.version_id().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(body(c, "ver", "k", None).await, b"two");
    assert_eq!(body(c, "ver", "k", Some(&ids[0])).await, b"one");
    let head = c
        .head_object()
        .bucket("ver")
        .key("k")
        .version_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(head.version_id(), Some(ids[0].as_str()));
    // A delete adds a marker; the key is gone, its versions are not.
    let del = delete(c, "ver", "k", None).await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del.version_id().unwrap().to_owned();
    let err = expect_s3_error(
        c.get_object().bucket("ver").key("k").send().await,
        404,
        "NoSuchKey",
    );
    let headers = err.raw_response().unwrap().headers();
    assert_eq!(headers.get("x-amz-delete-marker"), Some("true"));
    assert_eq!(body(c, "ver", "k", Some(&ids[1])).await, b"two");
    let listed = c.list_objects_v2().bucket("ver").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
    let versions = c.list_object_versions().bucket("ver").send().await.unwrap();
    let vids: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(vids, [ids[1].as_str(), ids[0].as_str()]);
    assert_eq!(
        versions.delete_markers()[0].version_id(),
        Some(marker.as_str())
    );
    assert_eq!(versions.delete_markers()[0].is_latest(), Some(true));
    // Removing the marker brings the key back.
    delete(c, "ver", "k", Some(&marker)).await.unwrap();
    assert_eq!(body(c, "ver", "k", None).await, b"two");
    let unknown = c.get_object().bucket("ver").key("k");
    let unknown = unknown.version_id("0123456789abcdef0123456789abcdef");
    assert_s3_error(unknown.send().await, 404, "NoSuchVersion");
    env.stop().await;
}

#[tokio::test]
async fn ownership_listing_and_content_type_as_s3() {
    let env = start().await;
    let c = &env.s3;
    let other = "999999999999";
    let get = c.get_object().bucket("data").key("report.csv");
    assert_s3_error(
        get.expected_bucket_owner(other).send().await,
        403,
        "AccessDenied",
    );
    let head = c.head_object().bucket("data").key("report.csv");
    assert_s3_status(head.expected_bucket_owner(other).send().await, 403);
    let v2 = c.list_objects_v2().bucket("data");
    assert_s3_error(
        v2.expected_bucket_owner(other).send().await,
        403,
        "AccessDenied",
    );
    let v1 = c.list_objects().bucket("data");
    assert_s3_error(
        v1.expected_bucket_owner(other).send().await,
        403,
        "AccessDenied",
    );
    c.get_object()
        .bucket("data")
        .key("report.csv")
        .expected_bucket_owner(object_lambda_emulator::DEFAULT_ACCOUNT_ID)
        .send()
        .await
        .unwrap();
    // fetch-owner and V1's Owner.
    let v2 = c.list_objects_v2().bucket("data").fetch_owner(true);
    let v2 = v2.send().await.unwrap();
    assert!(v2.contents().iter().all(|o| o.owner().is_some()));
    let v1 = c.list_objects().bucket("data").send().await.unwrap();
    assert!(v1.contents().iter().all(|o| o.owner().is_some()));
    Request::new("GET", "/data?list-type=2&encoding-type=base64")
        .send(env.endpoint_url())
        .await
        .assert_error(400, "InvalidArgument");
    let url = c
        .list_objects_v2()
        .bucket("data")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert!(url.key_count().unwrap() > 0);
    // No Content-Type stored: S3's default. (The SDK sends a Content-Type of its own; a raw
    // PUT sends none.)
    let put = Request::new("PUT", "/data/untyped").with_body(*b"x");
    assert_eq!(put.send(env.endpoint_url()).await.status, 200);
    let got = get_object(c, "data", "untyped").await;
    assert_eq!(got.content_type(), Some("binary/octet-stream"));
    assert_eq!(got.accept_ranges(), Some("bytes"));
    env.stop().await;
}

#[tokio::test]
async fn encryption_headers_and_checksums_are_recorded_and_returned() {
    let env = start().await;
    let c = &env.s3;
    // S3 encrypts every new object: SSE-S3 unless asked otherwise.
    put_bytes(c, "data", "plain", "p").await;
    let h = head_object(c, "data", "plain").await;
    assert_eq!(
        h.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let put = c
        .put_object()
        .bucket("data")
        .key("kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id("arn:aws:kms:us-east-1:111122223333:key/abc")
        .bucket_key_enabled(true)
        .body(ByteStream::from_static(b"k"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let g = get_object(c, "data", "kms").await;
    assert_eq!(
        g.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(
        g.ssekms_key_id(),
        Some("arn:aws:kms:us-east-1:111122223333:key/abc")
    );
    assert_eq!(g.bucket_key_enabled(), Some(true));
    // The bucket's default encryption applies to new objects.
    c.put_bucket_encryption()
        .bucket("data")
        .server_side_encryption_configuration(
            aws_sdk_s3::types::ServerSideEncryptionConfiguration::builder()
                .rules(
                    aws_sdk_s3::types::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            aws_sdk_s3::types::ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    put_bytes(c, "data", "defaulted", "d").await;
    let h = head_object(c, "data", "defaulted").await;
    assert_eq!(
        h.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert!(
        h.ssekms_key_id()
            .is_some_and(|k| k.ends_with(":alias/aws/s3"))
    );
    // A checksum sent with the upload comes back with ChecksumMode=ENABLED.
    put_summed(c).await;
    let g = c
        .get_object()
        .bucket("data")
        .key("summed")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.checksum_sha256(),
        Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
    );
    env.stop().await;
}

#[tokio::test]
async fn object_lock_refuses_to_lose_locked_versions() {
    let env = start().await;
    let c = &env.s3;
    c.create_bucket()
        .bucket("vault")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let until = aws_sdk_s3::primitives::DateTime::from_secs(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
        .unwrap()
            + 3600,
    );
    // PUT `key` into `vault` locked in `mode` until `until`; the new version's id.
    let put_locked = async |key: &str, mode: ObjectLockMode, body: &'static [u8]| {
        let put = c.put_object().bucket("vault").key(key);
        let put = put
            .object_lock_mode(mode)
            .object_lock_retain_until_date(until);
        let put = put
            .body(ByteStream::from_static(body))
            .send()
            .await
            .unwrap();
        put.version_id().unwrap().to_owned()
    };
    let v1 = put_locked("ledger", ObjectLockMode::Compliance, b"v1").await;
    let h = head_object(c, "vault", "ledger").await;
    assert_eq!(h.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert!(h.object_lock_retain_until_date().is_some());
    // Deleting the locked version is refused; the bytes survive.
    assert_s3_error(
        c.delete_object()
            .bucket("vault")
            .key("ledger")
            .version_id(&v1)
            .bypass_governance_retention(true)
            .send()
            .await,
        403,
        "AccessDenied",
    );
    assert_eq!(body(c, "vault", "ledger", Some(&v1)).await, b"v1");
    // Overwriting makes a new version; the locked one stays.
    put_bytes(c, "vault", "ledger", "v2").await;
    assert_eq!(body(c, "vault", "ledger", Some(&v1)).await, b"v1");
    // Governance: only with the bypass header.
    let g1 = put_locked("draft", ObjectLockMode::Governance, b"g").await;
    assert_s3_status(delete(c, "vault", "draft", Some(&g1)).await, 403);
    c.delete_object()
        .bucket("vault")
        .key("draft")
        .version_id(&g1)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    // Legal hold.
    let held = put_bytes(c, "vault", "held", "h").await;
    let h1 = held.version_id().unwrap().to_owned();
    c.put_object_legal_hold()
        .bucket("vault")
        .key("held")
        .legal_hold(
            ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::On)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_s3_status(delete(c, "vault", "held", Some(&h1)).await, 403);
    let hold = c.get_object_legal_hold().bucket("vault").key("held");
    let lh = hold.send().await.unwrap();
    assert_eq!(
        lh.legal_hold().and_then(|l| l.status()),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    // Compliance retention cannot be shortened.
    let shorter = c
        .put_object_retention()
        .bucket("vault")
        .key("ledger")
        .version_id(&v1)
        .retention(
            ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::Compliance)
                .retain_until_date(aws_sdk_s3::primitives::DateTime::from_secs(
                    until.secs() - 1800,
                ))
                .build(),
        )
        .send()
        .await;
    assert_s3_status(shorter, 403);
    // A bucket without Object Lock refuses lock headers.
    let unlocked = c
        .put_object()
        .bucket("data")
        .key("x")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_s3_status(unlocked, 400);
    env.stop().await;
}

#[tokio::test]
async fn direct_range_headers_follow_s3() {
    let env = start().await;
    let c = &env.s3;
    put_bytes(c, "data", "ten", "0123456789").await;
    let url = env.endpoint_url();
    for (range, status, content_range, bytes) in [
        ("bytes=0-8", 206, Some("bytes 0-8/10"), &b"012345678"[..]),
        ("bytes=-2", 206, Some("bytes 8-9/10"), b"89"),
        ("bytes=0-100", 206, Some("bytes 0-9/10"), b"0123456789"),
        ("bytes=1-0", 200, None, b"0123456789"),
        ("bytes=15-10", 200, None, b"0123456789"),
        ("bytes=0-1,3-4", 200, None, b"0123456789"),
        ("bytes=-", 200, None, b"0123456789"),
        ("0-1", 200, None, b"0123456789"),
    ] {
        let mut r = Request::new("GET", "/data/ten");
        r.headers.push(("range", range.to_owned()));
        let r = r.send(url).await;
        assert_eq!(r.status, status, "{range}: {r:?}");
        assert_eq!(
            r.header("content-range").as_deref(),
            content_range,
            "{range}"
        );
        assert_eq!(r.body, bytes, "{range}");
    }
    let mut r = Request::new("GET", "/data/ten");
    r.headers.push(("range", "bytes=100-200".to_owned()));
    r.send(url).await.assert_error(416, "InvalidRange");
    env.stop().await;
}

/// Through an Object Lambda Access Point: the stored checksum comes back when the function
/// returned the whole object unchanged (passthrough), not for a range nor when the function
/// changed the bytes; `x-amz-expected-bucket-owner` naming another account is refused.
#[tokio::test]
async fn checksums_and_expected_owner_through_an_access_point() {
    let config = data_config(vec![
        olap("passthrough", "passthrough"),
        olap("upper", "upper"),
    ]);
    let env = TestEmulator::start(
        config,
        [
            (
                "passthrough",
                in_process(passthrough::function::Passthrough),
            ),
            ("upper", test_function(Mode::Upper)),
        ],
    )
    .await;
    let c = &env.s3;
    const SUM: &str = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    let put = put_summed(c).await;
    assert_eq!(
        put.checksum_sha256(),
        Some(SUM),
        "PutObject returns the checksum"
    );
    let get = |bucket: &'static str| {
        c.get_object()
            .bucket(bucket)
            .key("summed")
            .checksum_mode(ChecksumMode::Enabled)
    };
    let whole = get("passthrough").send().await.unwrap();
    assert_eq!(whole.checksum_sha256(), Some(SUM));
    assert_eq!(body_bytes(whole).await.as_ref(), b"hello");
    let part = get("passthrough").range("bytes=0-1").send().await.unwrap();
    assert_eq!(
        part.checksum_sha256(),
        None,
        "a range has no stored checksum"
    );
    assert_eq!(body_bytes(part).await.as_ref(), b"he");
    let changed = get("upper").send().await.unwrap();
    assert_eq!(changed.checksum_sha256(), None, "changed bytes: dropped");
    assert_eq!(body_bytes(changed).await.as_ref(), b"HELLO");

    // Only the expected owner differs between these two requests.
    let owned = get("passthrough")
        .expected_bucket_owner("111122223333")
        .send()
        .await
        .unwrap();
    assert_eq!(owned.checksum_sha256(), Some(SUM));
    let other = get("passthrough")
        .expected_bucket_owner("444455556666")
        .send()
        .await;
    assert_s3_error(other, 403, "AccessDenied");
    env.stop().await;
}
