//! The emulator's own S3 storage: buckets, versioned objects and multipart uploads in a data
//! directory, served through s3s.
//!
//! Object keys never name a path ([`disk`]); writes go to a temporary file that is moved
//! into place only after every check passed ([`receive`]); a key's record is replaced
//! atomically and published after it reached the disk ([`index`]). So no key can reach
//! another bucket or the emulator's own files, a rejected write changes nothing, and a crash
//! leaves either the old or the new object.

mod conditions;
mod disk;
mod index;
mod list;
mod model;
mod multipart;
mod objects;
mod protect;
mod receive;
mod s3;
mod s3_buckets;
mod s3_list;
mod s3_lock;
mod s3_objects;

use std::path::Path;
use std::sync::Arc;

use index::Index;

/// The emulator's [`s3s::S3`] implementation over a data directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    index: Arc<Index>,
    /// The account that owns every bucket (`x-amz-expected-bucket-owner`, KMS key ARNs).
    account: Arc<str>,
}

impl Store {
    /// Opens (or creates) the data directory.
    pub(crate) fn open(root: &Path, account: &str) -> std::io::Result<Self> {
        Ok(Self {
            index: Arc::new(Index::open(root)?),
            account: account.into(),
        })
    }

    /// Whether the current version of `bucket/key` was written with SSE-C (S3 Object Lambda
    /// refuses those).
    pub(crate) fn is_sse_c(&self, bucket: &str, key: &str) -> bool {
        self.index.bucket(bucket).is_ok_and(|b| {
            b.with_record(key, |r| {
                r.and_then(model::KeyRecord::latest)
                    .is_some_and(|v| v.attrs.sse_c.is_some())
            })
        })
    }

    /// Where the bucket's server access log records go, if it logs.
    pub(crate) fn logging(&self, bucket: &str) -> Option<crate::accesslog::Target> {
        let (bucket, prefix) = self.index.bucket(bucket).ok()?.meta().logging?;
        Some(crate::accesslog::Target { bucket, prefix })
    }

    /// Whether the bucket was created with Object Lock.
    pub(crate) fn has_object_lock(&self, bucket: &str) -> bool {
        self.index
            .bucket(bucket)
            .is_ok_and(|b| b.meta().object_lock)
    }

    /// Whether the bucket exists.
    pub(crate) fn has_bucket(&self, bucket: &str) -> bool {
        self.index.bucket(bucket).is_ok()
    }
}
