//! Multipart uploads as S3 runs them (parts kept until Complete or Abort; Complete checks
//! order, ETags and sizes and keeps the upload when it fails), and CopyObject.

use std::io::Write as _;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::conditions::{self, Conditions, Precondition};
use super::disk::{self, Layout, TempFile};
use super::index::{BucketState, io_error};
use super::model::{Checksums, Part, Upload, Version};
use super::objects::{self, AttrsIn, blocking, etag, now_ns, ts};
use super::receive;
use crate::errors::error;

/// S3's smallest part, except the last one.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PARTS: i32 = 10_000;

fn no_such_upload() -> s3s::S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

/// The upload's folder and record, checked against the request's key.
fn open_upload(
    bucket: &BucketState,
    upload_id: &str,
    key: &str,
) -> S3Result<(std::path::PathBuf, Upload)> {
    let dir = Layout::upload_dir(&bucket.dir, upload_id).ok_or_else(no_such_upload)?;
    let upload: Upload = disk::read_json(&dir.join("upload.json")).map_err(|_| no_such_upload())?;
    if upload.key != key {
        return Err(no_such_upload());
    }
    Ok((dir, upload))
}

fn part_path(dir: &std::path::Path, n: i32) -> (std::path::PathBuf, std::path::PathBuf) {
    (dir.join(format!("{n}.part")), dir.join(format!("{n}.json")))
}

/// The parts uploaded so far, by number.
fn read_parts(dir: &std::path::Path) -> S3Result<Vec<(i32, Part)>> {
    let mut parts = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io_error("reading an upload", &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_suffix(".json")
            .and_then(|n| n.parse::<i32>().ok())
            && let Ok(p) = disk::read_json::<Part>(&entry.path())
        {
            parts.push((n, p));
        }
    }
    parts.sort_by_key(|(n, _)| *n);
    Ok(parts)
}

pub(super) async fn create(
    store: &Store,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let input = req.input;
    super::protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let bucket = store.index.bucket(&input.bucket)?;
    objects::check_key(&input.key)?;
    let meta = bucket.meta();
    let (sse, lock) = super::protect::protection!(&store.account, &meta, input)?;
    let sse_out = sse.clone();
    let attrs = objects::attrs_in!(input, sse).into_attrs()?;
    let upload = Upload {
        key: input.key.clone(),
        initiated_ns: now_ns(),
        attrs,
        checksum_algorithm: input.checksum_algorithm.map(|a| a.as_str().to_owned()),
        lock,
    };
    let id = disk::new_token();
    let layout = store.index.layout.clone();
    let id2 = id.clone();
    blocking(move || {
        let dir = Layout::upload_dir(&bucket.dir, &id2).ok_or_else(no_such_upload)?;
        std::fs::create_dir_all(&dir).map_err(|e| io_error("creating an upload", &e))?;
        disk::write_json(&layout, &dir.join("upload.json"), &upload)
            .map_err(|e| io_error("creating an upload", &e))
    })
    .await?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(id),
        sse_customer_algorithm: input.sse_customer_algorithm,
        sse_customer_key_md5: input.sse_customer_key_md5,
        server_side_encryption: sse_out
            .as_ref()
            .map(|e| ServerSideEncryption::from(e.algorithm.clone())),
        ssekms_key_id: sse_out.as_ref().and_then(|e| e.kms_key_id.clone()),
        bucket_key_enabled: sse_out.and_then(|e| e.bucket_key_enabled),
        ..Default::default()
    }))
}

