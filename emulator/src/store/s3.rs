//! The [`S3`] trait over the store: each operation checks its input, reads or changes the
//! index, and builds the s3s output.

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};

use super::Store;
use super::conditions::Conditions;
use super::list::{self, Entry};
use super::model::{KeyRecord, NULL_VERSION, Version};
use super::objects::{self, blocking, etag, now_ns, ts, ts_secs};
use super::protect;
use super::receive;
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

fn checksum_mode(m: Option<&ChecksumMode>) -> bool {
    m.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// A bucket "has versioning" once it was ever configured: version ids are then returned.
fn versioned(meta: &super::model::BucketMeta) -> bool {
    meta.versioning.is_some()
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let index = self.index.clone();
        let name = req.input.bucket.clone();
        let lock = req.input.object_lock_enabled_for_bucket.unwrap_or(false);
        blocking(move || index.create_bucket(&name, now_ns(), lock)).await?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", req.input.bucket)),
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let index = self.index.clone();
        blocking(move || index.delete_bucket(&req.input.bucket)).await?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.index.bucket(&req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(crate::config::REGION.to_owned()),
            ..Default::default()
        }))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let buckets = self
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

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.index.bucket(&req.input.bucket)?;
        // us-east-1 is reported as an empty LocationConstraint, as S3 does.
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let bucket = self.index.bucket(&req.input.bucket)?;
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
        let layout = self.index.layout.clone();
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

    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let meta = self.index.bucket(&req.input.bucket)?.meta();
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: meta.versioning.map(BucketVersioningStatus::from),
            ..Default::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let bucket = self.index.bucket(&req.input.bucket)?;
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        objects::check_key(&input.key)?;
        let meta = bucket.meta();
        let (sse, lock) = protect::protection!(&self.account, &meta, input)?;
        let sse_out = sse.clone();
        let attrs = objects::attrs_in!(input, sse).into_attrs()?;
        let (received, checksums) = receive::receive_checked(
            &self.index.layout,
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
        let (if_match, if_none_match) = (input.if_match, input.if_none_match);
        let key = input.key;
        let etag_hex = received.md5_hex();
        let layout = self.index.layout.clone();
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

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let bucket = self.index.bucket(&input.bucket)?;
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

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let bucket = self.index.bucket(&input.bucket)?;
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

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let bucket = self.index.bucket(&input.bucket)?;
        let layout = self.index.layout.clone();
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

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
        let layout = self.index.layout.clone();
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

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        super::multipart::copy_object(self, req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let encode = list::check_encoding(input.encoding_type.as_ref())?;
        let limit = list::page_size(input.max_keys)?;
        let bucket = self.index.bucket(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let out = bucket.with_keys(|keys| {
            let (entries, truncated) = list::walk(
                keys,
                &prefix,
                input.delimiter.as_deref(),
                input.marker.as_deref(),
                limit,
                |r| list::live(r).is_some(),
            );
            ListObjectsOutput {
                name: Some(input.bucket.clone()),
                prefix: Some(maybe_encode(&prefix, encode)),
                marker: Some(maybe_encode(
                    input.marker.as_deref().unwrap_or_default(),
                    encode,
                )),
                delimiter: input.delimiter.as_deref().map(|d| maybe_encode(d, encode)),
                max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
                is_truncated: Some(truncated),
                next_marker: (truncated && input.delimiter.is_some())
                    .then(|| list::last_marker(&entries))
                    .flatten()
                    .map(|m| maybe_encode(&m, encode)),
                contents: Some(contents(&entries, encode, true)),
                common_prefixes: list::prefixes(&entries, encode),
                encoding_type: input.encoding_type.clone(),
                ..Default::default()
            }
        });
        Ok(S3Response::new(out))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let encode = list::check_encoding(input.encoding_type.as_ref())?;
        let limit = list::page_size(input.max_keys)?;
        let bucket = self.index.bucket(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match &input.continuation_token {
            Some(t) => Some(list::decode_token(t)?),
            None => input.start_after.clone(),
        };
        let with_owner = input.fetch_owner.unwrap_or(false);
        let out = bucket.with_keys(|keys| {
            let (entries, truncated) = list::walk(
                keys,
                &prefix,
                input.delimiter.as_deref(),
                after.as_deref(),
                limit,
                |r| list::live(r).is_some(),
            );
            let contents = contents(&entries, encode, with_owner);
            ListObjectsV2Output {
                name: Some(input.bucket.clone()),
                prefix: Some(maybe_encode(&prefix, encode)),
                delimiter: input.delimiter.as_deref().map(|d| maybe_encode(d, encode)),
                max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
                key_count: i32::try_from(entries.len()).ok(),
                is_truncated: Some(truncated),
                continuation_token: input.continuation_token.clone(),
                next_continuation_token: truncated
                    .then(|| list::last_marker(&entries))
                    .flatten()
                    .map(|m| list::encode_token(&m)),
                start_after: input
                    .start_after
                    .as_deref()
                    .map(|s| maybe_encode(s, encode)),
                contents: Some(contents),
                common_prefixes: list::prefixes(&entries, encode),
                encoding_type: input.encoding_type.clone(),
                ..Default::default()
            }
        });
        Ok(S3Response::new(out))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let encode = list::check_encoding(input.encoding_type.as_ref())?;
        let limit = list::page_size(input.max_keys)?;
        let bucket = self.index.bucket(&input.bucket)?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let out = bucket.with_keys(|keys| {
            // Versions are counted against max-keys one by one; a key is walked whole, then
            // the page is cut at the limit (the next page resumes at the key/version marker).
            let (entries, _) = list::walk(
                keys,
                &prefix,
                input.delimiter.as_deref(),
                input.key_marker.as_deref(),
                usize::MAX,
                |_| true,
            );
            let mut versions = Vec::new();
            let mut markers = Vec::new();
            let mut prefixes = Vec::new();
            let mut count = 0_usize;
            let mut next: Option<(String, String)> = None;
            let mut skip_until = input
                .version_id_marker
                .clone()
                .filter(|_| input.key_marker.is_some());
            // With a version-id marker the marker key itself continues after that version.
            let resume: Vec<(&str, &KeyRecord)> = match (&input.key_marker, &skip_until) {
                (Some(k), Some(_)) => keys.get(k).map(|r| (k.as_str(), r)).into_iter().collect(),
                _ => Vec::new(),
            };
            let walk = resume
                .into_iter()
                .map(|(k, r)| Entry::Key(k, r))
                .chain(entries);
            'outer: for e in walk {
                match e {
                    Entry::Prefix(p) => {
                        if count == limit {
                            next = Some((p, String::new()));
                            break;
                        }
                        prefixes.push(CommonPrefix {
                            prefix: Some(maybe_encode(&p, encode)),
                        });
                        count += 1;
                    }
                    Entry::Key(k, r) => {
                        for (i, v) in r.versions.iter().enumerate() {
                            if let Some(m) = &skip_until {
                                if v.version_id == *m {
                                    skip_until = None;
                                }
                                continue;
                            }
                            if count == limit {
                                next = Some((k.to_owned(), v.version_id.clone()));
                                break 'outer;
                            }
                            count += 1;
                            let key = Some(maybe_encode(k, encode));
                            if v.delete_marker {
                                markers.push(DeleteMarkerEntry {
                                    key,
                                    version_id: Some(v.version_id.clone()),
                                    is_latest: Some(i == 0),
                                    last_modified: Some(ts(v.modified_ns)),
                                    owner: Some(list::owner()),
                                });
                            } else {
                                versions.push(ObjectVersion {
                                    key,
                                    version_id: Some(v.version_id.clone()),
                                    is_latest: Some(i == 0),
                                    last_modified: Some(ts(v.modified_ns)),
                                    e_tag: Some(etag(&v.etag)),
                                    size: i64::try_from(v.size).ok(),
                                    storage_class: Some(ObjectVersionStorageClass::from(
                                        "STANDARD".to_owned(),
                                    )),
                                    owner: Some(list::owner()),
                                    ..Default::default()
                                });
                            }
                        }
                        skip_until = None;
                    }
                }
            }
            // A page cut inside a key resumes at its previous version: the marker names the
            // last version returned.
            let (next_key, next_version) = match next {
                Some((k, vid)) if !vid.is_empty() => {
                    let prev = keys.get(&k).and_then(|r| {
                        let pos = r.versions.iter().position(|v| v.version_id == vid)?;
                        pos.checked_sub(1).map(|p| r.versions[p].version_id.clone())
                    });
                    match prev {
                        Some(p) => (Some(k), Some(p)),
                        None => {
                            // Cut before the key's first version: resume after the previous key.
                            let last = versions
                                .last()
                                .and_then(|v: &ObjectVersion| v.key.clone())
                                .or_else(|| markers.last().and_then(|m| m.key.clone()));
                            (last, None)
                        }
                    }
                }
                Some((p, _)) => (Some(p), None),
                None => (None, None),
            };
            let truncated = next_key.is_some();
            ListObjectVersionsOutput {
                name: Some(input.bucket.clone()),
                prefix: Some(maybe_encode(&prefix, encode)),
                delimiter: input.delimiter.clone(),
                key_marker: Some(input.key_marker.clone().unwrap_or_default()),
                version_id_marker: Some(input.version_id_marker.clone().unwrap_or_default()),
                max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
                is_truncated: Some(truncated),
                next_key_marker: next_key,
                next_version_id_marker: next_version,
                versions: Some(versions),
                delete_markers: Some(markers),
                common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
                encoding_type: input.encoding_type.clone(),
                ..Default::default()
            }
        });
        Ok(S3Response::new(out))
    }

    async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let input = req.input;
        protect::check_owner(&self.account, input.expected_bucket_owner.as_ref())?;
        let bucket = self.index.bucket(&input.bucket)?;
        let rule = input
            .server_side_encryption_configuration
            .rules
            .into_iter()
            .next()
            .ok_or_else(|| s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"))?;
        let default = rule.apply_server_side_encryption_by_default;
        let sse = match default {
            Some(d) => protect::choose_sse(
                &self.account,
                &super::model::BucketMeta::default(),
                Some(d.sse_algorithm.as_str()),
                d.kms_master_key_id.as_deref(),
                rule.bucket_key_enabled,
                false,
            )?,
            None => Some(protect::sse_s3()),
        };
        let layout = self.index.layout.clone();
        blocking(move || {
            bucket.update_meta(&layout, |meta, _| {
                meta.encryption = sse;
                Ok(())
            })
        })
        .await?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }

    async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        protect::check_owner(&self.account, req.input.expected_bucket_owner.as_ref())?;
        let meta = self.index.bucket(&req.input.bucket)?.meta();
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

    async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        let bucket = self.index.bucket(&req.input.bucket)?;
        let layout = self.index.layout.clone();
        blocking(move || {
            bucket.update_meta(&layout, |meta, _| {
                meta.encryption = None;
                Ok(())
            })
        })
        .await?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
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
        let layout = self.index.layout.clone();
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

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let meta = self.index.bucket(&req.input.bucket)?.meta();
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

    async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
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
        let layout = self.index.layout.clone();
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

    async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
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

    async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
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
        let layout = self.index.layout.clone();
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

    async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let input = req.input;
        let bucket = self.index.bucket(&input.bucket)?;
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

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        super::multipart::create(self, req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        super::multipart::upload_part(self, req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        super::multipart::list_parts(self, req).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        super::multipart::list_uploads(self, req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        super::multipart::complete(self, req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        super::multipart::abort(self, req).await
    }
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

fn maybe_encode(s: &str, encode: bool) -> String {
    if encode {
        list::url_encode(s)
    } else {
        s.to_owned()
    }
}

fn contents(entries: &[Entry<'_>], encode: bool, with_owner: bool) -> Vec<Object> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Key(k, r) => list::live(r).map(|v| list::object(k, v, encode, with_owner)),
            Entry::Prefix(_) => None,
        })
        .collect()
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
