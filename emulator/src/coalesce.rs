//! Larger body chunks for GetObject: s3s-fs reads files 4 KiB at a time, and every hop of
//! the Object Lambda path (emulator → function → WriteGetObjectResponse → caller) pays per
//! chunk. Joining what is already read into chunks of up to 64 KiB cuts that overhead.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use s3s::StdError;
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};

const TARGET: usize = 64 * 1024;

pub(crate) struct Coalesce {
    inner: StreamingBlob,
    done: bool,
}

impl Coalesce {
    pub(crate) fn new(inner: StreamingBlob) -> Self {
        Self { inner, done: false }
    }
}

impl Stream for Coalesce {
    type Item = Result<Bytes, StdError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut first: Option<Bytes> = None;
        let mut joined: Option<BytesMut> = None;
        loop {
            let have =
                joined.as_ref().map_or(0, BytesMut::len) + first.as_ref().map_or(0, Bytes::len);
            if have >= TARGET {
                break;
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => match (&mut first, &mut joined) {
                    (None, None) => first = Some(chunk),
                    (Some(f), None) => {
                        let mut buf = BytesMut::with_capacity(TARGET.max(f.len() + chunk.len()));
                        buf.extend_from_slice(f);
                        buf.extend_from_slice(&chunk);
                        first = None;
                        joined = Some(buf);
                    }
                    (_, Some(buf)) => buf.extend_from_slice(&chunk),
                },
                // A failing stream fails now; what was joined is dropped with it.
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    this.done = true;
                    break;
                }
                Poll::Pending if have == 0 => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        match (first, joined) {
            (Some(f), _) => Poll::Ready(Some(Ok(f))),
            (None, Some(buf)) => Poll::Ready(Some(Ok(buf.freeze()))),
            (None, None) => Poll::Ready(None),
        }
    }
}

impl ByteStream for Coalesce {
    fn remaining_length(&self) -> RemainingLength {
        self.inner.remaining_length()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn joins_small_chunks_and_keeps_bytes() {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            (0..40u8).map(|i| Ok(Bytes::from(vec![i; 4096]))).collect();
        let blob = StreamingBlob::wrap(futures::stream::iter(chunks));
        let out: Vec<Bytes> = Coalesce::new(blob).map(|r| r.unwrap()).collect().await;
        assert_eq!(
            out.iter().map(Bytes::len).collect::<Vec<_>>(),
            [65536, 65536, 32768]
        );
        let all: Vec<u8> = out.concat();
        assert_eq!(all.len(), 40 * 4096);
        assert!(
            all.chunks(4096)
                .enumerate()
                .all(|(i, c)| c.iter().all(|b| usize::from(*b) == i))
        );
    }
}
