//! The in-memory index of the data directory: every bucket's settings and every key's
//! versions, loaded at start and kept in step with the JSON records on disk.
//!
//! Changes to one bucket are serialised by its commit lock, and run on blocking threads
//! ([`Index::commit`]): the record file is replaced first, then the map, so what a reader
//! sees has always reached the disk.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use s3s::S3Result;

use super::disk::{self, Layout};
use super::model::{BucketMeta, KeyRecord};
use crate::errors::error;

/// One bucket: settings, keys, and the lock that orders its changes.
#[derive(Debug)]
pub(crate) struct BucketState {
    pub(crate) dir: PathBuf,
    meta: RwLock<BucketMeta>,
    keys: RwLock<BTreeMap<String, KeyRecord>>,
    commit: Mutex<()>,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn io_error(context: &str, e: &std::io::Error) -> s3s::S3Error {
    tracing::error!(error = %e, "storage: {context}");
    error(500, "InternalError", format!("storage: {context}"))
}

impl BucketState {
    pub(crate) fn meta(&self) -> BucketMeta {
        read(&self.meta).clone()
    }

    /// Runs `f` on a snapshot of the keys (listing).
    pub(crate) fn with_keys<R>(&self, f: impl FnOnce(&BTreeMap<String, KeyRecord>) -> R) -> R {
        f(&read(&self.keys))
    }

    pub(crate) fn record(&self, key: &str) -> Option<KeyRecord> {
        read(&self.keys).get(key).cloned()
    }

    pub(crate) fn is_empty(&self) -> bool {
        read(&self.keys).is_empty()
    }

    /// Runs `f` with the key's record while holding the read lock, so that the data files it
    /// names cannot be removed before `f` has opened them.
    pub(crate) fn with_record<R>(&self, key: &str, f: impl FnOnce(Option<&KeyRecord>) -> R) -> R {
        f(read(&self.keys).get(key))
    }

    /// Changes one key's record under the bucket's commit lock: `f` gets the current record
    /// (or `None`) to edit; when it succeeds, the new record (or its absence) is written to
    /// disk, then published. Blocking: call from a blocking thread.
    pub(crate) fn update_key<R>(
        &self,
        layout: &Layout,
        key: &str,
        f: impl FnOnce(&BucketMeta, &mut Option<KeyRecord>) -> S3Result<R>,
    ) -> S3Result<R> {
        let _guard = lock(&self.commit);
        let meta = self.meta();
        let mut record = self.record(key);
        let out = f(&meta, &mut record)?;
        let path = Layout::key_record(&self.dir, key);
        match &record {
            Some(r) if !r.versions.is_empty() => disk::write_json(layout, &path, r)
                .map_err(|e| io_error("writing a key record", &e))?,
            _ => {
                disk::remove_quietly(&path);
                record = None;
            }
        }
        let mut keys = write(&self.keys);
        match record {
            Some(r) => keys.insert(key.to_owned(), r),
            None => keys.remove(key),
        };
        Ok(out)
    }

