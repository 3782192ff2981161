//! Objects: PUT, GET/HEAD (with Range, partNumber, versions, conditions), DELETE, COPY.

use std::collections::BTreeMap;
use std::path::PathBuf;

use s3s::dto::{ETag, StreamingBlob, Timestamp};
use s3s::{S3Error, S3Result, s3_error};
use tokio::io::AsyncReadExt as _;

use super::conditions::{self, Conditions, Precondition};
use super::disk::{self, Layout, is_token};
use super::index::{BucketState, io_error};
use super::model::{Attrs, KeyRecord, NULL_VERSION, Version};
use crate::errors::error;

/// S3's limit on key length, in bytes of UTF-8.
pub(crate) const MAX_KEY_BYTES: usize = 1024;
/// S3's limit on user metadata (`x-amz-meta-*` names and values together).
const MAX_METADATA_BYTES: usize = 2048;
/// Bytes per read when streaming an object out.
const READ_CHUNK: usize = 256 * 1024;

pub(crate) fn now_ns() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

pub(crate) fn ts(ns: i64) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // S3 times have millisecond precision.
    let t = t
        .replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t);
    Timestamp::from(t)
}

pub(crate) fn ts_secs(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// Keys are opaque, but S3 refuses empty ones and ones over 1 024 bytes.
pub(crate) fn check_key(key: &str) -> S3Result<()> {
    if key.is_empty() {
        return Err(error(400, "InvalidArgument", "The key must not be empty."));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(s3_error!(KeyTooLongError, "Your key is too long"));
    }
    Ok(())
}

pub(crate) fn check_metadata(meta: &BTreeMap<String, String>) -> S3Result<()> {
    let size: usize = meta.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_METADATA_BYTES {
        return Err(s3_error!(
            MetadataTooLarge,
            "Your metadata headers exceed the maximum allowed metadata size."
        ));
    }
    Ok(())
}

pub(crate) fn check_storage_class(class: Option<&str>) -> S3Result<()> {
    const CLASSES: &[&str] = &[
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
        "OUTPOSTS",
        "SNOW",
        "EXPRESS_ONEZONE",
    ];
    match class {
        Some(c) if !CLASSES.contains(&c) => Err(s3_error!(
            InvalidStorageClass,
            "The storage class you specified is not valid"
        )),
        _ => Ok(()),
    }
}

/// The version id a new version gets, by the bucket's versioning state.
pub(crate) fn new_version_id(versioned: bool) -> String {
    if versioned {
        disk::new_token()
    } else {
        NULL_VERSION.to_owned()
    }
}

/// Adds `v` as the key's newest version. Without versioning (off or suspended) it replaces
/// the `null` version; the data files no version names any more are returned for removal.
pub(crate) fn add_version(record: &mut Option<KeyRecord>, key: &str, v: Version) -> Vec<String> {
    let r = record.get_or_insert_with(|| KeyRecord {
        key: key.to_owned(),
        versions: Vec::new(),
    });
    let mut obsolete = Vec::new();
    if v.version_id == NULL_VERSION {
        r.versions.retain(|old| {
            if old.version_id == NULL_VERSION {
                obsolete.extend(old.data.clone());
                false
            } else {
                true
            }
        });
    }
    r.versions.insert(0, v);
    obsolete
}

pub(crate) fn remove_data(dir: &std::path::Path, names: &[String]) {
    for n in names {
        disk::remove_quietly(&Layout::data_dir(dir).join(n));
    }
}

/// Conditional writes (`If-None-Match: *`, `If-Match`) against the current version.
pub(crate) fn check_write_conditions(
    record: Option<&KeyRecord>,
    if_match: Option<&s3s::dto::ETagCondition>,
    if_none_match: Option<&s3s::dto::ETagCondition>,
) -> S3Result<()> {
    let current = record
        .and_then(KeyRecord::latest)
        .filter(|v| !v.delete_marker);
    if if_none_match.is_some() && current.is_some() {
        return Err(conditions::precondition_failed());
    }
    if let Some(cond) = if_match {
        let Some(v) = current else {
            return Err(s3_error!(NoSuchKey, "The specified key does not exist."));
        };
        let ok = conditions::evaluate(
            Conditions {
                if_match: Some(cond),
                ..Conditions::default()
            },
            &v.etag,
            0,
        ) == Precondition::Proceed;
        if !ok {
            return Err(conditions::precondition_failed());
        }
    }
    Ok(())
}

fn delete_marker_headers(v: &Version, versioned: bool) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(
        "x-amz-delete-marker",
        http::HeaderValue::from_static("true"),
    );
    if versioned && let Ok(id) = http::HeaderValue::from_str(&v.version_id) {
        h.insert("x-amz-version-id", id);
    }
    h
}

