//! What S3 records about protection and ownership: server-side encryption headers (SSE-S3,
//! SSE-KMS, bucket default encryption), Object Lock (retention, legal holds) and the
//! `x-amz-expected-bucket-owner` check.

use s3s::{S3Result, s3_error};

use super::model::{BucketMeta, Lock, Sse};
use crate::errors::error;

/// The encryption and Object Lock a new object gets from a PutObject, CreateMultipartUpload
/// or CopyObject input (s3s generates the three types separately, with the same field names):
/// `S3Result<(Option<Sse>, Lock)>`.
macro_rules! protection {
    ($account:expr, $meta:expr, $input:expr) => {{
        let input = &$input;
        $crate::store::protect::choose_sse(
            $account,
            $meta,
            input
                .server_side_encryption
                .as_ref()
                .map(s3s::dto::ServerSideEncryption::as_str),
            input.ssekms_key_id.as_deref(),
            input.bucket_key_enabled,
            input.sse_customer_algorithm.is_some(),
        )
        .and_then(|sse| {
            $crate::store::protect::choose_lock(
                $meta,
                input
                    .object_lock_mode
                    .as_ref()
                    .map(s3s::dto::ObjectLockMode::as_str),
                input
                    .object_lock_retain_until_date
                    .as_ref()
                    .map($crate::store::objects::ts_secs),
                input
                    .object_lock_legal_hold_status
                    .as_ref()
                    .map(s3s::dto::ObjectLockLegalHoldStatus::as_str),
            )
            .map(|lock| (sse, lock))
        })
    }};
}
pub(crate) use protection;

/// `x-amz-expected-bucket-owner` naming another account → 403, as S3.
pub(crate) fn check_owner(account: &str, expected: Option<&String>) -> S3Result<()> {
    match expected {
        Some(e) if e != account => Err(s3_error!(AccessDenied, "Access Denied")),
        _ => Ok(()),
    }
}

