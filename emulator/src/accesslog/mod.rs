//! S3 server access logs: a bucket whose logging is enabled (config `logging`, the template's
//! `LoggingConfiguration`, or PutBucketLogging) gets one [`record`] per request made to it,
//! directly or through an access point or Object Lambda Access Point (the caller's GET and
//! the function's fetch of the original are two records, as in S3).
//!
//! Requests never wait for logging: [`hook`] builds the record when the response's last byte
//! is sent and hands it to a bounded queue (`access_log_queue`, default 10 000); when the
//! queue is full the record is dropped and counted ([`AccessLog::dropped`], metric
//! `object_lambda_access_log_dropped_total`). The [`writer`] batches records into log objects
//! in the target bucket, named as S3 names them (`prefix + YYYY-mm-DD-HH-MM-SS-UniqueString`),
//! written every `access_log_flush_ms` or `access_log_max_records` records, whichever comes
//! first, straight into the store (so writing a log is never itself logged).
//!
//! Where log objects go is the [`Sink`] seam: the emulator's own store, or (the gateway) the
//! target bucket in the remote backend, written with the gateway's backend credentials.

pub(crate) mod hook;
pub(crate) mod record;
mod sink;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub(crate) use sink::{RemoteSink, Sink};

/// Where a bucket's records go (`TargetBucket`, `TargetPrefix`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) bucket: String,
    pub(crate) prefix: String,
}

/// One finished record on its way to its target.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) target: Target,
    pub(crate) line: String,
}

/// The limits of logging (config keys `access_log_flush_ms`, `access_log_max_records`,
/// `access_log_queue`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) flush: Duration,
    pub(crate) max_records: usize,
    pub(crate) queue: usize,
}

impl Limits {
    /// The configured limits (the emulator's and the gateway's keys are the same).
    pub(crate) fn of(config: &crate::config::Config) -> Self {
        Self {
            flush: Duration::from_millis(config.access_log_flush_ms),
            max_records: config.access_log_max_records,
            queue: config.access_log_queue,
        }
    }
}

/// The logging service of one emulator or gateway.
#[derive(Debug)]
pub(crate) struct AccessLog {
    tx: mpsc::Sender<Entry>,
    dropped: AtomicU64,
    sink: Arc<dyn Sink>,
    /// The account that owns the buckets (Access Point ARNs).
    account: String,
    /// Log only requests made through an access point or Object Lambda Access Point (the
    /// gateway: it serves no bucket itself, and the backend logs requests made to it).
    access_points_only: bool,
}

impl AccessLog {
    /// Starts the writer; it flushes what it holds and ends when `stop` turns true.
    pub(crate) fn start(
        sink: Arc<dyn Sink>,
        account: &str,
        limits: Limits,
        access_points_only: bool,
        stop: watch::Receiver<bool>,
    ) -> (Arc<Self>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(limits.queue.max(1));
        let task = tokio::spawn(writer::run(sink.clone(), rx, limits, stop));
        let log = Arc::new(Self {
            tx,
            dropped: AtomicU64::new(0),
            sink,
            account: account.to_owned(),
            access_points_only,
        });
        (log, task)
    }

    /// Where `bucket`'s records go, if it logs.
    pub(crate) fn target(&self, bucket: &str) -> Option<Target> {
        self.sink.target(bucket)
    }

    /// Queues a record; never waits.
    pub(crate) fn submit(&self, entry: Entry) {
        if self.tx.try_send(entry).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("object_lambda_access_log_dropped_total").increment(1);
        }
    }

    /// Records dropped because the queue was full (or the writer had stopped).
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        let dropped = self.dropped();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "server access log records were dropped: the queue (access_log_queue) was full"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(dir.path(), "111122223333").unwrap();
        // No writer drains this queue of two.
        let (tx, _rx) = mpsc::channel(2);
        let log = AccessLog {
            tx,
            dropped: AtomicU64::new(0),
            sink: Arc::new(store),
            account: "111122223333".into(),
            access_points_only: false,
        };
        for _ in 0..5 {
            log.submit(Entry {
                target: Target {
                    bucket: "logs".into(),
                    prefix: String::new(),
                },
                line: "record".into(),
            });
        }
        assert_eq!(log.dropped(), 3);
    }
}