pub(super) async fn upload_part(
    store: &Store,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    if !(1..=MAX_PARTS).contains(&input.part_number) {
        return Err(error(
            400,
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
        ));
    }
    let (dir, upload) = open_upload(&bucket, &input.upload_id, &input.key)?;
    let (received, checksums) = receive::receive_checked(
        &store.index.layout,
        receive::Incoming {
            body: input.body,
            content_length: input.content_length,
            content_md5: input.content_md5,
            algorithm: input
                .checksum_algorithm
                .map(|a| a.as_str().to_owned())
                .or(upload.checksum_algorithm),
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
    let md5_hex = received.md5_hex();
    let part = Part {
        size: received.size,
        etag: md5_hex.clone(),
        md5_hex: md5_hex.clone(),
        modified_ns: now_ns(),
        checksums: checksums.clone(),
    };
    let layout = store.index.layout.clone();
    let n = input.part_number;
    blocking(move || {
        // The upload may have been completed or aborted meanwhile.
        if !dir.join("upload.json").exists() {
            return Err(no_such_upload());
        }
        let (bytes, meta) = part_path(&dir, n);
        received
            .temp
            .persist(&bytes)
            .map_err(|e| io_error("storing a part", &e))?;
        disk::write_json(&layout, &meta, &part).map_err(|e| io_error("storing a part", &e))
    })
    .await?;
    Ok(S3Response::new(UploadPartOutput {
        e_tag: Some(etag(&md5_hex)),
        checksum_crc32: checksums.crc32,
        checksum_crc32c: checksums.crc32c,
        checksum_crc64nvme: checksums.crc64nvme,
        checksum_sha1: checksums.sha1,
        checksum_sha256: checksums.sha256,
        ..Default::default()
    }))
}

pub(super) async fn list_parts(
    store: &Store,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let (dir, _) = open_upload(&bucket, &input.upload_id, &input.key)?;
    let max = usize::try_from(input.max_parts.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
    let after = input.part_number_marker.unwrap_or(0);
    let all = read_parts(&dir)?;
    let rest: Vec<_> = all.into_iter().filter(|(n, _)| *n > after).collect();
    let truncated = rest.len() > max;
    let page: Vec<Part> = Vec::new();
    drop(page);
    let parts: Vec<s3s::dto::Part> = rest
        .iter()
        .take(max)
        .map(|(n, p)| s3s::dto::Part {
            part_number: Some(*n),
            e_tag: Some(etag(&p.etag)),
            size: i64::try_from(p.size).ok(),
            last_modified: Some(ts(p.modified_ns)),
            checksum_crc32: p.checksums.crc32.clone(),
            checksum_crc32c: p.checksums.crc32c.clone(),
            checksum_crc64nvme: p.checksums.crc64nvme.clone(),
            checksum_sha1: p.checksums.sha1.clone(),
            checksum_sha256: p.checksums.sha256.clone(),
        })
        .collect();
    let next = parts.last().and_then(|p| p.part_number);
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(input.upload_id),
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        part_number_marker: input.part_number_marker,
        next_part_number_marker: truncated.then_some(next).flatten(),
        is_truncated: Some(truncated),
        parts: Some(parts),
        owner: Some(super::list::owner()),
        storage_class: Some(StorageClass::from("STANDARD".to_owned())),
        ..Default::default()
    }))
}

pub(super) async fn list_uploads(
    store: &Store,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let max = usize::try_from(input.max_uploads.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
    let dir = Layout::uploads_dir(&bucket.dir);
    let mut uploads: Vec<(String, String, Upload)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let id = e.file_name().to_string_lossy().into_owned();
            if !disk::is_token(&id) {
                continue;
            }
            if let Ok(u) = disk::read_json::<Upload>(&e.path().join("upload.json"))
                && u.key.starts_with(&prefix)
            {
                uploads.push((u.key.clone(), id, u));
            }
        }
    }
    uploads.sort_by(|a, b| (&a.0, a.2.initiated_ns).cmp(&(&b.0, b.2.initiated_ns)));
    if let Some(km) = &input.key_marker {
        uploads.retain(|(k, _, _)| k > km);
    }
    let truncated = uploads.len() > max;
    uploads.truncate(max);
    let next = uploads.last().map(|(k, id, _)| (k.clone(), id.clone()));
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(input.bucket),
        prefix: Some(prefix),
        key_marker: input.key_marker,
        max_uploads: Some(i32::try_from(max).unwrap_or(1000)),
        is_truncated: Some(truncated),
        next_key_marker: truncated.then(|| next.clone().map(|n| n.0)).flatten(),
        next_upload_id_marker: truncated.then(|| next.map(|n| n.1)).flatten(),
        uploads: Some(
            uploads
                .into_iter()
                .map(|(key, id, u)| MultipartUpload {
                    key: Some(key),
                    upload_id: Some(id),
                    initiated: Some(ts(u.initiated_ns)),
                    owner: Some(super::list::owner()),
                    storage_class: Some(StorageClass::from("STANDARD".to_owned())),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }))
}

