//! Object Lock: the bucket's default retention, and per-version retention and legal holds.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::model::{KeyRecord, Version};
use super::objects::{self, blocking, ts_secs};
use super::protect;
use super::s3::versioned;
use crate::errors::error;

pub(super) async fn put_object_lock_configuration(
    store: &Store,
    req: S3Request<PutObjectLockConfigurationInput>,
) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let retention = match input
        .object_lock_configuration
        .and_then(|c| c.rule)
        .and_then(|r| r.default_retention)
    {
        Some(d) => {
            let mode = d.mode.map(|m| m.as_str().to_owned()).unwrap_or_default();
            protect::check_mode(&mode)?;
            let days = match (d.days, d.years) {
                (Some(days), None) if days > 0 => i64::from(days),
                (None, Some(years)) if years > 0 => i64::from(years) * 365,
                _ => {
                    return Err(s3_error!(
                        MalformedXML,
                        "Default retention needs either Days or Years, positive"
                    ));
                }
            };
            Some((mode, days))
        }
        None => None,
    };
    let layout = store.index.layout.clone();
    blocking(move || {
        bucket.update_meta(&layout, |meta, _| {
            if !meta.object_lock {
                return Err(error(
                    409,
                    "InvalidBucketState",
                    "Object Lock configuration cannot be enabled on existing buckets",
                ));
            }
            meta.default_retention = retention;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
}

pub(super) async fn get_object_lock_configuration(
    store: &Store,
    req: S3Request<GetObjectLockConfigurationInput>,
) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
    let meta = store.index.bucket(&req.input.bucket)?.meta();
    if !meta.object_lock {
        return Err(error(
            404,
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ));
    }
    Ok(S3Response::new(GetObjectLockConfigurationOutput {
        object_lock_configuration: Some(ObjectLockConfiguration {
            object_lock_enabled: Some(ObjectLockEnabled::from("Enabled".to_owned())),
            rule: meta.default_retention.map(|(mode, days)| ObjectLockRule {
                default_retention: Some(DefaultRetention {
                    mode: Some(ObjectLockRetentionMode::from(mode)),
                    days: i32::try_from(days).ok(),
                    years: None,
                }),
            }),
        }),
    }))
}

pub(super) async fn put_object_retention(
    store: &Store,
    req: S3Request<PutObjectRetentionInput>,
) -> S3Result<S3Response<PutObjectRetentionOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let retention = input.retention.unwrap_or_default();
    let mode = retention.mode.map(|m| m.as_str().to_owned());
    let until = retention.retain_until_date.as_ref().map(ts_secs);
    let new = match (mode, until) {
        (Some(m), Some(u)) => {
            protect::check_mode(&m)?;
            Some((m, u))
        }
        (None, None) => None,
        _ => {
            return Err(s3_error!(
                MalformedXML,
                "Retention needs both Mode and RetainUntilDate"
            ));
        }
    };
    let bypass = input.bypass_governance_retention.unwrap_or(false);
    let layout = store.index.layout.clone();
    let version_id = input.version_id.clone();
    blocking(move || {
        bucket.update_key(&layout, &input.key, |meta, record| {
            locked_bucket(meta)?;
            let v = version_mut(record, version_id.as_deref())?;
            // Shortening or removing a retention is what the lock prevents.
            let weaker = match (&v.lock.retention, &new) {
                (Some((old_mode, old_until)), Some((mode, until))) => {
                    until < old_until || (old_mode == "COMPLIANCE" && mode != "COMPLIANCE")
                }
                (Some(_), None) => true,
                (None, _) => false,
            };
            if weaker {
                protect::check_removable(
                    &super::model::Lock {
                        retention: v.lock.retention.clone(),
                        legal_hold: false,
                    },
                    bypass,
                )?;
            }
            v.lock.retention = new;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutObjectRetentionOutput::default()))
}

pub(super) async fn get_object_retention(
    store: &Store,
    req: S3Request<GetObjectRetentionInput>,
) -> S3Result<S3Response<GetObjectRetentionOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    locked_bucket(&bucket.meta())?;
    let versioned = versioned(&bucket.meta());
    let v = bucket.with_record(&input.key, |r| {
        objects::find_version(r, input.version_id.as_deref(), versioned).cloned()
    })?;
    let Some((mode, until)) = v.lock.retention else {
        return Err(error(
            404,
            "NoSuchObjectLockConfiguration",
            "The specified object does not have a ObjectLock configuration",
        ));
    };
    Ok(S3Response::new(GetObjectRetentionOutput {
        retention: Some(ObjectLockRetention {
            mode: Some(ObjectLockRetentionMode::from(mode)),
            retain_until_date: time::OffsetDateTime::from_unix_timestamp(until)
                .ok()
                .map(Timestamp::from),
        }),
    }))
}

pub(super) async fn put_object_legal_hold(
    store: &Store,
    req: S3Request<PutObjectLegalHoldInput>,
) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let on = match input
        .legal_hold
        .and_then(|h| h.status)
        .as_ref()
        .map(ObjectLockLegalHoldStatus::as_str)
    {
        Some("ON") => true,
        Some("OFF") => false,
        _ => {
            return Err(s3_error!(
                MalformedXML,
                "Legal hold status must be ON or OFF"
            ));
        }
    };
    let layout = store.index.layout.clone();
    let version_id = input.version_id.clone();
    blocking(move || {
        bucket.update_key(&layout, &input.key, |meta, record| {
            locked_bucket(meta)?;
            version_mut(record, version_id.as_deref())?.lock.legal_hold = on;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
}

pub(super) async fn get_object_legal_hold(
    store: &Store,
    req: S3Request<GetObjectLegalHoldInput>,
) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    locked_bucket(&bucket.meta())?;
    let versioned = versioned(&bucket.meta());
    let v = bucket.with_record(&input.key, |r| {
        objects::find_version(r, input.version_id.as_deref(), versioned).cloned()
    })?;
    Ok(S3Response::new(GetObjectLegalHoldOutput {
        legal_hold: Some(ObjectLockLegalHold {
            status: Some(ObjectLockLegalHoldStatus::from(
                if v.lock.legal_hold { "ON" } else { "OFF" }.to_owned(),
            )),
        }),
    }))
}

/// Object Lock operations need a bucket created with Object Lock.
fn locked_bucket(meta: &super::model::BucketMeta) -> S3Result<()> {
    if meta.object_lock {
        Ok(())
    } else {
        Err(error(
            400,
            "InvalidRequest",
            "Bucket is missing Object Lock Configuration",
        ))
    }
}

/// The version an Object Lock operation names (latest when none), for changing.
fn version_mut<'a>(
    record: &'a mut Option<KeyRecord>,
    version_id: Option<&str>,
) -> S3Result<&'a mut Version> {
    let no_key = || s3_error!(NoSuchKey, "The specified key does not exist.");
    let r = record.as_mut().ok_or_else(no_key)?;
    let v = match version_id {
        Some(id) => r
            .versions
            .iter_mut()
            .find(|v| v.version_id == id)
            .ok_or_else(|| s3_error!(NoSuchVersion, "The specified version does not exist."))?,
        None => r.versions.first_mut().ok_or_else(no_key)?,
    };
    if v.delete_marker {
        return Err(s3_error!(
            MethodNotAllowed,
            "The specified method is not allowed against this resource."
        ));
    }
    Ok(v)
}
