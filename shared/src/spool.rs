//! Holding transformed output whose length must be known before answering (Range/partNumber on
//! output of unknown length, or [`crate::Commit::AfterCompletion`]). The first
//! `memory_limit` bytes stay in memory; the rest goes to an anonymous temporary file (Lambda's
//! `/tmp`), up to `total_limit`, beyond which the request fails with `EntityTooLarge`.

use std::io::SeekFrom;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::error::TransformError;
use crate::transform::ByteStream;

/// Read size when streaming back from the file.
const READ_CHUNK: usize = 256 * 1024;

/// Output held back until its end.
pub(crate) struct Spool {
    memory: BytesMut,
    file: Option<tokio::fs::File>,
    len: u64,
    memory_limit: usize,
    total_limit: u64,
}

impl Spool {
    /// An empty spool.
    pub(crate) fn new(memory_limit: usize, total_limit: u64) -> Self {
        Self {
            memory: BytesMut::new(),
            file: None,
            len: 0,
            memory_limit,
            total_limit,
        }
    }

    /// Bytes held so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Append a chunk.
    pub(crate) async fn push(&mut self, chunk: &[u8]) -> Result<(), TransformError> {
        if self.len + chunk.len() as u64 > self.total_limit {
            return Err(TransformError::too_large(format!(
                "the transformed object must be held to answer this request and is larger than the limit of {} bytes",
                self.total_limit
            )));
        }
        self.len += chunk.len() as u64;
        if self.file.is_none() && self.memory.len() + chunk.len() <= self.memory_limit {
            self.memory.extend_from_slice(chunk);
            return Ok(());
        }
        if self.file.is_none() {
            let std_file = tempfile::tempfile().map_err(io_err)?;
            self.file = Some(tokio::fs::File::from_std(std_file));
        }
        if let Some(file) = self.file.as_mut() {
            file.write_all(chunk).await.map_err(io_err)?;
        }
        Ok(())
    }

    /// Push everything left in `stream`.
    pub(crate) async fn drain(&mut self, stream: &mut ByteStream) -> Result<(), TransformError> {
        while let Some(chunk) = stream.next().await {
            self.push(&chunk?).await?;
        }
        Ok(())
    }

    /// Stream `len` bytes starting at `start`.
    pub(crate) async fn slice(
        mut self,
        start: u64,
        len: u64,
    ) -> Result<ByteStream, TransformError> {
        let mem = self.memory.freeze();
        let mem_len = mem.len() as u64;
        let mut parts: Vec<Result<Bytes, TransformError>> = Vec::new();
        let end = start + len;
        if start < mem_len {
            let to = end.min(mem_len);
            parts.push(Ok(mem.slice(start as usize..to as usize)));
        }
        let head = futures::stream::iter(parts);
        let file_part: ByteStream = match self.file.take() {
            Some(mut file) if end > mem_len => {
                file.flush().await.map_err(io_err)?;
                let from = start.max(mem_len) - mem_len;
                file.seek(SeekFrom::Start(from)).await.map_err(io_err)?;
                let remaining = end - start.max(mem_len);
                Box::pin(futures::stream::unfold(
                    (file, remaining),
                    |(mut file, remaining)| async move {
                        if remaining == 0 {
                            return None;
                        }
                        let want = remaining.min(READ_CHUNK as u64) as usize;
                        let mut buf = vec![0; want];
                        match file.read_exact(&mut buf).await {
                            Ok(_) => Some((Ok(Bytes::from(buf)), (file, remaining - want as u64))),
                            Err(e) => Some((Err(io_err(e)), (file, 0))),
                        }
                    },
                ))
            }
            _ => Box::pin(futures::stream::empty()),
        };
        Ok(Box::pin(head.chain(file_part)))
    }
}

#[allow(clippy::needless_pass_by_value, reason = "used as map_err(io_err)")]
fn io_err(e: std::io::Error) -> TransformError {
    TransformError::internal(format!("temporary storage failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(s: ByteStream) -> Vec<u8> {
        crate::collect(s, u64::MAX).await.unwrap().to_vec()
    }

    #[tokio::test]
    async fn slices_across_memory_and_file() {
        let data: Vec<u8> = (0..100u8).collect();
        for (start, len) in [(0, 100), (5, 10), (15, 30), (25, 75), (99, 1), (0, 0)] {
            let mut spool = Spool::new(20, 1000);
            for chunk in data.chunks(7) {
                spool.push(chunk).await.unwrap();
            }
            assert_eq!(spool.len(), 100);
            let got = read(spool.slice(start, len).await.unwrap()).await;
            assert_eq!(
                got,
                &data[start as usize..(start + len) as usize],
                "{start}+{len}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_beyond_limit() {
        let mut spool = Spool::new(4, 10);
        spool.push(b"123456").await.unwrap();
        assert_eq!(
            spool.push(b"12345").await.unwrap_err().code(),
            "EntityTooLarge"
        );
    }
}
