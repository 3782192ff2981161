//! What the store keeps about buckets, objects and uploads: the records written as JSON.
//!
//! Data files are immutable: a new version or an overwrite writes a new file and the key's
//! record is then replaced atomically (rename), so a reader that opened a file keeps reading
//! the bytes it started with and a crash never leaves a half-written object visible.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `x-amz-version-id` of versions written while versioning was off or suspended.
pub(crate) const NULL_VERSION: &str = "null";

/// A bucket's own settings (`bucket.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BucketMeta {
    pub(crate) name: String,
    /// Creation time, Unix nanoseconds.
    pub(crate) created_ns: i64,
    /// `Enabled` or `Suspended`; `None` until versioning is first configured.
    #[serde(default)]
    pub(crate) versioning: Option<String>,
    /// Default encryption (PutBucketEncryption); `None` is S3's default, SSE-S3.
    #[serde(default)]
    pub(crate) encryption: Option<Sse>,
    /// Object Lock: set at creation only, as in S3.
    #[serde(default)]
    pub(crate) object_lock: bool,
    /// Default retention of new versions: mode and days.
    #[serde(default)]
    pub(crate) default_retention: Option<(String, i64)>,
    /// Server access logging (PutBucketLogging): target bucket and key prefix.
    #[serde(default)]
    pub(crate) logging: Option<(String, String)>,
}

impl BucketMeta {
    pub(crate) fn versioning_enabled(&self) -> bool {
        self.versioning.as_deref() == Some("Enabled")
    }
}

/// SSE-C: the emulator stores plain bytes but remembers that the object was written with a
/// customer key, so it can refuse reads without it where S3 would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SseC {
    pub(crate) algorithm: String,
    pub(crate) key_md5: Option<String>,
}

/// Server-side encryption as recorded and returned (`x-amz-server-side-encryption`, …). The
/// emulator stores plain bytes; what S3 would report is kept so that clients and access
/// points see the same headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sse {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub(crate) algorithm: String,
    pub(crate) kms_key_id: Option<String>,
    pub(crate) bucket_key_enabled: Option<bool>,
}

/// Object Lock state of one version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Lock {
    /// `GOVERNANCE` or `COMPLIANCE`, with its retain-until date (Unix seconds).
    pub(crate) retention: Option<(String, i64)>,
    pub(crate) legal_hold: bool,
}

/// The user-visible attributes of a version, set on PUT and returned on GET/HEAD.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Attrs {
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) cache_control: Option<String>,
    /// `Expires`, Unix seconds.
    pub(crate) expires: Option<i64>,
    pub(crate) website_redirect_location: Option<String>,
    pub(crate) storage_class: Option<String>,
    #[serde(default)]
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) sse_c: Option<SseC>,
    #[serde(default)]
    pub(crate) sse: Option<Sse>,
}

/// Checksums S3 returns with `ChecksumMode=ENABLED` (base64, as on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checksums {
    pub(crate) crc32: Option<String>,
    pub(crate) crc32c: Option<String>,
    pub(crate) crc64nvme: Option<String>,
    pub(crate) sha1: Option<String>,
    pub(crate) sha256: Option<String>,
}

/// One version of a key: an object or a delete marker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Version {
    pub(crate) version_id: String,
    #[serde(default)]
    pub(crate) delete_marker: bool,
    /// Name of the data file in the bucket's `data/` folder; `None` for delete markers.
    pub(crate) data: Option<String>,
    pub(crate) size: u64,
    /// Without quotes.
    pub(crate) etag: String,
    /// Unix nanoseconds.
    pub(crate) modified_ns: i64,
    #[serde(default)]
    pub(crate) attrs: Attrs,
    #[serde(default)]
    pub(crate) checksums: Checksums,
    /// Part sizes when the object was uploaded in parts (for `GET ?partNumber=`).
    #[serde(default)]
    pub(crate) parts: Vec<u64>,
    #[serde(default)]
    pub(crate) lock: Lock,
}

/// A key and its versions, newest first (`keys/<hh>/<sha256 of key>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    pub(crate) key: String,
    pub(crate) versions: Vec<Version>,
}

impl KeyRecord {
    /// The current version (which may be a delete marker).
    pub(crate) fn latest(&self) -> Option<&Version> {
        self.versions.first()
    }

    pub(crate) fn version(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.version_id == id)
    }
}

/// A multipart upload in progress (`uploads/<id>/upload.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Upload {
    pub(crate) key: String,
    pub(crate) initiated_ns: i64,
    #[serde(default)]
    pub(crate) attrs: Attrs,
    /// The checksum algorithm named at creation (`CRC32`, …), checked on every part.
    pub(crate) checksum_algorithm: Option<String>,
    #[serde(default)]
    pub(crate) lock: Lock,
}

/// One uploaded part (`uploads/<id>/<n>.json`, bytes in `<n>.part`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Part {
    pub(crate) size: u64,
    pub(crate) etag: String,
    /// MD5 of the part, hex: the multipart ETag is the MD5 of these.
    pub(crate) md5_hex: String,
    pub(crate) modified_ns: i64,
    #[serde(default)]
    pub(crate) checksums: Checksums,
}
