//! What a transform may know about the request: key, query, headers, caller. No Lambda types.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use http::HeaderMap;

use crate::error::TransformError;
pub use crate::event::CallerIdentity;

/// Reads other objects through the supporting access point (e.g. a watermark logo).
pub trait SupportingObjects: Send + Sync {
    /// Fetch `key`, refusing more than `max_bytes`.
    fn get(&self, key: &str, max_bytes: u64) -> BoxFuture<'static, Result<Bytes, TransformError>>;
}

/// The request a transform is working for. Cheap to clone.
#[derive(Clone)]
pub struct RequestContext {
    inner: Arc<Inner>,
}

struct Inner {
    request_id: String,
    key: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    identity: CallerIdentity,
    supporting: Option<Arc<dyn SupportingObjects>>,
}

impl RequestContext {
    /// Build a context (the runtime does this; tests and local mode may too).
    pub fn new(
        request_id: impl Into<String>,
        key: impl Into<String>,
        query: Vec<(String, String)>,
        headers: HeaderMap,
        identity: CallerIdentity,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                request_id: request_id.into(),
                key: key.into(),
                query,
                headers,
                identity,
                supporting: None,
            }),
        }
    }

    /// Attach access to the supporting access point.
    pub fn with_supporting_objects(self, supporting: Arc<dyn SupportingObjects>) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|arc| Inner {
            request_id: arc.request_id.clone(),
            key: arc.key.clone(),
            query: arc.query.clone(),
            headers: arc.headers.clone(),
            identity: arc.identity.clone(),
            supporting: None,
        });
        Self {
            inner: Arc::new(Inner {
                supporting: Some(supporting),
                ..inner
            }),
        }
    }

    /// S3's request id (`xAmzRequestId`).
    pub fn request_id(&self) -> &str {
        &self.inner.request_id
    }
    /// The object key the caller asked for.
    pub fn key(&self) -> &str {
        &self.inner.key
    }
    /// Query parameters of the caller's URL, decoded, in order.
    pub fn query(&self) -> &[(String, String)] {
        &self.inner.query
    }
    /// First query parameter named `name` (case-sensitive, as S3 is).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.inner
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// A header of the caller's request (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Who is asking.
    pub fn identity(&self) -> &CallerIdentity {
        &self.inner.identity
    }
    /// Fetch another object through the supporting access point, at most `max_bytes`.
    pub async fn get_supporting_object(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> Result<Bytes, TransformError> {
        match &self.inner.supporting {
            Some(s) => s.get(key, max_bytes).await,
            None => Err(TransformError::invalid_payload(
                "key",
                "reading other objects is not available here",
            )),
        }
    }
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.inner.request_id)
            .field("key", &self.inner.key)
            .finish_non_exhaustive()
    }
}
