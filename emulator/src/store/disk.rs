//! Where things live on disk. No path is ever built from an object key: keys are opaque
//! strings (any bytes up to 1 024, `..`, `/`, NUL included), so a key's record is stored under
//! the SHA-256 of the key and its bytes under a random file name. Bucket names and upload ids
//! are validated before they name a folder.
//!
//! ```text
//! <data dir>/
//!   .tmp/                          files being written; emptied at start
//!   buckets/<bucket>/bucket.json   the bucket's settings
//!                   keys/<hh>/<sha256(key)>.json   the key's versions (model::KeyRecord)
//!                   data/<random>                  object bytes, one file per version
//!                   uploads/<upload id>/upload.json, <n>.part, <n>.json
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest as _;

/// The folder layout of one data directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join(".tmp")
    }

    pub(crate) fn buckets_dir(&self) -> PathBuf {
        self.root.join("buckets")
    }

    /// The bucket's folder; `None` for a name that is not a valid S3 bucket name.
    pub(crate) fn bucket_dir(&self, bucket: &str) -> Option<PathBuf> {
        is_valid_bucket_name(bucket).then(|| self.buckets_dir().join(bucket))
    }

    pub(crate) fn bucket_meta(dir: &Path) -> PathBuf {
        dir.join("bucket.json")
    }

    pub(crate) fn key_record(dir: &Path, key: &str) -> PathBuf {
        let hash = hex::encode(sha2::Sha256::digest(key.as_bytes()));
        dir.join("keys")
            .join(&hash[..2])
            .join(format!("{hash}.json"))
    }

    pub(crate) fn data_dir(dir: &Path) -> PathBuf {
        dir.join("data")
    }

    pub(crate) fn uploads_dir(dir: &Path) -> PathBuf {
        dir.join("uploads")
    }

    /// An upload's folder; `None` for an id the store cannot have issued.
    pub(crate) fn upload_dir(dir: &Path, upload_id: &str) -> Option<PathBuf> {
        is_token(upload_id).then(|| Self::uploads_dir(dir).join(upload_id))
    }

    /// A fresh temporary file path in `.tmp/` (same file system as the data, so a rename
    /// moves it into place atomically).
    pub(crate) fn temp_path(&self) -> PathBuf {
        self.tmp_dir().join(new_token())
    }
}

/// S3's bucket naming rules (general purpose buckets): 3–63 characters of lower-case
/// letters, digits, `.` and `-`, starting and ending with a letter or digit, no `..`.
pub(crate) fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

/// A random 128-bit token as 32 hex digits: data file names, upload ids, version ids.
pub(crate) fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `s` has the shape of [`new_token`] (and so is safe as a file name).
pub(crate) fn is_token(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// Writes `value` as JSON to `path` atomically: a temporary file, then rename.
pub(crate) fn write_json<T: Serialize>(
    layout: &Layout,
    path: &Path,
    value: &T,
) -> std::io::Result<()> {
    let json = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = layout.temp_path();
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&json)?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> std::io::Result<T> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Removes a file, ignoring "not found".
pub(crate) fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove a file");
    }
}

/// Deletes a temporary file unless [`TempFile::keep`] was called: a failed or abandoned
/// upload never leaves bytes behind.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path: Some(path) }
    }

    pub(crate) fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Moves the file to `dest` (atomic rename) and stops guarding it.
    pub(crate) fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        let Some(path) = self.path.take() else {
            return Err(std::io::Error::other("temporary file already used"));
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(&path, dest).inspect_err(|_| remove_quietly(&path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            remove_quietly(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["abc", "my-bucket.1", "a.b-c", "0ab"] {
            assert!(is_valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "", "ab", ".", "..", "a..b", "-ab", "ab-", "Ab", "a/b", "a\\b", ".tmp", "a_b",
        ] {
            assert!(!is_valid_bucket_name(bad), "{bad}");
        }
        assert!(!is_valid_bucket_name(&"a".repeat(64)));
    }

    #[test]
    fn key_records_are_named_by_hash_whatever_the_key() {
        let dir = Path::new("/data/buckets/b");
        for key in [
            "..",
            "../../etc/passwd",
            "/abs",
            "a\0b",
            "a/../..",
            "\\..\\x",
        ] {
            let p = Layout::key_record(dir, key);
            assert!(p.starts_with("/data/buckets/b/keys"), "{}", p.display());
            let name = p.file_name().unwrap().to_str().unwrap();
            assert_eq!(name.len(), 64 + 5, "{name}");
        }
        assert_ne!(Layout::key_record(dir, "a"), Layout::key_record(dir, "b"));
    }

    #[test]
    fn upload_ids_are_checked_before_naming_a_folder() {
        let dir = Path::new("/d");
        assert!(Layout::upload_dir(dir, "../x").is_none());
        assert!(Layout::upload_dir(dir, &new_token()).is_some());
    }
}
