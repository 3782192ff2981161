//! Delivery: records are batched per target and written as one log object each time a batch
//! reaches `max_records` or the flush interval passes.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::{Entry, Limits, Sink, Target};

pub(super) async fn run(
    store: Arc<dyn Sink>,
    mut rx: mpsc::Receiver<Entry>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let mut batches: HashMap<Target, Vec<String>> = HashMap::new();
    let mut tick = tokio::time::interval(limits.flush.max(std::time::Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            entry = rx.recv() => match entry {
                Some(e) => {
                    let batch = batches.entry(e.target.clone()).or_default();
                    batch.push(e.line);
                    if batch.len() >= limits.max_records.max(1) {
                        let lines = std::mem::take(batch);
                        deliver(&store, &e.target, lines).await;
                    }
                }
                None => break,
            },
            _ = tick.tick() => flush_all(&store, &mut batches).await,
            _ = stop.changed() => {
                while let Ok(e) = rx.try_recv() {
                    batches.entry(e.target).or_default().push(e.line);
                }
                break;
            }
        }
    }
    flush_all(&store, &mut batches).await;
}

async fn flush_all(store: &Arc<dyn Sink>, batches: &mut HashMap<Target, Vec<String>>) {
    for (target, lines) in batches.iter_mut() {
        if !lines.is_empty() {
            let lines = std::mem::take(lines);
            deliver(store, target, lines).await;
        }
    }
}

/// `prefix + YYYY-mm-DD-HH-MM-SS-UniqueString`, as S3 names log objects.
pub(super) fn object_key(prefix: &str, now: time::OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{prefix}{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        crate::event::random_id(16).to_ascii_uppercase()
    )
}

/// Writes one log object. A failure (the target bucket was deleted) loses this batch only,
/// and says so.
async fn deliver(sink: &Arc<dyn Sink>, target: &Target, lines: Vec<String>) {
    let count = lines.len();
    let mut body = lines.join("\n");
    body.push('\n');
    let key = object_key(&target.prefix, time::OffsetDateTime::now_utc());
    match sink.put(&target.bucket, &key, body).await {
        Ok(_) => tracing::debug!(bucket = %target.bucket, %key, count, "access log delivered"),
        Err(e) => {
            metrics::counter!("object_lambda_access_log_lost_total").increment(count as u64);
            tracing::warn!(bucket = %target.bucket, error = %e, count, "access log delivery failed; records lost");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn object_keys_are_named_as_s3_names_them() {
        let t = time::macros::datetime!(2026-12-05 07:08:09 UTC);
        let k = super::object_key("logs/", t);
        assert!(k.starts_with("logs/2026-12-05-07-08-09-"), "{k}");
        assert_eq!(k.len(), "logs/2026-12-05-07-08-09-".len() + 16);
    }
}