/// The version a GET/HEAD/COPY names: the latest, or `versionId`. A delete marker as the
/// latest is 404 `NoSuchKey` with `x-amz-delete-marker`; named by id it is 405.
pub(crate) fn find_version<'a>(
    record: Option<&'a KeyRecord>,
    version_id: Option<&str>,
    versioned: bool,
) -> S3Result<&'a Version> {
    let no_such_key = || s3_error!(NoSuchKey, "The specified key does not exist.");
    match version_id {
        None => {
            let v = record.and_then(KeyRecord::latest).ok_or_else(no_such_key)?;
            if v.delete_marker {
                let mut e = no_such_key();
                e.set_headers(delete_marker_headers(v, versioned));
                return Err(e);
            }
            Ok(v)
        }
        Some(id) => {
            if id != NULL_VERSION && !is_token(id) {
                return Err(error(
                    400,
                    "InvalidArgument",
                    "Invalid version id specified",
                ));
            }
            let v = record
                .and_then(|r| r.version(id))
                .ok_or_else(|| s3_error!(NoSuchVersion, "The specified version does not exist."))?;
            if v.delete_marker {
                let mut e = s3_error!(
                    MethodNotAllowed,
                    "The specified method is not allowed against this resource."
                );
                e.set_headers(delete_marker_headers(v, true));
                return Err(e);
            }
            Ok(v)
        }
    }
}

/// SSE-C: a read must present the key the object was written with, as S3 checks.
pub(crate) fn check_sse_c(
    v: &Version,
    algorithm: Option<&String>,
    key_md5: Option<&String>,
) -> S3Result<()> {
    match (&v.attrs.sse_c, algorithm) {
        (Some(_), None) => Err(s3_error!(
            InvalidRequest,
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
        )),
        (Some(marker), Some(_)) => match (&marker.key_md5, key_md5) {
            (Some(expected), Some(got)) if expected != got => Err(s3_error!(
                AccessDenied,
                "The calculated MD5 hash of the key did not match the hash that was provided."
            )),
            _ => Ok(()),
        },
        (None, Some(_)) => Err(s3_error!(
            InvalidRequest,
            "The encryption parameters are not applicable to this object."
        )),
        (None, None) => Ok(()),
    }
}

/// Evaluates GET/HEAD conditions: 412 or 304 as errors.
pub(crate) fn check_read_conditions(v: &Version, c: Conditions<'_>) -> S3Result<()> {
    match conditions::evaluate(c, &v.etag, v.modified_ns / 1_000_000_000) {
        Precondition::Proceed => Ok(()),
        Precondition::Failed => Err(conditions::precondition_failed()),
        Precondition::NotModified => Err(conditions::not_modified(&v.etag, &ts(v.modified_ns))),
    }
}

/// The bytes a GET/HEAD returns.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    pub(crate) start: u64,
    pub(crate) len: u64,
    pub(crate) content_range: Option<String>,
    pub(crate) parts_count: Option<i32>,
    /// Whether the whole object is returned (checksums apply).
    pub(crate) whole: bool,
}

fn invalid_part_number(actual: usize, requested: i32) -> S3Error {
    error(
        416,
        "InvalidPartNumber",
        format!(
            "The requested partnumber is not satisfiable (object has {actual} part(s), part {requested} requested)"
        ),
    )
}

