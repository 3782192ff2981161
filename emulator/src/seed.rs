//! Seeding buckets: the built-in sample objects and `seed_dir` folders.

use std::path::Path;

use s3s::dto::{CreateBucketInput, HeadObjectInput, PutObjectInput, StreamingBlob};
use s3s::{S3, S3Request};

use crate::Error;
use crate::config::BucketConfig;
use crate::store::Store;

/// The built-in sample objects: (key, content type, bytes).
pub const SAMPLES: &[(&str, &str, &[u8])] = &[
    (
        "catalog.xml",
        "application/xml",
        include_bytes!("../seed/catalog.xml"),
    ),
    (
        "photo.jpg",
        "image/jpeg",
        include_bytes!("../../functions/image-transform/testdata/jpeg_exif_orient6_rot90cw.jpg"),
    ),
    (
        "report.csv",
        "text/csv",
        include_bytes!("../seed/report.csv"),
    ),
    (
        "notes.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../seed/notes.txt"),
    ),
    (
        "data.json",
        "application/json",
        include_bytes!("../seed/data.json"),
    ),
];

/// An S3 request made by the emulator itself (no signature, never over the network).
pub(crate) fn request<T>(input: T, method: http::Method) -> S3Request<T> {
    S3Request {
        input,
        method,
        uri: http::Uri::from_static("/"),
        headers: http::HeaderMap::new(),
        extensions: http::Extensions::new(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

fn content_type_for(key: &str) -> &'static str {
    match key
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => "text/csv",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("html" | "htm") => "text/html",
        _ => "application/octet-stream",
    }
}

async fn put_if_absent(
    store: &Store,
    bucket: &str,
    key: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<(), Error> {
    let head = HeadObjectInput {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        ..Default::default()
    };
    if store
        .head_object(request(head, http::Method::HEAD))
        .await
        .is_ok()
    {
        return Ok(());
    }
    let len = i64::try_from(data.len()).map_err(|e| Error::Storage(e.to_string()))?;
    let input = PutObjectInput {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        content_type: Some(content_type.to_owned()),
        content_length: Some(len),
        body: Some(StreamingBlob::from(s3s::Body::from(data))),
        ..Default::default()
    };
    store
        .put_object(request(input, http::Method::PUT))
        .await
        .map_err(|e| Error::Storage(format!("seeding {bucket}/{key}: {e}")))?;
    Ok(())
}

fn walk(
    dir: &Path,
    base: &Path,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, base, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            let key = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((key, path));
        }
    }
    Ok(())
}

/// Creates the bucket if needed and uploads its seed objects that do not exist yet.
pub(crate) async fn seed_bucket(store: &Store, bucket: &BucketConfig) -> Result<(), Error> {
    if !store.has_bucket(&bucket.name) {
        let input = CreateBucketInput {
            bucket: bucket.name.clone(),
            ..Default::default()
        };
        store
            .create_bucket(request(input, http::Method::PUT))
            .await
            .map_err(|e| Error::Storage(format!("creating bucket {}: {e}", bucket.name)))?;
    }
    if bucket.seed_samples {
        for (key, ct, bytes) in SAMPLES {
            put_if_absent(store, &bucket.name, key, ct, bytes.to_vec()).await?;
        }
    }
    if let Some(dir) = &bucket.seed_dir {
        let mut files = Vec::new();
        walk(dir, dir, &mut files)
            .map_err(|e| Error::io(format!("reading seed_dir {}", dir.display()), e))?;
        for (key, path) in files {
            let data = std::fs::read(&path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            put_if_absent(store, &bucket.name, &key, content_type_for(&key), data).await?;
        }
    }
    Ok(())
}
