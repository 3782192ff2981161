//! Receiving an upload body: streamed to a temporary file while its MD5 and checksums are
//! computed, then checked against what the client declared. Nothing reaches the bucket
//! until every check has passed; on any failure the temporary file is removed.
//!
//! MD5 (the ETag) is the slowest part of a PUT (~700 MB/s, several times the cost of
//! everything else), so it runs on a thread of its own while another writes the file and
//! computes the checksums: a PUT then takes about as long as its MD5
//! (`emulator/bench/runs/2026-12-05-vm-2cpu-epyc.md`, "PUT and relay").

use std::io::{IoSlice, Write as _};
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt as _;
use s3s::S3Result;
use s3s::checksum::ChecksumHasher;
use s3s::crypto::{Checksum as _, Md5};
use s3s::dto::StreamingBlob;
use tokio::sync::mpsc;

use super::disk::{Layout, TempFile};
use super::index::io_error;
use super::model::Checksums;
use crate::errors::error;

/// A body written to a temporary file.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) temp: TempFile,
    pub(crate) size: u64,
    md5: Vec<u8>,
    /// Every checksum computed while reading.
    computed: Checksums,
}

/// What the client declared about the body.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub(crate) content_length: Option<i64>,
    /// `Content-MD5`, base64.
    pub(crate) content_md5: Option<String>,
    /// `x-amz-checksum-*` values from headers or trailers.
    pub(crate) checksums: Checksums,
    /// `x-amz-sdk-checksum-algorithm` / `x-amz-checksum-algorithm`.
    pub(crate) algorithm: Option<String>,
    /// `x-amz-trailer`: the checksum header that follows the body.
    pub(crate) trailer: Option<String>,
}

/// Which checksums to compute while reading: the cheap CRCs always (the client may name its
/// algorithm only in a trailer), SHA-1/SHA-256 when the request names them.
fn hasher(declared: &Declared) -> ChecksumHasher {
    let mut h = ChecksumHasher {
        crc32: Some(Default::default()),
        crc32c: Some(Default::default()),
        crc64nvme: Some(Default::default()),
        ..Default::default()
    };
    let named = |alg: &str| {
        declared
            .algorithm
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(alg))
            || declared
                .trailer
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains(&format!("checksum-{alg}")))
    };
    if named("sha1") || declared.checksums.sha1.is_some() {
        h.sha1 = Some(Default::default());
    }
    if named("sha256") || declared.checksums.sha256.is_some() {
        h.sha256 = Some(Default::default());
    }
    h
}

/// Maps a failure of the request body stream to the S3 error the client should see.
fn body_error(e: &(dyn std::error::Error + 'static)) -> s3s::S3Error {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if text.contains("Sha256Mismatch") {
        error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
    } else if text.contains("Signature") {
        s3s::s3_error!(
            SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided."
        )
    } else {
        tracing::debug!(error = %text, "request body ended early");
        s3s::s3_error!(
            IncompleteBody,
            "You did not provide the number of bytes specified by the Content-Length HTTP header."
        )
    }
}

/// Chunks are handed to the MD5 and writer threads in batches of about this size (one
/// wake-up per batch, one `writev` per batch).
const BATCH: usize = 1 << 20;

/// Batches in flight per thread: bounds the memory one upload holds (~`BATCH` × this).
const IN_FLIGHT: usize = 4;

type Batch = Arc<Vec<Bytes>>;

/// Writes every batch to `file` (one `writev` each) and computes the checksums.
fn write_batches(
    mut file: std::fs::File,
    mut hasher: ChecksumHasher,
    mut rx: mpsc::Receiver<Batch>,
) -> std::io::Result<ChecksumHasher> {
    while let Some(batch) = rx.blocking_recv() {
        for chunk in batch.iter() {
            hasher.update(chunk);
        }
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|c| IoSlice::new(c)).collect();
        let mut slices = slices.as_mut_slice();
        while !slices.is_empty() {
            let n = file.write_vectored(slices)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut slices, n);
        }
    }
    Ok(hasher)
}

/// The MD5 of every batch, in order.
fn md5_batches(mut rx: mpsc::Receiver<Batch>) -> Vec<u8> {
    let mut md5 = Md5::new();
    while let Some(batch) = rx.blocking_recv() {
        for chunk in batch.iter() {
            md5.update(chunk);
        }
    }
    md5.finalize().to_vec()
}