/// The encryption a new object gets: the request's, else the bucket's default, else SSE-S3
/// (S3 encrypts every new object since January 2023). `None` for SSE-C objects.
pub(crate) fn choose_sse(
    account: &str,
    meta: &BucketMeta,
    algorithm: Option<&str>,
    kms_key_id: Option<&str>,
    bucket_key_enabled: Option<bool>,
    sse_c: bool,
) -> S3Result<Option<Sse>> {
    if sse_c {
        if algorithm.is_some() {
            return Err(error(
                400,
                "InvalidArgument",
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            ));
        }
        return Ok(None);
    }
    let Some(algorithm) = algorithm else {
        return Ok(Some(meta.encryption.clone().unwrap_or_else(sse_s3)));
    };
    match algorithm {
        "AES256" => {
            if kms_key_id.is_some() {
                return Err(error(
                    400,
                    "InvalidArgument",
                    "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                ));
            }
            Ok(Some(sse_s3()))
        }
        "aws:kms" | "aws:kms:dsse" => Ok(Some(Sse {
            algorithm: algorithm.to_owned(),
            kms_key_id: Some(
                kms_key_id
                    .map(str::to_owned)
                    .or_else(|| meta.encryption.as_ref().and_then(|e| e.kms_key_id.clone()))
                    .unwrap_or_else(|| default_kms_key(account)),
            ),
            bucket_key_enabled: bucket_key_enabled
                .or_else(|| meta.encryption.as_ref().and_then(|e| e.bucket_key_enabled)),
        })),
        other => Err(error(
            400,
            "InvalidArgument",
            format!("The encryption method specified is not supported: {other}"),
        )),
    }
}

pub(crate) fn sse_s3() -> Sse {
    Sse {
        algorithm: "AES256".to_owned(),
        kms_key_id: None,
        bucket_key_enabled: None,
    }
}

/// The AWS managed key S3 uses when SSE-KMS names none.
pub(crate) fn default_kms_key(account: &str) -> String {
    format!(
        "arn:aws:kms:{}:{account}:alias/aws/s3",
        crate::config::REGION
    )
}

pub(crate) fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The lock a new version gets: the request's retention and legal hold, else the bucket's
/// default retention. Refused on a bucket without Object Lock, as S3.
pub(crate) fn choose_lock(
    meta: &BucketMeta,
    mode: Option<&str>,
    retain_until: Option<i64>,
    legal_hold: Option<&str>,
) -> S3Result<Lock> {
    let asked = mode.is_some() || retain_until.is_some() || legal_hold.is_some();
    if !meta.object_lock {
        if asked {
            return Err(error(
                400,
                "InvalidRequest",
                "Bucket is missing Object Lock Configuration",
            ));
        }
        return Ok(Lock::default());
    }
    let retention = match (mode, retain_until) {
        (Some(m), Some(until)) => {
            check_mode(m)?;
            if until <= now_secs() {
                return Err(error(
                    400,
                    "InvalidArgument",
                    "The retain until date must be in the future!",
                ));
            }
            Some((m.to_owned(), until))
        }
        (None, None) => meta
            .default_retention
            .as_ref()
            .map(|(m, days)| (m.clone(), now_secs() + days * 86_400)),
        _ => {
            return Err(error(
                400,
                "InvalidArgument",
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ));
        }
    };
    let legal_hold = match legal_hold {
        None | Some("OFF") => false,
        Some("ON") => true,
        Some(_) => {
            return Err(error(
                400,
                "InvalidArgument",
                "Legal Hold must be either of 'ON' or 'OFF'",
            ));
        }
    };
    Ok(Lock {
        retention,
        legal_hold,
    })
}

pub(crate) fn check_mode(m: &str) -> S3Result<()> {
    if m == "GOVERNANCE" || m == "COMPLIANCE" {
        Ok(())
    } else {
        Err(error(400, "InvalidArgument", "Unknown wormMode directive."))
    }
}

/// Whether a version may be deleted (or its retention shortened) now: a legal hold or an
/// unexpired COMPLIANCE retention never; an unexpired GOVERNANCE retention only with
/// `x-amz-bypass-governance-retention: true`.
pub(crate) fn check_removable(lock: &Lock, bypass_governance: bool) -> S3Result<()> {
    let denied = || {
        s3_error!(
            AccessDenied,
            "Access Denied because object protected by object lock."
        )
    };
    if lock.legal_hold {
        return Err(denied());
    }
    match &lock.retention {
        Some((mode, until)) if *until > now_secs() => {
            if mode == "COMPLIANCE" || !bypass_governance {
                Err(denied())
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_refuse_removal_as_s3() {
        let future = now_secs() + 3600;
        let gov = Lock {
            retention: Some(("GOVERNANCE".into(), future)),
            legal_hold: false,
        };
        assert!(check_removable(&gov, false).is_err());
        assert!(check_removable(&gov, true).is_ok());
        let comp = Lock {
            retention: Some(("COMPLIANCE".into(), future)),
            legal_hold: false,
        };
        assert!(check_removable(&comp, true).is_err());
        let expired = Lock {
            retention: Some(("COMPLIANCE".into(), now_secs() - 1)),
            legal_hold: false,
        };
        assert!(check_removable(&expired, false).is_ok());
        let held = Lock {
            retention: None,
            legal_hold: true,
        };
        assert!(check_removable(&held, true).is_err());
    }

    #[test]
    fn encryption_defaults_to_sse_s3_and_follows_the_bucket() {
        let mut meta = BucketMeta::default();
        let sse = choose_sse("1", &meta, None, None, None, false)
            .unwrap()
            .unwrap();
        assert_eq!(sse.algorithm, "AES256");
        meta.encryption = Some(Sse {
            algorithm: "aws:kms".into(),
            kms_key_id: Some("k".into()),
            bucket_key_enabled: Some(true),
        });
        let sse = choose_sse("1", &meta, None, None, None, false)
            .unwrap()
            .unwrap();
        assert_eq!(sse.kms_key_id.as_deref(), Some("k"));
        let kms = choose_sse(
            "1",
            &BucketMeta::default(),
            Some("aws:kms"),
            None,
            None,
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(kms.kms_key_id, Some(default_kms_key("1")));
        assert!(choose_sse("1", &meta, Some("AES256"), None, None, true).is_err());
        assert!(
            choose_sse("1", &meta, None, None, None, true)
                .unwrap()
                .is_none()
        );
        assert!(choose_sse("1", &meta, Some("DES"), None, None, false).is_err());
    }
}
