//! Bucket operations: create, delete, head, list, location, versioning and default
//! encryption settings.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::list;
use super::objects::{blocking, now_ns, ts};
use super::protect;
use crate::errors::error;

pub(super) async fn create_bucket(
    store: &Store,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let index = store.index.clone();
    let name = req.input.bucket.clone();
    let lock = req.input.object_lock_enabled_for_bucket.unwrap_or(false);
    blocking(move || index.create_bucket(&name, now_ns(), lock)).await?;
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{}", req.input.bucket)),
    }))
}

pub(super) async fn delete_bucket(
    store: &Store,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let index = store.index.clone();
    blocking(move || index.delete_bucket(&req.input.bucket)).await?;
    Ok(S3Response::new(DeleteBucketOutput {}))
}

pub(super) async fn head_bucket(
    store: &Store,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    store.index.bucket(&req.input.bucket)?;
    Ok(S3Response::new(HeadBucketOutput {
        bucket_region: Some(crate::config::REGION.to_owned()),
        ..Default::default()
    }))
}

pub(super) async fn list_buckets(
    store: &Store,
    _req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let buckets = store
        .index
        .bucket_names()
        .into_iter()
        .map(|(name, created)| Bucket {
            name: Some(name),
            creation_date: Some(ts(created)),
            bucket_region: Some(crate::config::REGION.to_owned()),
        })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(list::owner()),
        ..Default::default()
    }))
}

pub(super) async fn get_bucket_location(
    store: &Store,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    store.index.bucket(&req.input.bucket)?;
    // us-east-1 is reported as an empty LocationConstraint, as S3 does.
    Ok(S3Response::new(GetBucketLocationOutput::default()))
}

pub(super) async fn put_bucket_versioning(
    store: &Store,
    req: S3Request<PutBucketVersioningInput>,
) -> S3Result<S3Response<PutBucketVersioningOutput>> {
    let bucket = store.index.bucket(&req.input.bucket)?;
    let status = req
        .input
        .versioning_configuration
        .status
        .map(|s| s.as_str().to_owned());
    let status = match status.as_deref() {
        Some(s @ ("Enabled" | "Suspended")) => s.to_owned(),
        _ => {
            return Err(s3_error!(
                MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema"
            ));
        }
    };
    let layout = store.index.layout.clone();
    blocking(move || {
        bucket.update_meta(&layout, |meta, _| {
            if meta.object_lock && status == "Suspended" {
                return Err(error(
                    409,
                    "InvalidBucketState",
                    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
                ));
            }
            meta.versioning = Some(status);
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutBucketVersioningOutput {}))
}

pub(super) async fn get_bucket_versioning(
    store: &Store,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    let meta = store.index.bucket(&req.input.bucket)?.meta();
    Ok(S3Response::new(GetBucketVersioningOutput {
        status: meta.versioning.map(BucketVersioningStatus::from),
        ..Default::default()
    }))
}

pub(super) async fn put_bucket_encryption(
    store: &Store,
    req: S3Request<PutBucketEncryptionInput>,
) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    let rule = input
        .server_side_encryption_configuration
        .rules
        .into_iter()
        .next()
        .ok_or_else(|| s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"))?;
    let default = rule.apply_server_side_encryption_by_default;
    let sse = match default {
        Some(d) => protect::choose_sse(
            &store.account,
            &super::model::BucketMeta::default(),
            Some(d.sse_algorithm.as_str()),
            d.kms_master_key_id.as_deref(),
            rule.bucket_key_enabled,
            false,
        )?,
        None => Some(protect::sse_s3()),
    };
    let layout = store.index.layout.clone();
    blocking(move || {
        bucket.update_meta(&layout, |meta, _| {
            meta.encryption = sse;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutBucketEncryptionOutput::default()))
}

pub(super) async fn get_bucket_encryption(
    store: &Store,
    req: S3Request<GetBucketEncryptionInput>,
) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
    protect::check_owner(&store.account, req.input.expected_bucket_owner.as_ref())?;
    let meta = store.index.bucket(&req.input.bucket)?.meta();
    let sse = meta.encryption.unwrap_or_else(protect::sse_s3);
    Ok(S3Response::new(GetBucketEncryptionOutput {
        server_side_encryption_configuration: Some(ServerSideEncryptionConfiguration {
            rules: vec![ServerSideEncryptionRule {
                apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                    sse_algorithm: ServerSideEncryption::from(sse.algorithm),
                    kms_master_key_id: sse.kms_key_id,
                }),
                bucket_key_enabled: Some(sse.bucket_key_enabled.unwrap_or(false)),
            }],
        }),
    }))
}

pub(super) async fn delete_bucket_encryption(
    store: &Store,
    req: S3Request<DeleteBucketEncryptionInput>,
) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
    let bucket = store.index.bucket(&req.input.bucket)?;
    let layout = store.index.layout.clone();
    blocking(move || {
        bucket.update_meta(&layout, |meta, _| {
            meta.encryption = None;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
}

/// PutBucketLogging: the target must be another existing bucket (a bucket logging into
/// itself would log its own log deliveries: refused, as at start).
pub(super) async fn put_bucket_logging(
    store: &Store,
    req: S3Request<PutBucketLoggingInput>,
) -> S3Result<S3Response<PutBucketLoggingOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    let logging = match input.bucket_logging_status.logging_enabled {
        Some(l) => {
            if l.target_bucket == input.bucket {
                return Err(error(
                    400,
                    "InvalidTargetBucketForLogging",
                    "The target bucket for logging is the source bucket; its log objects would be logged again (log loop). Use another bucket.",
                ));
            }
            if store.index.bucket(&l.target_bucket).is_err() {
                return Err(error(
                    400,
                    "InvalidTargetBucketForLogging",
                    "The target bucket for logging does not exist",
                ));
            }
            Some((l.target_bucket, l.target_prefix))
        }
        None => None,
    };
    let layout = store.index.layout.clone();
    blocking(move || {
        bucket.update_meta(&layout, |meta, _| {
            meta.logging = logging;
            Ok(())
        })
    })
    .await?;
    Ok(S3Response::new(PutBucketLoggingOutput::default()))
}

pub(super) async fn get_bucket_logging(
    store: &Store,
    req: S3Request<GetBucketLoggingInput>,
) -> S3Result<S3Response<GetBucketLoggingOutput>> {
    protect::check_owner(&store.account, req.input.expected_bucket_owner.as_ref())?;
    let meta = store.index.bucket(&req.input.bucket)?.meta();
    Ok(S3Response::new(GetBucketLoggingOutput {
        logging_enabled: meta
            .logging
            .map(|(target_bucket, target_prefix)| LoggingEnabled {
                target_bucket,
                target_prefix,
                ..Default::default()
            }),
    }))
}