    /// Changes the bucket's settings under the commit lock. Blocking.
    pub(crate) fn update_meta<R>(
        &self,
        layout: &Layout,
        f: impl FnOnce(&mut BucketMeta, bool) -> S3Result<R>,
    ) -> S3Result<R> {
        let _guard = lock(&self.commit);
        let mut meta = self.meta();
        let out = f(&mut meta, self.is_empty())?;
        disk::write_json(layout, &Layout::bucket_meta(&self.dir), &meta)
            .map_err(|e| io_error("writing bucket settings", &e))?;
        *write(&self.meta) = meta;
        Ok(out)
    }
}

/// All buckets of a data directory.
#[derive(Debug)]
pub(crate) struct Index {
    pub(crate) layout: Layout,
    buckets: RwLock<BTreeMap<String, Arc<BucketState>>>,
    /// Serialises bucket creation and deletion.
    buckets_lock: Mutex<()>,
}

impl Index {
    /// Opens (or creates) a data directory: empties `.tmp/`, loads every bucket, and removes
    /// data files no record names (left by a crash between writing and committing).
    pub(crate) fn open(root: &Path) -> std::io::Result<Self> {
        let layout = Layout::new(root);
        let _ = std::fs::remove_dir_all(layout.tmp_dir());
        std::fs::create_dir_all(layout.tmp_dir())?;
        std::fs::create_dir_all(layout.buckets_dir())?;
        warn_about_old_layout(root);
        let mut buckets = BTreeMap::new();
        for entry in std::fs::read_dir(layout.buckets_dir())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(dir) = layout.bucket_dir(&name) else {
                continue;
            };
            let meta: BucketMeta = match disk::read_json(&Layout::bucket_meta(&dir)) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(bucket = %name, error = %e, "skipping a bucket folder without settings");
                    continue;
                }
            };
            let keys = load_keys(&dir)?;
            sweep_data(&dir, &keys)?;
            buckets.insert(
                name,
                Arc::new(BucketState {
                    dir,
                    meta: RwLock::new(meta),
                    keys: RwLock::new(keys),
                    commit: Mutex::new(()),
                }),
            );
        }
        Ok(Self {
            layout,
            buckets: RwLock::new(buckets),
            buckets_lock: Mutex::new(()),
        })
    }

    pub(crate) fn bucket(&self, name: &str) -> S3Result<Arc<BucketState>> {
        read(&self.buckets)
            .get(name)
            .cloned()
            .ok_or_else(|| s3s::s3_error!(NoSuchBucket, "The specified bucket does not exist"))
    }

    pub(crate) fn bucket_names(&self) -> Vec<(String, i64)> {
        read(&self.buckets)
            .values()
            .map(|b| {
                let m = b.meta();
                (m.name, m.created_ns)
            })
            .collect()
    }

    /// Creates a bucket. Blocking.
    pub(crate) fn create_bucket(&self, name: &str, now_ns: i64, object_lock: bool) -> S3Result<()> {
        let Some(dir) = self.layout.bucket_dir(name) else {
            return Err(s3s::s3_error!(
                InvalidBucketName,
                "The specified bucket is not valid."
            ));
        };
        let _guard = lock(&self.buckets_lock);
        if read(&self.buckets).contains_key(name) {
            return Err(s3s::s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        // Object Lock needs versioning, which it turns on for good.
        let meta = BucketMeta {
            name: name.to_owned(),
            created_ns: now_ns,
            versioning: object_lock.then(|| "Enabled".to_owned()),
            object_lock,
            ..BucketMeta::default()
        };
        for sub in [
            Layout::data_dir(&dir),
            dir.join("keys"),
            Layout::uploads_dir(&dir),
        ] {
            std::fs::create_dir_all(&sub).map_err(|e| io_error("creating a bucket", &e))?;
        }
        disk::write_json(&self.layout, &Layout::bucket_meta(&dir), &meta)
            .map_err(|e| io_error("creating a bucket", &e))?;
        write(&self.buckets).insert(
            name.to_owned(),
            Arc::new(BucketState {
                dir,
                meta: RwLock::new(meta),
                keys: RwLock::new(BTreeMap::new()),
                commit: Mutex::new(()),
            }),
        );
        Ok(())
    }

    /// Deletes an empty bucket (409 `BucketNotEmpty` otherwise, as S3). Blocking.
    pub(crate) fn delete_bucket(&self, name: &str) -> S3Result<()> {
        let _guard = lock(&self.buckets_lock);
        let bucket = self.bucket(name)?;
        // Holding the commit lock: no object can be added between the check and the removal.
        let _commit = lock(&bucket.commit);
        if !bucket.is_empty() {
            return Err(s3s::s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty"
            ));
        }
        write(&self.buckets).remove(name);
        // Rename first so that a crash half-way never leaves a half-deleted bucket visible.
        let graveyard = self.layout.temp_path();
        std::fs::rename(&bucket.dir, &graveyard).map_err(|e| io_error("deleting a bucket", &e))?;
        if let Err(e) = std::fs::remove_dir_all(&graveyard) {
            tracing::warn!(error = %e, "cannot remove a deleted bucket's folder");
        }
        Ok(())
    }
}

fn load_keys(dir: &Path) -> std::io::Result<BTreeMap<String, KeyRecord>> {
    let mut keys = BTreeMap::new();
    let root = dir.join("keys");
    let Ok(shards) = std::fs::read_dir(&root) else {
        return Ok(keys);
    };
    for shard in shards {
        for entry in std::fs::read_dir(shard?.path())? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match disk::read_json::<KeyRecord>(&path) {
                Ok(r) if Layout::key_record(dir, &r.key) == path => {
                    keys.insert(r.key.clone(), r);
                }
                Ok(_) => {
                    tracing::warn!(path = %path.display(), "key record in the wrong place; ignored");
                }
                Err(e) => tracing::warn!(error = %e, "unreadable key record; ignored"),
            }
        }
    }
    Ok(keys)
}

fn sweep_data(dir: &Path, keys: &BTreeMap<String, KeyRecord>) -> std::io::Result<()> {
    let used: HashSet<&str> = keys
        .values()
        .flat_map(|r| r.versions.iter().filter_map(|v| v.data.as_deref()))
        .collect();
    let data = Layout::data_dir(dir);
    std::fs::create_dir_all(&data)?;
    let mut removed = 0_usize;
    for entry in std::fs::read_dir(&data)? {
        let entry = entry?;
        let name = entry.file_name();
        if !used.contains(name.to_string_lossy().as_ref()) {
            disk::remove_quietly(&entry.path());
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, bucket = %dir.display(), "removed data files of uncommitted writes");
    }
    Ok(())
}

/// Data directories written by earlier versions (s3s-fs: one file per key, under the
/// bucket's name at the top level) are not read; say so once instead of looking empty.
fn warn_about_old_layout(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let old: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // `tls`: the emulator's generated certificate (`crate::tls`).
        .filter(|n| n != "buckets" && n != ".tmp" && n != "tls")
        .collect();
    if !old.is_empty() {
        tracing::warn!(
            folders = ?old,
            "the data directory holds folders of an older layout; they are not served (upload them again, e.g. with `aws s3 sync`)"
        );
    }
}
