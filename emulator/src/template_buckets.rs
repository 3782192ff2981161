//! An `AWS::S3::Bucket`'s properties → its [`BucketConfig`] settings:
//!
//! | template | config key |
//! |---|---|
//! | `VersioningConfiguration.Status` | `versioning` |
//! | `BucketEncryption.ServerSideEncryptionConfiguration[0]` (`SSEAlgorithm`, `KMSMasterKeyID`, `BucketKeyEnabled`) | `encryption` |
//! | `ObjectLockEnabled: true`, `ObjectLockConfiguration.Rule.DefaultRetention` (`Mode`, `Days`/`Years`) | `object_lock` |
//! | `LoggingConfiguration` (`DestinationBucketName`, `LogFilePrefix`) | `logging` |
//!
//! Other bucket properties are ignored (see [`crate::template`]).

use serde_json::{Map, Value};

use crate::config::BucketConfig;
use crate::intrinsics::{Resolver, TemplateError, scalar_string};
use crate::settings::{DefaultRetention, Encryption, Logging, ObjectLock};

/// Reads the settings of one bucket resource into `bucket`.
pub(crate) fn read(
    resolver: &Resolver<'_>,
    properties: &Map<String, Value>,
    bucket: &mut BucketConfig,
) -> Result<(), TemplateError> {
    let get = |key: &str| -> Result<Option<Value>, TemplateError> {
        match properties.get(key).filter(|v| !v.is_null()) {
            Some(v) => resolver.resolve(v).map_err(|e| e.at(key)),
            None => Ok(None),
        }
    };
    let text = |v: &Value, path: &str| -> Result<Option<String>, TemplateError> {
        match path.split('.').try_fold(v, |v, k| v.get(k)) {
            None | Some(Value::Null) => Ok(None),
            Some(s) => scalar_string(s)
                .map(Some)
                .ok_or_else(|| TemplateError::invalid(format!("{path}: expected a string"))),
        }
    };
    if let Some(v) = get("VersioningConfiguration")? {
        bucket.versioning = text(&v, "Status")?;
    }
    if let Some(v) = get("BucketEncryption")? {
        let rule = v
            .get("ServerSideEncryptionConfiguration")
            .and_then(|r| r.get(0))
            .ok_or_else(|| {
                TemplateError::invalid(
                    "BucketEncryption: ServerSideEncryptionConfiguration needs a rule",
                )
            })?;
        let algorithm = text(rule, "ServerSideEncryptionByDefault.SSEAlgorithm")?
            .ok_or_else(|| TemplateError::invalid("BucketEncryption: SSEAlgorithm is required"))?;
        bucket.encryption = Some(Encryption {
            algorithm,
            kms_key_id: text(rule, "ServerSideEncryptionByDefault.KMSMasterKeyID")?,
            bucket_key_enabled: text(rule, "BucketKeyEnabled")?.as_deref() == Some("true"),
        });
    }
    let lock_enabled = get("ObjectLockEnabled")?
        .as_ref()
        .and_then(scalar_string)
        .is_some_and(|s| s == "true");
    if lock_enabled {
        let mut lock = ObjectLock::default();
        if let Some(v) = get("ObjectLockConfiguration")? {
            let d = "Rule.DefaultRetention";
            if let Some(mode) = text(&v, &format!("{d}.Mode"))? {
                let number = |k: &str| -> Result<Option<u32>, TemplateError> {
                    text(&v, &format!("{d}.{k}"))?
                        .map(|s| {
                            s.parse().map_err(|_| {
                                TemplateError::invalid(format!("{d}.{k}: expected a number"))
                            })
                        })
                        .transpose()
                };
                lock.default_retention = Some(DefaultRetention {
                    mode,
                    days: number("Days")?,
                    years: number("Years")?,
                });
            }
        }
        bucket.object_lock = Some(lock);
    } else if properties.contains_key("ObjectLockConfiguration") {
        return Err(TemplateError::invalid(
            "ObjectLockConfiguration needs ObjectLockEnabled: true (S3 enables Object Lock only when a bucket is created)",
        ));
    }
    if let Some(v) = get("LoggingConfiguration")? {
        // Without DestinationBucketName, CloudFormation logs to the bucket itself: refused
        // later as a log loop, with a clear message.
        let target_bucket =
            text(&v, "DestinationBucketName")?.unwrap_or_else(|| bucket.name.clone());
        bucket.logging = Some(Logging {
            target_bucket,
            target_prefix: text(&v, "LogFilePrefix")?.unwrap_or_default(),
        });
    }
    Ok(())
}

/// A bucket that receives another's server access logs starts empty (no sample objects).
pub(crate) fn log_targets_start_empty(buckets: &mut [BucketConfig]) {
    let targets: Vec<String> = buckets
        .iter()
        .filter_map(|b| b.logging.as_ref().map(|l| l.target_bucket.clone()))
        .collect();
    for b in buckets {
        if targets.contains(&b.name) {
            b.seed_samples = false;
        }
    }
}