/// Streams `body` to a temporary file, computing its MD5 and checksums.
pub(crate) async fn receive(
    layout: &Layout,
    body: Option<StreamingBlob>,
    declared: &Declared,
) -> S3Result<Received> {
    let temp = TempFile::new(layout.temp_path());
    // Created here, before any thread runs: a failed upload's `temp` then always removes it.
    let file = tokio::fs::File::create(temp.path())
        .await
        .map_err(|e| io_error("creating a temporary file", &e))?
        .into_std()
        .await;
    let (write_tx, write_rx) = mpsc::channel::<Batch>(IN_FLIGHT);
    let (md5_tx, md5_rx) = mpsc::channel::<Batch>(IN_FLIGHT);
    let hasher = hasher(declared);
    let writer = tokio::task::spawn_blocking(move || write_batches(file, hasher, write_rx));
    let md5 = tokio::task::spawn_blocking(move || md5_batches(md5_rx));
    let read = read_body(body, write_tx, md5_tx).await;
    // Both threads end once their channel is closed (also when reading failed).
    let written = writer.await;
    let md5 = md5.await;
    let size = read?;
    let hasher = written
        .map_err(|e| io_error("writing an upload", &std::io::Error::other(e)))?
        .map_err(|e| io_error("writing an upload", &e))?;
    let md5 = md5.map_err(|e| io_error("hashing an upload", &std::io::Error::other(e)))?;
    let computed = hasher.finalize();
    Ok(Received {
        temp,
        size,
        md5,
        computed: Checksums {
            crc32: computed.checksum_crc32,
            crc32c: computed.checksum_crc32c,
            crc64nvme: computed.checksum_crc64nvme,
            sha1: computed.checksum_sha1,
            sha256: computed.checksum_sha256,
        },
    })
}

/// Reads the body into batches for both threads; returns its size. A thread that stopped
/// (the writer failed) ends the reading; its error is reported by the caller.
async fn read_body(
    body: Option<StreamingBlob>,
    write_tx: mpsc::Sender<Batch>,
    md5_tx: mpsc::Sender<Batch>,
) -> S3Result<u64> {
    let mut size = 0_u64;
    let Some(mut body) = body else {
        return Ok(0);
    };
    let mut batch = Vec::new();
    let mut batched = 0_usize;
    let mut ended = false;
    while !ended {
        match body.next().await {
            Some(chunk) => {
                let chunk = chunk.map_err(|e| body_error(e.as_ref()))?;
                size += chunk.len() as u64;
                batched += chunk.len();
                batch.push(chunk);
                if batched < BATCH {
                    continue;
                }
            }
            None => ended = true,
        }
        if batch.is_empty() {
            continue;
        }
        let full: Batch = Arc::new(std::mem::take(&mut batch));
        batched = 0;
        if md5_tx.send(full.clone()).await.is_err() || write_tx.send(full).await.is_err() {
            break;
        }
    }
    Ok(size)
}

impl Received {
    pub(crate) fn md5_hex(&self) -> String {
        hex::encode(&self.md5)
    }

    /// Checks the body against what the client declared (length, Content-MD5, checksums,
    /// including those sent as trailers) and returns the checksums to keep: the ones the
    /// client used, or CRC64NVME when it used none.
    pub(crate) fn verify(&self, declared: &Declared) -> S3Result<Checksums> {
        if let Some(len) = declared.content_length
            && u64::try_from(len).ok() != Some(self.size)
        {
            return Err(s3s::s3_error!(
                IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header."
            ));
        }
        if let Some(expected) = &declared.content_md5 {
            use base64::Engine as _;
            let expected = base64::engine::general_purpose::STANDARD
                .decode(expected)
                .ok()
                .filter(|d| d.len() == 16)
                .ok_or_else(|| {
                    s3s::s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid.")
                })?;
            if expected != self.md5 {
                return Err(s3s::s3_error!(
                    BadDigest,
                    "The Content-MD5 you specified did not match what we received."
                ));
            }
        }
        let d = &declared.checksums;
        let c = &self.computed;
        let mut keep = Checksums::default();
        for (name, want, got, slot) in [
            ("CRC32", &d.crc32, &c.crc32, &mut keep.crc32),
            ("CRC32C", &d.crc32c, &c.crc32c, &mut keep.crc32c),
            ("CRC64NVME", &d.crc64nvme, &c.crc64nvme, &mut keep.crc64nvme),
            ("SHA1", &d.sha1, &c.sha1, &mut keep.sha1),
            ("SHA256", &d.sha256, &c.sha256, &mut keep.sha256),
        ] {
            let named = declared
                .algorithm
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(name));
            if let Some(want) = want {
                if Some(want) != got.as_ref() {
                    return Err(s3s::s3_error!(
                        BadDigest,
                        "The {} you specified did not match the calculated checksum.",
                        name
                    ));
                }
                slot.clone_from(got);
            } else if named {
                slot.clone_from(got);
            }
        }
        if keep == Checksums::default() {
            keep.crc64nvme.clone_from(&c.crc64nvme);
        }
        Ok(keep)
    }
}