/// Range and partNumber on the stored bytes, as S3 answers them (emulator README, "Range and
/// partNumber"): a Range that reached here is well-formed (malformed and multi-range headers
/// were dropped before s3s); partNumber over the recorded parts, or part 1 of a single-part
/// object as the whole object with 206.
pub(crate) fn select(
    size: u64,
    parts: &[u64],
    range: Option<&s3s::dto::Range>,
    part_number: Option<i32>,
) -> S3Result<Selection> {
    let whole = Selection {
        start: 0,
        len: size,
        content_range: None,
        parts_count: None,
        whole: true,
    };
    match (range, part_number) {
        (Some(_), Some(_)) => Err(s3_error!(
            InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter"
        )),
        (None, None) => Ok(whole),
        (Some(r), None) => {
            let r = r
                .check(size)
                .map_err(|_| s3_error!(InvalidRange, "The requested range is not satisfiable"))?;
            Ok(Selection {
                start: r.start,
                len: r.end - r.start,
                content_range: Some(format!("bytes {}-{}/{size}", r.start, r.end - 1)),
                parts_count: None,
                whole: r.start == 0 && r.end == size,
            })
        }
        (None, Some(n)) => {
            if !(1..=10_000).contains(&n) {
                return Err(error(
                    400,
                    "InvalidArgument",
                    "Part number must be an integer between 1 and 10000, inclusive",
                ));
            }
            let idx = usize::try_from(n - 1).unwrap_or(usize::MAX);
            if parts.is_empty() {
                if n != 1 {
                    return Err(invalid_part_number(1, n));
                }
                if size == 0 {
                    return Ok(whole);
                }
                return Ok(Selection {
                    content_range: Some(format!("bytes 0-{}/{size}", size - 1)),
                    ..whole
                });
            }
            let Some(&len) = parts.get(idx) else {
                return Err(invalid_part_number(parts.len(), n));
            };
            let start: u64 = parts[..idx].iter().sum();
            Ok(Selection {
                start,
                len,
                content_range: (len > 0)
                    .then(|| format!("bytes {start}-{}/{size}", start + len - 1)),
                parts_count: i32::try_from(parts.len()).ok(),
                whole: parts.len() == 1,
            })
        }
    }
}

/// Opens the data file of the version a read names while the record is locked, so that a
/// concurrent overwrite cannot remove it first. Returns the version and the open file.
pub(crate) fn open_version(
    bucket: &BucketState,
    key: &str,
    version_id: Option<&str>,
    versioned: bool,
) -> S3Result<(Version, Option<std::fs::File>)> {
    bucket.with_record(key, |record| {
        let v = find_version(record, version_id, versioned)?;
        let file = match &v.data {
            Some(name) => Some(
                std::fs::File::open(Layout::data_dir(&bucket.dir).join(name))
                    .map_err(|e| io_error("opening an object", &e))?,
            ),
            None => None,
        };
        Ok((v.clone(), file))
    })
}

/// The body of a GET: `len` bytes from `start`, read in large chunks.
pub(crate) async fn body(file: std::fs::File, start: u64, len: u64) -> S3Result<StreamingBlob> {
    let mut file = tokio::fs::File::from_std(file);
    if start > 0 {
        use tokio::io::AsyncSeekExt as _;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| io_error("reading an object", &e))?;
    }
    file.set_max_buf_size(READ_CHUNK);
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), READ_CHUNK);
    Ok(StreamingBlob::wrap(stream))
}

/// The [`AttrsIn`] of a PutObject or CreateMultipartUpload input (same field names in both
/// generated types), with the encryption `sse` chosen for it.
macro_rules! attrs_in {
    ($input:ident, $sse:expr) => {
        $crate::store::objects::AttrsIn {
            sse: $sse,
            content_type: $input.content_type,
            content_encoding: $input.content_encoding,
            content_disposition: $input.content_disposition,
            content_language: $input.content_language,
            cache_control: $input.cache_control,
            expires: $input.expires,
            website_redirect_location: $input.website_redirect_location,
            storage_class: $input.storage_class.map(|c| c.as_str().to_owned()),
            metadata: $input.metadata,
            sse_c: $input
                .sse_customer_algorithm
                .clone()
                .map(|a| (a, $input.sse_customer_key_md5.clone())),
        }
    };
}
pub(crate) use attrs_in;

/// `Attrs` from a request's headers.
pub(crate) struct AttrsIn {
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) expires: Option<Timestamp>,
    pub(crate) website_redirect_location: Option<String>,
    pub(crate) storage_class: Option<String>,
    pub(crate) metadata: Option<std::collections::HashMap<String, String>>,
    pub(crate) sse_c: Option<(String, Option<String>)>,
    /// Resolved by [`super::protect::choose_sse`].
    pub(crate) sse: Option<super::model::Sse>,
}