fn invalid_part(msg: &str) -> s3s::S3Error {
    s3_error!(
        InvalidPart,
        "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. ({})",
        msg
    )
}

pub(super) async fn complete(
    store: &Store,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let (dir, upload) = open_upload(&bucket, &input.upload_id, &input.key)?;
    let requested = input
        .multipart_upload
        .and_then(|m| m.parts)
        .unwrap_or_default();
    if requested.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        ));
    }
    let layout = store.index.layout.clone();
    let key = input.key.clone();
    let (if_match, if_none_match) = (input.if_match, input.if_none_match);
    let out = blocking(move || {
        let stored: std::collections::HashMap<i32, Part> = read_parts(&dir)?.into_iter().collect();
        let mut chosen = Vec::with_capacity(requested.len());
        let mut last = 0;
        for p in &requested {
            let n = p.part_number.unwrap_or(0);
            if n <= last {
                return Err(s3_error!(
                    InvalidPartOrder,
                    "The list of parts was not in ascending order. The parts list must be specified in order by part number."
                ));
            }
            last = n;
            let part = stored.get(&n).ok_or_else(|| invalid_part("part not uploaded"))?;
            let given = p.e_tag.as_ref().map(|e| match e {
                ETag::Strong(v) | ETag::Weak(v) => v.trim_matches('"').to_owned(),
            });
            if given.as_deref() != Some(part.etag.as_str()) {
                return Err(invalid_part("entity tag does not match"));
            }
            chosen.push((n, part.clone()));
        }
        for (n, p) in &chosen[..chosen.len() - 1] {
            if p.size < MIN_PART_SIZE {
                return Err(s3_error!(
                    EntityTooSmall,
                    "Your proposed upload is smaller than the minimum allowed object size. (part {} is {} bytes; every part but the last must be at least 5 MiB)",
                    n,
                    p.size
                ));
            }
        }
        // Concatenate into a new data file; the parts stay until the object is committed.
        let temp = TempFile::new(layout.temp_path());
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(temp.path()).map_err(|e| io_error("completing an upload", &e))?,
        );
        let mut md5s = Vec::with_capacity(chosen.len() * 16);
        let mut total = 0;
        for (n, p) in &chosen {
            let mut f = std::fs::File::open(part_path(&dir, *n).0)
                .map_err(|e| io_error("completing an upload", &e))?;
            total += std::io::copy(&mut f, &mut out).map_err(|e| io_error("completing an upload", &e))?;
            md5s.extend(hex::decode(&p.md5_hex).unwrap_or_default());
        }
        out.flush().map_err(|e| io_error("completing an upload", &e))?;
        drop(out);
        let etag_hex = {
            use s3s::crypto::Checksum as _;
            let d = s3s::crypto::Md5::checksum(&md5s);
            format!("{}-{}", hex::encode(d), chosen.len())
        };
        let name = disk::new_token();
        let data = objects::data_path(&bucket, &name);
        temp.persist(&data)
            .map_err(|e| io_error("completing an upload", &e))?;
        let parts: Vec<u64> = chosen.iter().map(|(_, p)| p.size).collect();
        let committed = bucket.update_key(&layout, &key, |meta, record| {
            objects::check_write_conditions(record.as_ref(), if_match.as_ref(), if_none_match.as_ref())?;
            let id = objects::new_version_id(meta.versioning_enabled());
            let v = Version {
                version_id: id.clone(),
                delete_marker: false,
                data: Some(name.clone()),
                size: total,
                etag: etag_hex.clone(),
                modified_ns: now_ns(),
                attrs: upload.attrs.clone(),
                checksums: Checksums::default(),
                parts,
                lock: upload.lock.clone(),
            };
            let obsolete = objects::add_version(record, &key, v);
            Ok((id, meta.versioning.is_some(), obsolete))
        });
        match committed {
            Ok((id, versioned, obsolete)) => {
                objects::remove_data(&bucket.dir, &obsolete);
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    tracing::warn!(error = %e, "cannot remove a completed upload's parts");
                }
                Ok((etag_hex, versioned.then_some(id)))
            }
            Err(e) => {
                disk::remove_quietly(&data);
                Err(e)
            }
        }
    })
    .await?;
    Ok(S3Response::new(CompleteMultipartUploadOutput {
        bucket: Some(input.bucket.clone()),
        key: Some(input.key.clone()),
        e_tag: Some(etag(&out.0)),
        version_id: out.1,
        location: Some(format!("/{}/{}", input.bucket, input.key)),
        ..Default::default()
    }))
}

