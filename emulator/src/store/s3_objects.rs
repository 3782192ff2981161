//! Object operations: PutObject, GetObject, HeadObject, DeleteObject(s).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::conditions::Conditions;
use super::model::{NULL_VERSION, Version};
use super::objects::{self, blocking, etag, now_ns, ts};
use super::protect;
use super::receive;
use super::s3::{checksum_mode, versioned};
use crate::errors::error;

/// Fills the fields GET and HEAD share (s3s generates the two output types separately, with
/// the same field names).
macro_rules! describe {
    ($out:expr, $v:expr, $versioned:expr, $checksums:expr) => {{
        let v: &Version = $v;
        let out = &mut $out;
        out.e_tag = Some(etag(&v.etag));
        out.last_modified = Some(ts(v.modified_ns));
        out.content_type = Some(
            v.attrs
                .content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".to_owned()),
        );
        out.content_encoding.clone_from(&v.attrs.content_encoding);
        out.content_disposition
            .clone_from(&v.attrs.content_disposition);
        out.content_language.clone_from(&v.attrs.content_language);
        out.cache_control.clone_from(&v.attrs.cache_control);
        out.expires = v
            .attrs
            .expires
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(Timestamp::from);
        out.website_redirect_location
            .clone_from(&v.attrs.website_redirect_location);
        out.metadata = (!v.attrs.metadata.is_empty()).then(|| {
            v.attrs
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
        out.storage_class = v.attrs.storage_class.clone().map(StorageClass::from);
        if let Some(c) = &v.attrs.sse_c {
            out.sse_customer_algorithm = Some(c.algorithm.clone());
            out.sse_customer_key_md5.clone_from(&c.key_md5);
        }
        if let Some(e) = &v.attrs.sse {
            out.server_side_encryption = Some(ServerSideEncryption::from(e.algorithm.clone()));
            out.ssekms_key_id.clone_from(&e.kms_key_id);
            out.bucket_key_enabled = e.bucket_key_enabled;
        }
        if let Some((mode, until)) = &v.lock.retention {
            out.object_lock_mode = Some(ObjectLockMode::from(mode.clone()));
            out.object_lock_retain_until_date = time::OffsetDateTime::from_unix_timestamp(*until)
                .ok()
                .map(Timestamp::from);
        }
        if v.lock.legal_hold {
            out.object_lock_legal_hold_status =
                Some(ObjectLockLegalHoldStatus::from("ON".to_owned()));
        }
        if $versioned {
            out.version_id = Some(v.version_id.clone());
        }
        out.accept_ranges = Some("bytes".to_owned());
        if $checksums {
            out.checksum_crc32.clone_from(&v.checksums.crc32);
            out.checksum_crc32c.clone_from(&v.checksums.crc32c);
            out.checksum_crc64nvme.clone_from(&v.checksums.crc64nvme);
            out.checksum_sha1.clone_from(&v.checksums.sha1);
            out.checksum_sha256.clone_from(&v.checksums.sha256);
            let any = v.checksums != super::model::Checksums::default();
            if any {
                out.checksum_type = Some(ChecksumType::from(
                    if v.parts.is_empty() || v.checksums.crc64nvme.is_some() {
                        "FULL_OBJECT"
                    } else {
                        "COMPOSITE"
                    }
                    .to_owned(),
                ));
            }
        }
    }};
}

pub(super) async fn put_object(
    store: &Store,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let bucket = store.index.bucket(&req.input.bucket)?;
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    objects::check_key(&input.key)?;
    let meta = bucket.meta();
    let (sse, lock) = protect::protection!(&store.account, &meta, input)?;
    let sse_out = sse.clone();
    let attrs = objects::attrs_in!(input, sse).into_attrs()?;
    let (received, checksums) = receive::receive_checked(
        &store.index.layout,
        receive::Incoming {
            body: input.body,
            content_length: input.content_length,
            content_md5: input.content_md5,
            algorithm: input.checksum_algorithm.map(|a| a.as_str().to_owned()),
            headers: &req.headers,
            trailers: req.trailing_headers.as_ref(),
            checksums: [
                &input.checksum_crc32,
                &input.checksum_crc32c,
                &input.checksum_crc64nvme,
                &input.checksum_sha1,
                &input.checksum_sha256,
            ],
        },
    )
    .await?;
    let checksums_out = checksums.clone();
    let (if_match, if_none_match) = (input.if_match, input.if_none_match);
    let key = input.key;
    let etag_hex = received.md5_hex();
    let layout = store.index.layout.clone();
    let etag_out = etag_hex.clone();
    let (version_id, versioned) = blocking(move || {
        let name = super::disk::new_token();
        let data = objects::data_path(&bucket, &name);
        received
            .temp
            .persist(&data)
            .map_err(|e| super::index::io_error("storing an upload", &e))?;
        let committed = bucket.update_key(&layout, &key, |meta, record| {
            objects::check_write_conditions(
                record.as_ref(),
                if_match.as_ref(),
                if_none_match.as_ref(),
            )?;
            let id = objects::new_version_id(meta.versioning_enabled());
            let v = Version {
                version_id: id.clone(),
                delete_marker: false,
                data: Some(name.clone()),
                size: received.size,
                etag: etag_hex.clone(),
                modified_ns: now_ns(),
                attrs,
                checksums: checksums.clone(),
                parts: Vec::new(),
                lock,
            };
            let obsolete = objects::add_version(record, &key, v);
            Ok((id, versioned(meta), obsolete))
        });
        match committed {
            Ok((id, versioned, obsolete)) => {
                objects::remove_data(&bucket.dir, &obsolete);
                Ok((id, versioned))
            }
            Err(e) => {
                super::disk::remove_quietly(&data);
                Err(e)
            }
        }
    })
    .await?;
    let mut out = PutObjectOutput {
        e_tag: Some(etag(&etag_out)),
        version_id: versioned.then_some(version_id),
        // The stored checksums, as S3 returns them.
        checksum_crc32: checksums_out.crc32,
        checksum_crc32c: checksums_out.crc32c,
        checksum_crc64nvme: checksums_out.crc64nvme,
        checksum_sha1: checksums_out.sha1,
        checksum_sha256: checksums_out.sha256,
        ..Default::default()
    };
    if let Some(a) = input.sse_customer_algorithm {
        out.sse_customer_algorithm = Some(a);
        out.sse_customer_key_md5 = input.sse_customer_key_md5;
    }
    if let Some(e) = sse_out {
        out.server_side_encryption = Some(ServerSideEncryption::from(e.algorithm));
        out.ssekms_key_id = e.kms_key_id;
        out.bucket_key_enabled = e.bucket_key_enabled;
    }
    Ok(S3Response::new(out))
}

pub(super) async fn get_object(
    store: &Store,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    let versioned = versioned(&bucket.meta());
    let (v, file) =
        objects::open_version(&bucket, &input.key, input.version_id.as_deref(), versioned)?;
    objects::check_sse_c(
        &v,
        input.sse_customer_algorithm.as_ref(),
        input.sse_customer_key_md5.as_ref(),
    )?;
    objects::check_read_conditions(
        &v,
        Conditions {
            if_match: input.if_match.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
        },
    )?;
    let sel = objects::select(v.size, &v.parts, input.range.as_ref(), input.part_number)?;
    let mut out = GetObjectOutput::default();
    describe!(
        out,
        &v,
        versioned,
        sel.whole && checksum_mode(input.checksum_mode.as_ref())
    );
    out.content_length = i64::try_from(sel.len).ok();
    out.content_range = sel.content_range;
    out.parts_count = sel.parts_count;
    if let Some(file) = file {
        out.body = Some(objects::body(file, sel.start, sel.len).await?);
    }
    // `response-*` query overrides, as S3 applies them to a signed GET.
    if let Some(v) = input.response_content_type {
        out.content_type = Some(v);
    }
    if let Some(v) = input.response_content_disposition {
        out.content_disposition = Some(v);
    }
    if let Some(v) = input.response_content_encoding {
        out.content_encoding = Some(v);
    }
    if let Some(v) = input.response_content_language {
        out.content_language = Some(v);
    }
    if let Some(v) = input.response_cache_control {
        out.cache_control = Some(v);
    }
    if let Some(v) = input.response_expires {
        out.expires = Some(v);
    }
    Ok(S3Response::new(out))
}

pub(super) async fn head_object(
    store: &Store,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    let versioned = versioned(&bucket.meta());
    let v = bucket.with_record(&input.key, |r| {
        objects::find_version(r, input.version_id.as_deref(), versioned).cloned()
    })?;
    objects::check_sse_c(
        &v,
        input.sse_customer_algorithm.as_ref(),
        input.sse_customer_key_md5.as_ref(),
    )?;
    objects::check_read_conditions(
        &v,
        Conditions {
            if_match: input.if_match.as_ref(),
            if_unmodified_since: input.if_unmodified_since.as_ref(),
            if_none_match: input.if_none_match.as_ref(),
            if_modified_since: input.if_modified_since.as_ref(),
        },
    )?;
    let sel = objects::select(v.size, &v.parts, input.range.as_ref(), input.part_number)?;
    let mut out = HeadObjectOutput::default();
    describe!(
        out,
        &v,
        versioned,
        sel.whole && checksum_mode(input.checksum_mode.as_ref())
    );
    out.content_length = i64::try_from(sel.len).ok();
    out.parts_count = sel.parts_count;
    Ok(S3Response::new(out))
}

pub(super) async fn delete_object(
    store: &Store,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    let layout = store.index.layout.clone();
    let bypass = input.bypass_governance_retention.unwrap_or(false);
    let out = blocking(move || {
        delete_one(
            &bucket,
            &layout,
            &input.key,
            input.version_id.as_deref(),
            bypass,
        )
    })
    .await?;
    Ok(S3Response::new(out))
}

pub(super) async fn delete_objects(
    store: &Store,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let layout = store.index.layout.clone();
    let quiet = input.delete.quiet.unwrap_or(false);
    let bypass = input.bypass_governance_retention.unwrap_or(false);
    let objects_in = input.delete.objects;
    if objects_in.len() > 1000 {
        return Err(s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        ));
    }
    let out = blocking(move || {
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for o in objects_in {
            match delete_one(&bucket, &layout, &o.key, o.version_id.as_deref(), bypass) {
                Ok(d) => {
                    if !quiet {
                        deleted.push(DeletedObject {
                            key: Some(o.key),
                            version_id: o.version_id.clone(),
                            delete_marker: d.delete_marker,
                            delete_marker_version_id: if o.version_id.is_none() {
                                d.version_id
                            } else {
                                None
                            },
                        });
                    }
                }
                Err(e) => errors.push(Error {
                    code: Some(e.code().as_str().to_owned()),
                    key: Some(o.key),
                    message: e.message().map(str::to_owned),
                    version_id: o.version_id,
                }),
            }
        }
        Ok(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        })
    })
    .await?;
    Ok(S3Response::new(out))
}

