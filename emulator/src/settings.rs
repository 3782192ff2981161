//! Bucket settings given at start (config `[[buckets]]` keys, or the template's bucket
//! properties): checked with the configuration, then applied through the store's own S3
//! operations, so they get exactly the checks and results of the S3 API.
//!
//! ```toml
//! [[buckets]]
//! name = "data"
//! versioning = "Enabled"
//! encryption = { algorithm = "aws:kms", kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/k", bucket_key_enabled = true }
//! object_lock = { default_retention = { mode = "GOVERNANCE", days = 1 } }
//! logging = { target_bucket = "logs", target_prefix = "data/" }
//! ```

use s3s::S3;
use s3s::dto::*;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::config::{BucketConfig, Config, ConfigError};
use crate::seed::request;
use crate::store::Store;

/// Default encryption of new objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// `AES256` (SSE-S3), `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    /// KMS key ARN or id (`aws:kms` only; default: the account's `aws/s3` key).
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// S3 Bucket Keys (`aws:kms` only).
    #[serde(default)]
    pub bucket_key_enabled: bool,
}

/// Object Lock; present means enabled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectLock {
    /// Retention every new version gets unless the request names its own.
    #[serde(default)]
    pub default_retention: Option<DefaultRetention>,
}

/// A default retention: a mode and either days or years.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultRetention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    /// Days (> 0), or
    #[serde(default)]
    pub days: Option<u32>,
    /// years (> 0).
    #[serde(default)]
    pub years: Option<u32>,
}

/// Server access logging (`LoggingConfiguration`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// The bucket that receives the log objects; another configured bucket.
    pub target_bucket: String,
    /// Prefix of the log objects' keys (e.g. `logs/data/`).
    #[serde(default)]
    pub target_prefix: String,
}

/// What [`Config::validate`] checks of the bucket settings.
pub(crate) fn check(config: &Config) -> Result<(), ConfigError> {
    let bad = |msg: String| Err(ConfigError::Invalid(msg));
    for b in &config.buckets {
        if let Some(v) = &b.versioning
            && v != "Enabled"
            && v != "Suspended"
        {
            return bad(format!(
                "bucket `{}`: versioning must be `Enabled` or `Suspended`, not `{v}`",
                b.name
            ));
        }
        if let Some(lock) = &b.object_lock {
            if b.versioning.as_deref() == Some("Suspended") {
                return bad(format!(
                    "bucket `{}`: Object Lock needs versioning `Enabled`",
                    b.name
                ));
            }
            if let Some(d) = &lock.default_retention {
                if d.mode != "GOVERNANCE" && d.mode != "COMPLIANCE" {
                    return bad(format!(
                        "bucket `{}`: object_lock.default_retention.mode must be GOVERNANCE or COMPLIANCE",
                        b.name
                    ));
                }
                if !matches!((d.days, d.years), (Some(n), None) | (None, Some(n)) if n > 0) {
                    return bad(format!(
                        "bucket `{}`: object_lock.default_retention needs either days or years, positive",
                        b.name
                    ));
                }
            }
        }
        if let Some(l) = &b.logging {
            if l.target_bucket == b.name {
                return bad(format!(
                    "bucket `{}`: logging.target_bucket is the bucket itself; its own log objects would be logged again (log loop). Use another bucket",
                    b.name
                ));
            }
            if !config.buckets.iter().any(|t| t.name == l.target_bucket) {
                return bad(format!(
                    "bucket `{}`: logging.target_bucket `{}` is not a configured bucket",
                    b.name, l.target_bucket
                ));
            }
        }
    }
    Ok(())
}

/// Creates the bucket if needed (with Object Lock when asked: S3 enables it only at
/// creation) and applies its settings.
pub(crate) async fn apply(store: &Store, b: &BucketConfig) -> Result<(), Error> {
    let fail =
        |what: &str, e: s3s::S3Error| Error::Storage(format!("bucket {}: {what}: {e}", b.name));
    let lock = b.object_lock.is_some();
    if !store.has_bucket(&b.name) {
        let input = CreateBucketInput {
            bucket: b.name.clone(),
            object_lock_enabled_for_bucket: Some(lock),
            ..Default::default()
        };
        store
            .create_bucket(request(input, http::Method::PUT))
            .await
            .map_err(|e| fail("creating", e))?;
    } else if lock && !store.has_object_lock(&b.name) {
        return Err(Error::Storage(format!(
            "bucket {}: Object Lock is configured but the bucket in the data directory was created without it; S3 enables Object Lock only when a bucket is created (use a fresh data directory)",
            b.name
        )));
    }
    if let Some(status) = &b.versioning {
        let input = PutBucketVersioningInput {
            bucket: b.name.clone(),
            versioning_configuration: VersioningConfiguration {
                status: Some(BucketVersioningStatus::from(status.clone())),
                ..Default::default()
            },
            checksum_algorithm: None,
            content_md5: None,
            expected_bucket_owner: None,
            mfa: None,
        };
        store
            .put_bucket_versioning(request(input, http::Method::PUT))
            .await
            .map_err(|e| fail("versioning", e))?;
    }
    if let Some(e) = &b.encryption {
        let input = PutBucketEncryptionInput {
            bucket: b.name.clone(),
            server_side_encryption_configuration: ServerSideEncryptionConfiguration {
                rules: vec![ServerSideEncryptionRule {
                    apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                        sse_algorithm: ServerSideEncryption::from(e.algorithm.clone()),
                        kms_master_key_id: e.kms_key_id.clone(),
                    }),
                    bucket_key_enabled: Some(e.bucket_key_enabled),
                }],
            },
            checksum_algorithm: None,
            content_md5: None,
            expected_bucket_owner: None,
        };
        store
            .put_bucket_encryption(request(input, http::Method::PUT))
            .await
            .map_err(|e| fail("encryption", e))?;
    }
    if let Some(d) = b
        .object_lock
        .as_ref()
        .and_then(|l| l.default_retention.as_ref())
    {
        let input = PutObjectLockConfigurationInput {
            bucket: b.name.clone(),
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from("Enabled".to_owned())),
                rule: Some(ObjectLockRule {
                    default_retention: Some(s3s::dto::DefaultRetention {
                        mode: Some(ObjectLockRetentionMode::from(d.mode.clone())),
                        days: d.days.and_then(|n| i32::try_from(n).ok()),
                        years: d.years.and_then(|n| i32::try_from(n).ok()),
                    }),
                }),
            }),
            ..Default::default()
        };
        store
            .put_object_lock_configuration(request(input, http::Method::PUT))
            .await
            .map_err(|e| fail("object lock", e))?;
    }
    Ok(())
}

/// Applies `logging` once every bucket exists (the target may come later in the list).
pub(crate) async fn apply_logging(store: &Store, b: &BucketConfig) -> Result<(), Error> {
    let Some(l) = &b.logging else {
        return Ok(());
    };
    let input = PutBucketLoggingInput {
        bucket: b.name.clone(),
        bucket_logging_status: BucketLoggingStatus {
            logging_enabled: Some(LoggingEnabled {
                target_bucket: l.target_bucket.clone(),
                target_prefix: l.target_prefix.clone(),
                ..Default::default()
            }),
        },
        checksum_algorithm: None,
        content_md5: None,
        expected_bucket_owner: None,
    };
    store
        .put_bucket_logging(request(input, http::Method::PUT))
        .await
        .map_err(|e| Error::Storage(format!("bucket {}: logging: {e}", b.name)))?;
    Ok(())
}