pub(super) async fn abort(
    store: &Store,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let input = req.input;
    let bucket = store.index.bucket(&input.bucket)?;
    let (dir, _) = open_upload(&bucket, &input.upload_id, &input.key)?;
    blocking(move || std::fs::remove_dir_all(&dir).map_err(|e| io_error("aborting an upload", &e)))
        .await?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

/// CopyObject: the new version shares the source's bytes (a hard link: data files are never
/// changed in place), with the source's or the request's attributes.
pub(super) async fn copy_object(
    store: &Store,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let input = req.input;
    let CopySource::Bucket {
        bucket: src_bucket,
        key: src_key,
        version_id: src_version,
    } = &input.copy_source
    else {
        return Err(s3_error!(
            NotImplemented,
            "Copying from an access point or outpost is not supported"
        ));
    };
    let dst = store.index.bucket(&input.bucket)?;
    super::protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    objects::check_key(&input.key)?;
    let dst_meta = dst.meta();
    let (sse, lock) = super::protect::protection!(&store.account, &dst_meta, input)?;
    let src = store.index.bucket(src_bucket)?;
    let src_versioned = src.meta().versioning.is_some();
    let layout = store.index.layout.clone();
    // Link the source's bytes to a temporary name while its record is locked.
    let temp = TempFile::new(layout.temp_path());
    let v = src.with_record(src_key, |r| {
        let v = objects::find_version(r, src_version.as_deref(), src_versioned)?.clone();
        if let Some(name) = &v.data {
            std::fs::hard_link(objects::data_path(&src, name), temp.path())
                .or_else(|_| std::fs::copy(objects::data_path(&src, name), temp.path()).map(|_| ()))
                .map_err(|e| io_error("copying an object", &e))?;
        }
        Ok::<_, s3s::S3Error>(v)
    })?;
    objects::check_sse_c(
        &v,
        input.copy_source_sse_customer_algorithm.as_ref(),
        input.copy_source_sse_customer_key_md5.as_ref(),
    )?;
    let cond = conditions::evaluate(
        Conditions {
            if_match: input.copy_source_if_match.as_ref(),
            if_unmodified_since: input.copy_source_if_unmodified_since.as_ref(),
            if_none_match: input.copy_source_if_none_match.as_ref(),
            if_modified_since: input.copy_source_if_modified_since.as_ref(),
        },
        &v.etag,
        v.modified_ns / 1_000_000_000,
    );
    if cond != Precondition::Proceed {
        return Err(conditions::precondition_failed());
    }
    let replace = input
        .metadata_directive
        .as_ref()
        .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
    let same_object = **src_bucket == *input.bucket && **src_key == *input.key;
    if same_object
        && !replace
        && input.storage_class.is_none()
        && input.website_redirect_location.is_none()
        && input.sse_customer_algorithm.is_none()
        && input.server_side_encryption.is_none()
    {
        return Err(s3_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
        ));
    }
    let mut attrs = if replace {
        AttrsIn {
            content_type: input.content_type,
            content_encoding: input.content_encoding,
            content_disposition: input.content_disposition,
            content_language: input.content_language,
            cache_control: input.cache_control,
            expires: input.expires,
            website_redirect_location: input.website_redirect_location,
            storage_class: input.storage_class.map(|c| c.as_str().to_owned()),
            metadata: input.metadata,
            sse_c: None,
            sse: None,
        }
        .into_attrs()?
    } else {
        let mut a = v.attrs.clone();
        if let Some(c) = input.storage_class {
            objects::check_storage_class(Some(c.as_str()))?;
            a.storage_class = Some(c.as_str().to_owned()).filter(|c| c != "STANDARD");
        }
        a
    };
    attrs.sse.clone_from(&sse);
    attrs.sse_c = input
        .sse_customer_algorithm
        .clone()
        .map(|algorithm| super::model::SseC {
            algorithm,
            key_md5: input.sse_customer_key_md5.clone(),
        });
    let key = input.key.clone();
    let src_version_id = v.version_id.clone();
    let (new_version, modified, versioned) = blocking(move || {
        let name = disk::new_token();
        let data = objects::data_path(&dst, &name);
        let has_data = v.data.is_some();
        if has_data {
            temp.persist(&data)
                .map_err(|e| io_error("copying an object", &e))?;
        }
        let modified = now_ns();
        let committed = dst.update_key(&layout, &key, |meta, record| {
            let id = objects::new_version_id(meta.versioning_enabled());
            let nv = Version {
                version_id: id.clone(),
                delete_marker: false,
                data: has_data.then(|| name.clone()),
                size: v.size,
                etag: v.etag.clone(),
                modified_ns: modified,
                attrs,
                checksums: v.checksums.clone(),
                parts: v.parts.clone(),
                lock,
            };
            let obsolete = objects::add_version(record, &key, nv);
            Ok((id, meta.versioning.is_some(), obsolete))
        });
        match committed {
            Ok((id, versioned, obsolete)) => {
                objects::remove_data(&dst.dir, &obsolete);
                Ok((id, modified, versioned))
            }
            Err(e) => {
                disk::remove_quietly(&data);
                Err(e)
            }
        }
    })
    .await?;
    let (etag_hex, checksums) = store
        .index
        .bucket(&input.bucket)?
        .with_record(&input.key, |r| {
            r.and_then(|r| r.version(&new_version))
                .map(|v| (v.etag.clone(), v.checksums.clone()))
        })
        .unwrap_or_default();
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            e_tag: Some(etag(&etag_hex)),
            last_modified: Some(ts(modified)),
            checksum_crc32: checksums.crc32,
            checksum_crc32c: checksums.crc32c,
            checksum_crc64nvme: checksums.crc64nvme,
            checksum_sha1: checksums.sha1,
            checksum_sha256: checksums.sha256,
            ..Default::default()
        }),
        version_id: versioned.then_some(new_version),
        copy_source_version_id: src_versioned.then_some(src_version_id),
        sse_customer_algorithm: input.sse_customer_algorithm,
        sse_customer_key_md5: input.sse_customer_key_md5,
        server_side_encryption: sse
            .as_ref()
            .map(|e| ServerSideEncryption::from(e.algorithm.clone())),
        ssekms_key_id: sse.as_ref().and_then(|e| e.kms_key_id.clone()),
        bucket_key_enabled: sse.and_then(|e| e.bucket_key_enabled),
        ..Default::default()
    }))
}