/// An upload body and what its request declares about it.
pub(crate) struct Incoming<'a> {
    pub(crate) body: Option<StreamingBlob>,
    pub(crate) content_length: Option<i64>,
    pub(crate) content_md5: Option<String>,
    pub(crate) algorithm: Option<String>,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) trailers: Option<&'a s3s::TrailingHeaders>,
    /// `x-amz-checksum-{crc32, crc32c, crc64nvme, sha1, sha256}` headers.
    pub(crate) checksums: [&'a Option<String>; 5],
}

/// Receives a body and checks it: checksums sent as headers are known before reading (they
/// say which algorithms to compute), trailers only after. Returns the checksums to keep.
pub(crate) async fn receive_checked(
    layout: &Layout,
    inc: Incoming<'_>,
) -> S3Result<(Received, Checksums)> {
    let mut declared = Declared {
        content_length: inc.content_length,
        content_md5: inc.content_md5,
        algorithm: inc.algorithm,
        trailer: inc
            .headers
            .get("x-amz-trailer")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        checksums: declared_checksums(inc.checksums, None),
    };
    let received = receive(layout, inc.body, &declared).await?;
    let trailers = inc.trailers.and_then(s3s::TrailingHeaders::take);
    declared.checksums = declared_checksums(inc.checksums, trailers.as_ref());
    let checksums = received.verify(&declared)?;
    Ok((received, checksums))
}

/// The checksums a request declares in headers, and in trailers once the body was read.
pub(crate) fn declared_checksums(
    headers: [&Option<String>; 5],
    trailers: Option<&http::HeaderMap>,
) -> Checksums {
    let [crc32, crc32c, crc64nvme, sha1, sha256] = headers;
    let trailer = |name: &str| {
        trailers
            .and_then(|t| t.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Checksums {
        crc32: crc32.clone().or_else(|| trailer("x-amz-checksum-crc32")),
        crc32c: crc32c.clone().or_else(|| trailer("x-amz-checksum-crc32c")),
        crc64nvme: crc64nvme
            .clone()
            .or_else(|| trailer("x-amz-checksum-crc64nvme")),
        sha1: sha1.clone().or_else(|| trailer("x-amz-checksum-sha1")),
        sha256: sha256.clone().or_else(|| trailer("x-amz-checksum-sha256")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: Vec<Result<Bytes, std::io::Error>>) -> StreamingBlob {
        StreamingBlob::wrap(futures::stream::iter(parts))
    }

    #[tokio::test]
    async fn a_body_of_many_batches_is_written_and_hashed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.tmp_dir()).unwrap();
        // 3.5 MiB in uneven chunks: several batches, the last one short.
        let data: Vec<u8> = (0..(7 << 19)).map(|i: u32| (i % 251) as u8).collect();
        let parts = data
            .chunks(300_007)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let r = receive(&layout, Some(chunks(parts)), &Declared::default())
            .await
            .unwrap();
        assert_eq!(r.size, data.len() as u64);
        assert_eq!(std::fs::read(r.temp.path()).unwrap(), data);
        let mut md5 = Md5::new();
        md5.update(&data);
        assert_eq!(r.md5_hex(), hex::encode(md5.finalize()));
        let mut crc = s3s::checksum::ChecksumHasher {
            crc64nvme: Some(Default::default()),
            ..Default::default()
        };
        crc.update(&data);
        assert_eq!(r.computed.crc64nvme, crc.finalize().checksum_crc64nvme);
    }

    #[tokio::test]
    async fn a_body_that_fails_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.tmp_dir()).unwrap();
        let parts = vec![
            Ok(Bytes::from(vec![1_u8; 3 << 20])),
            Err(std::io::Error::other("connection reset")),
        ];
        let e = receive(&layout, Some(chunks(parts)), &Declared::default())
            .await
            .unwrap_err();
        assert_eq!(e.code().as_str(), "IncompleteBody");
        assert_eq!(std::fs::read_dir(layout.tmp_dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn sha256_of_a_body_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        std::fs::create_dir_all(layout.tmp_dir()).unwrap();
        let declared = Declared {
            algorithm: Some("SHA256".into()),
            ..Default::default()
        };
        let body = StreamingBlob::from(s3s::Body::from(b"hello".to_vec()));
        let r = receive(&layout, Some(body), &declared).await.unwrap();
        let mut declared = declared;
        declared.checksums.sha256 = Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=".into());
        let kept = r.verify(&declared).unwrap();
        assert_eq!(
            kept.sha256.as_deref(),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
        declared.checksums.sha256 = Some("AAAA".into());
        assert_eq!(
            r.verify(&declared).unwrap_err().code().as_str(),
            "BadDigest"
        );
    }
}