impl AttrsIn {
    pub(crate) fn into_attrs(self) -> S3Result<Attrs> {
        check_storage_class(self.storage_class.as_deref())?;
        let metadata: BTreeMap<String, String> =
            self.metadata.unwrap_or_default().into_iter().collect();
        check_metadata(&metadata)?;
        Ok(Attrs {
            content_type: self.content_type,
            content_encoding: self.content_encoding,
            content_disposition: self.content_disposition,
            content_language: self.content_language,
            cache_control: self.cache_control,
            expires: self.expires.as_ref().map(ts_secs),
            website_redirect_location: self.website_redirect_location,
            storage_class: self.storage_class.filter(|c| c != "STANDARD"),
            metadata,
            sse_c: self
                .sse_c
                .map(|(algorithm, key_md5)| super::model::SseC { algorithm, key_md5 }),
            sse: self.sse,
        })
    }
}

/// Runs a blocking store operation on the blocking pool.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> S3Result<R> + Send + 'static,
) -> S3Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| error(500, "InternalError", format!("storage task: {e}")))?
}

/// The data file path of a new version.
pub(crate) fn data_path(bucket: &BucketState, name: &str) -> PathBuf {
    Layout::data_dir(&bucket.dir).join(name)
}

/// ETag as sent: quoted.
pub(crate) fn etag(v: &str) -> ETag {
    ETag::Strong(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::Range;

    #[test]
    fn part_numbers_as_s3() {
        // Single-part object: part 1 is the whole object with 206; part 2 is 416.
        let s = select(8, &[], None, Some(1)).unwrap();
        assert_eq!(s.content_range.as_deref(), Some("bytes 0-7/8"));
        assert_eq!(s.parts_count, None);
        let e = select(8, &[], None, Some(2)).unwrap_err();
        assert_eq!(e.code().as_str(), "InvalidPartNumber");
        assert_eq!(e.status_code().map(|s| s.as_u16()), Some(416));
        // Two parts.
        let s = select(13, &[10, 3], None, Some(2)).unwrap();
        assert_eq!((s.start, s.len), (10, 3));
        assert_eq!(s.content_range.as_deref(), Some("bytes 10-12/13"));
        assert_eq!(s.parts_count, Some(2));
        assert_eq!(
            select(13, &[10, 3], None, Some(10))
                .unwrap_err()
                .code()
                .as_str(),
            "InvalidPartNumber"
        );
        assert_eq!(
            select(13, &[10, 3], None, Some(0))
                .unwrap_err()
                .code()
                .as_str(),
            "InvalidArgument"
        );
        let r = Range::Int {
            first: 0,
            last: Some(1),
        };
        assert_eq!(
            select(13, &[10, 3], Some(&r), Some(1))
                .unwrap_err()
                .code()
                .as_str(),
            "InvalidRequest"
        );
    }

    #[test]
    fn ranges_clamp_and_refuse_as_s3() {
        let r = Range::Int {
            first: 0,
            last: Some(100),
        };
        assert_eq!(
            select(10, &[], Some(&r), None)
                .unwrap()
                .content_range
                .as_deref(),
            Some("bytes 0-9/10")
        );
        let r = Range::Suffix { length: 15 };
        assert_eq!(
            select(10, &[], Some(&r), None)
                .unwrap()
                .content_range
                .as_deref(),
            Some("bytes 0-9/10")
        );
        let r = Range::Int {
            first: 100,
            last: Some(200),
        };
        let e = select(10, &[], Some(&r), None).unwrap_err();
        assert_eq!(e.code().as_str(), "InvalidRange");
    }

    #[test]
    fn overwrite_without_versioning_replaces_the_null_version() {
        let v = |id: &str, data: &str| Version {
            version_id: id.into(),
            delete_marker: false,
            data: Some(data.into()),
            size: 1,
            etag: "e".into(),
            modified_ns: 0,
            attrs: Attrs::default(),
            checksums: super::super::model::Checksums::default(),
            parts: vec![],
            lock: super::super::model::Lock::default(),
        };
        let mut rec = None;
        assert!(add_version(&mut rec, "k", v(NULL_VERSION, "a")).is_empty());
        let versioned = disk::new_token();
        assert!(add_version(&mut rec, "k", v(&versioned, "b")).is_empty());
        assert_eq!(add_version(&mut rec, "k", v(NULL_VERSION, "c")), ["a"]);
        let ids: Vec<_> = rec
            .unwrap()
            .versions
            .iter()
            .map(|v| v.version_id.clone())
            .collect();
        assert_eq!(ids, [NULL_VERSION.to_owned(), versioned]);
    }
}
