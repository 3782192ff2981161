//! Bucket settings given at start (config `[[buckets]]` keys and the SAM template):
//! versioning, default encryption, Object Lock with a default retention, logging.

use aws_sdk_s3::types::{
    BucketVersioningStatus, ObjectLockMode, ObjectLockRetentionMode, ServerSideEncryption,
};
use object_lambda_emulator::test_util::{
    TestEmulator, assert_s3_error, bare_config, head_object, in_process, list_v2, put_bytes,
};
use object_lambda_emulator::{
    BucketConfig, Config, DefaultRetention, Emulator, Encryption, Logging, ObjectLock, Template,
};

use crate::common::{delete, get_version, versioning};
use crate::template::bucket;

const KMS_KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/settings";

fn vault() -> BucketConfig {
    BucketConfig {
        name: "vault".into(),
        versioning: Some("Enabled".into()),
        encryption: Some(Encryption {
            algorithm: "aws:kms".into(),
            kms_key_id: Some(KMS_KEY.into()),
            bucket_key_enabled: true,
        }),
        object_lock: Some(ObjectLock {
            default_retention: Some(DefaultRetention {
                mode: "GOVERNANCE".into(),
                days: Some(1),
                years: None,
            }),
        }),
        logging: Some(Logging {
            target_bucket: "audit".into(),
            target_prefix: "vault/".into(),
        }),
        ..BucketConfig::default()
    }
}

/// Bucket `name` with no settings.
fn plain_bucket(name: &str) -> BucketConfig {
    BucketConfig {
        name: name.into(),
        ..BucketConfig::default()
    }
}

#[tokio::test]
async fn config_settings_apply_and_locked_data_survives_refused_deletes() {
    let config = Config {
        buckets: vec![vault(), plain_bucket("audit")],
        ..bare_config()
    };
    let emu = TestEmulator::start(config, []).await;
    let c = &emu.s3;
    let v = versioning(c, "vault").await;
    assert_eq!(v, Some(BucketVersioningStatus::Enabled));
    let encryption = c.get_bucket_encryption().bucket("vault");
    let e = encryption.send().await.unwrap();
    let rule = &e.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(KMS_KEY));
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    let lock = c.get_object_lock_configuration().bucket("vault");
    let lock = lock.send().await.unwrap();
    let retention = lock
        .object_lock_configuration()
        .unwrap()
        .rule()
        .unwrap()
        .default_retention()
        .unwrap();
    assert_eq!(retention.mode(), Some(&ObjectLockRetentionMode::Governance));
    assert_eq!(retention.days(), Some(1));
    let logging = c.get_bucket_logging().bucket("vault").send().await.unwrap();
    assert_eq!(logging.logging_enabled().unwrap().target_bucket(), "audit");

    // A new object gets the default encryption and the default retention.
    let put = put_bytes(c, "vault", "ledger", "v1").await;
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    let v1 = put.version_id().unwrap().to_owned();
    let h = head_object(c, "vault", "ledger").await;
    assert_eq!(h.object_lock_mode(), Some(&ObjectLockMode::Governance));
    assert!(h.object_lock_retain_until_date().is_some());
    assert_eq!(h.ssekms_key_id(), Some(KMS_KEY));
    // Deleting the locked version without the bypass is refused; the bytes survive.
    let locked = delete(c, "vault", "ledger", Some(&v1)).await;
    assert_s3_error(locked, 403, "AccessDenied");
    assert_eq!(get_version(c, "vault", "ledger", Some(&v1)).await, b"v1");
    // Overwriting and deleting the key only add versions: v1 is still there.
    put_bytes(c, "vault", "ledger", "v2").await;
    let del = delete(c, "vault", "ledger", None).await.unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    assert_eq!(get_version(c, "vault", "ledger", Some(&v1)).await, b"v1");
    emu.stop().await;
}

#[tokio::test]
async fn object_lock_cannot_be_added_to_an_existing_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let plain = Config {
        buckets: vec![plain_bucket("vault")],
        ..bare_config()
    };
    let emu = Emulator::builder()
        .config(plain.clone())
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    emu.shutdown().await;
    let mut locked = plain;
    locked.buckets[0].object_lock = Some(ObjectLock::default());
    let err = Emulator::builder()
        .config(locked)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("only when a bucket is created"),
        "{err}"
    );
}

#[test]
fn template_bucket_properties_become_settings() {
    let t = crate::template::repo_template();
    let data = bucket(&t, "databucket");
    assert_eq!(data.versioning.as_deref(), Some("Enabled"));
    assert_eq!(data.encryption.as_ref().unwrap().algorithm, "AES256");
    let logging = data.logging.as_ref().unwrap();
    assert_eq!(logging.target_bucket, "logbucket");
    assert_eq!(logging.target_prefix, "databucket/");
    let logs = bucket(&t, "logbucket");
    assert!(logs.logging.is_none());
    assert!(!logs.seed_samples, "a log bucket starts empty");

    let text = r#"
Resources:
  Vault:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: vault
      ObjectLockEnabled: true
      ObjectLockConfiguration:
        ObjectLockEnabled: Enabled
        Rule:
          DefaultRetention: {Mode: COMPLIANCE, Years: 1}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: k}
            BucketKeyEnabled: true
"#;
    let t = Template::parse(text, &[]).unwrap();
    let vault = &t.config.buckets[0];
    let retention = vault
        .object_lock
        .as_ref()
        .unwrap()
        .default_retention
        .as_ref()
        .unwrap();
    assert_eq!(
        (retention.mode.as_str(), retention.years),
        ("COMPLIANCE", Some(1))
    );
    let e = vault.encryption.as_ref().unwrap();
    assert_eq!(
        (e.kms_key_id.as_deref(), e.bucket_key_enabled),
        (Some("k"), true)
    );
    // Object Lock settings without ObjectLockEnabled: S3 refuses them, so does the emulator.
    let err = Template::parse(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      ObjectLockConfiguration: {ObjectLockEnabled: Enabled}\n",
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("ObjectLockEnabled"), "{err}");
}

/// The emulator started from the repository's template has the data bucket's settings,
/// and the data bucket's requests are logged into the log bucket.
#[tokio::test]
async fn template_settings_are_applied_at_start() {
    let mut t = crate::template::repo_template();
    t.config.credentials = bare_config().credentials;
    t.config.access_log_flush_ms = 100;
    // This test reads settings over plain HTTP; the TLS-only bucket policy is another test's.
    for b in &mut t.config.buckets {
        b.policy = None;
    }
    // Passthrough under every function's name: this test is about the buckets.
    let functions = crate::template::FUNCTIONS
        .map(|name| (name, in_process(passthrough::function::Passthrough)));
    let emu = TestEmulator::start(t.config.clone(), functions).await;
    let c = &emu.s3;
    let v = versioning(c, "databucket").await;
    assert_eq!(v, Some(BucketVersioningStatus::Enabled));
    let put = put_bytes(c, "databucket", "new.txt", "n").await;
    assert!(put.version_id().is_some());
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::Aes256)
    );
    let start = std::time::Instant::now();
    let logged = loop {
        let l = list_v2(c, "logbucket", "databucket/").await;
        if l.key_count().unwrap_or(0) > 0 || start.elapsed().as_secs() > 10 {
            break l.key_count().unwrap_or(0);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(logged > 0, "no log object in logbucket");
    emu.stop().await;
}
