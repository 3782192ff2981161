//! Where log objects are written, and which buckets log: the emulator's store (settings from
//! the config, the template or PutBucketLogging, read at each request), or the gateway's remote
//! backend (settings from the gateway's config, fixed at start).

use std::collections::HashMap;

use s3s::S3;
use s3s::dto::{PutObjectInput, StreamingBlob};

use super::Target;
use crate::store::Store;

/// The seam between the writer (batching, flush, queue) and the storage of log objects.
#[async_trait::async_trait]
pub(crate) trait Sink: Send + Sync + std::fmt::Debug + 'static {
    /// Where `bucket`'s records go, if it logs. Called for every request: no I/O.
    fn target(&self, bucket: &str) -> Option<Target>;

    /// Writes one log object; the error says why it was not written (no object contents).
    async fn put(&self, bucket: &str, key: &str, body: String) -> Result<(), String>;
}

/// The emulator: straight into the store, past the request dispatch, so that writing a log
/// object is never itself logged.
#[async_trait::async_trait]
impl Sink for Store {
    fn target(&self, bucket: &str) -> Option<Target> {
        self.logging(bucket)
    }

    async fn put(&self, bucket: &str, key: &str, body: String) -> Result<(), String> {
        let input = PutObjectInput {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            content_type: Some("text/plain".to_owned()),
            content_length: i64::try_from(body.len()).ok(),
            body: Some(StreamingBlob::from(s3s::Body::from(body))),
            ..Default::default()
        };
        self.put_object(crate::seed::request(input, http::Method::PUT))
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// The gateway: PutObject into the target bucket of the backend, through aws-sdk-s3 with the
/// gateway's backend credentials (the client of [`crate::backend::RemoteBackend`]). The
/// gateway's own requests to the backend do not pass its dispatch, so they are not logged
/// here (the backend logs them, if it keeps access logs).
#[derive(Debug)]
pub(crate) struct RemoteSink {
    client: aws_sdk_s3::Client,
    /// Source bucket → target, from the gateway's `[[buckets]]` `logging`.
    targets: HashMap<String, Target>,
}

impl RemoteSink {
    pub(crate) fn new(client: aws_sdk_s3::Client, targets: HashMap<String, Target>) -> Self {
        Self { client, targets }
    }
}

#[async_trait::async_trait]
impl Sink for RemoteSink {
    fn target(&self, bucket: &str) -> Option<Target> {
        self.targets.get(bucket).cloned()
    }

    async fn put(&self, bucket: &str, key: &str, body: String) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("text/plain")
            .body(aws_sdk_s3::primitives::ByteStream::from(body.into_bytes()))
            .send()
            .await
            .map(drop)
            .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())
    }
}
