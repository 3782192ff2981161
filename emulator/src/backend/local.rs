//! The emulator's own store.

use std::time::SystemTime;

use s3s::service::S3Service;
use s3s::{Body, S3Request, S3Response, S3Result};

use super::{Backend, InputRequest};
use crate::sigv4;
use crate::store::Store;

/// The local s3s store; `inputS3Url` points at the emulator itself.
pub(crate) struct LocalBackend {
    store: Store,
    internal: S3Service,
    /// `http://IP:PORT` of the emulator.
    endpoint: String,
}

impl LocalBackend {
    pub(crate) fn new(store: Store, endpoint: String) -> Self {
        Self {
            internal: super::internal_service(store.clone()),
            store,
            endpoint,
        }
    }
}

/// SigV4's URI encoding, keeping `/` (object keys in paths).
const S3_PATH: &percent_encoding::AsciiSet = &sigv4::SIGV4_ENCODE.remove(b'/');

/// `/<bucket>/<key>` (or `/<bucket>` for LIST), percent-encoded as SigV4 wants it.
pub(crate) fn path_of(input: &InputRequest<'_>) -> String {
    if input.key.is_empty() {
        format!("/{}", input.bucket)
    } else {
        format!(
            "/{}/{}",
            input.bucket,
            percent_encoding::utf8_percent_encode(input.key, S3_PATH)
        )
    }
}

/// The URL presigned against `endpoint` with the caller's credential.
pub(crate) fn presign_with_caller(endpoint: &str, input: &InputRequest<'_>) -> String {
    sigv4::presign(
        input.method(),
        endpoint,
        &path_of(input),
        &input.query,
        &input.headers,
        input.caller,
        input.expires,
        SystemTime::now(),
    )
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    async fn passthrough(
        &self,
        req: S3Request<Body>,
        bucket: &str,
        raw_rest: &str,
    ) -> S3Result<S3Response<Body>> {
        super::forward(&self.internal, req, bucket, raw_rest).await
    }

    async fn presign(&self, input: &InputRequest<'_>) -> S3Result<String> {
        Ok(presign_with_caller(&self.endpoint, input))
    }

    fn wants_grant(&self) -> bool {
        true
    }

    fn stored_with_sse_c(&self, bucket: &str, key: &str) -> bool {
        self.store.is_sse_c(bucket, key)
    }
}