/// DeleteObject on one key. Blocking.
fn delete_one(
    bucket: &super::index::BucketState,
    layout: &super::disk::Layout,
    key: &str,
    version_id: Option<&str>,
    bypass_governance: bool,
) -> S3Result<DeleteObjectOutput> {
    if let Some(id) = version_id
        && id != NULL_VERSION
        && !super::disk::is_token(id)
    {
        return Err(error(
            400,
            "InvalidArgument",
            "Invalid version id specified",
        ));
    }
    let (out, obsolete) = bucket.update_key(layout, key, |meta, record| {
        let versioned_bucket = versioned(meta);
        match version_id {
            // A version named: removed for good (S3 answers 204 when it does not exist).
            Some(id) => {
                let mut removed = None;
                if let Some(r) = record.as_mut()
                    && let Some(pos) = r.versions.iter().position(|v| v.version_id == id)
                {
                    protect::check_removable(&r.versions[pos].lock, bypass_governance)?;
                    removed = Some(r.versions.remove(pos));
                }
                let out = DeleteObjectOutput {
                    version_id: Some(id.to_owned()),
                    delete_marker: removed
                        .as_ref()
                        .and_then(|v| v.delete_marker.then_some(true)),
                    ..Default::default()
                };
                Ok((out, removed.and_then(|v| v.data).into_iter().collect()))
            }
            None if !versioned_bucket => {
                let obsolete: Vec<String> = record
                    .take()
                    .map(|r| r.versions.into_iter().filter_map(|v| v.data).collect())
                    .unwrap_or_default();
                Ok((DeleteObjectOutput::default(), obsolete))
            }
            // Versioning on (or suspended): a delete marker becomes the current version.
            None => {
                let id = objects::new_version_id(meta.versioning_enabled());
                let marker = Version {
                    version_id: id.clone(),
                    delete_marker: true,
                    data: None,
                    size: 0,
                    etag: String::new(),
                    modified_ns: now_ns(),
                    attrs: super::model::Attrs::default(),
                    checksums: super::model::Checksums::default(),
                    parts: Vec::new(),
                    lock: super::model::Lock::default(),
                };
                // Suspended versioning replaces the null version: not if it is locked.
                if let Some(old) = record
                    .as_ref()
                    .and_then(|r| r.version(super::model::NULL_VERSION))
                    .filter(|_| marker.version_id == super::model::NULL_VERSION)
                {
                    protect::check_removable(&old.lock, bypass_governance)?;
                }
                let obsolete = objects::add_version(record, key, marker);
                let out = DeleteObjectOutput {
                    delete_marker: Some(true),
                    version_id: Some(id),
                    ..Default::default()
                };
                Ok((out, obsolete))
            }
        }
    })?;
    objects::remove_data(&bucket.dir, &obsolete);
    Ok(out)
}
