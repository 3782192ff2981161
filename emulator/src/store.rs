//! The S3 side: s3s-fs wrapped with what it lacks (conditional GET/HEAD, SSE-C bookkeeping).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CopyObjectInput, CopyObjectOutput, CreateBucketInput,
    CreateBucketOutput, CreateMultipartUploadInput, CreateMultipartUploadOutput, DeleteBucketInput,
    DeleteBucketOutput, DeleteObjectInput, DeleteObjectOutput, DeleteObjectsInput,
    DeleteObjectsOutput, ETag, ETagCondition, GetBucketLocationInput, GetBucketLocationOutput,
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
    HeadObjectOutput, ListBucketsInput, ListBucketsOutput, ListObjectsInput, ListObjectsOutput,
    ListObjectsV2Input, ListObjectsV2Output, ListPartsInput, ListPartsOutput, PutObjectInput,
    PutObjectOutput, StreamingBlob, Timestamp, UploadPartInput, UploadPartOutput,
};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use serde::{Deserialize, Serialize};

/// SSE-C marker of one object: the emulator stores plain bytes but remembers that the
/// object was written with a customer key, so it can refuse it where S3 would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SseC {
    pub(crate) algorithm: String,
    pub(crate) key_md5: Option<String>,
}

/// SSE-C markers, persisted as JSON in the data directory.
#[derive(Debug)]
pub(crate) struct SseCStore {
    path: PathBuf,
    objects: Mutex<HashMap<String, SseC>>,
    uploads: Mutex<HashMap<String, SseC>>,
}

fn object_id(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

impl SseCStore {
    pub(crate) fn open(meta_dir: &Path) -> std::io::Result<Self> {
        let path = meta_dir.join("sse-c.json");
        let objects = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path,
            objects: Mutex::new(objects),
            uploads: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn get(&self, bucket: &str, key: &str) -> Option<SseC> {
        lock(&self.objects).get(&object_id(bucket, key)).cloned()
    }

    fn set(&self, bucket: &str, key: &str, value: Option<SseC>) {
        let mut map = lock(&self.objects);
        let id = object_id(bucket, key);
        let changed = match value {
            Some(v) => map.insert(id, v.clone()).as_ref() != Some(&v),
            None => map.remove(&id).is_some(),
        };
        if changed && let Ok(json) = serde_json::to_vec(&*map) {
            // Best effort: losing a marker only makes an SSE-C object readable without its key.
            if let Err(e) = std::fs::write(&self.path, json) {
                tracing::warn!(error = %e, "cannot persist SSE-C markers");
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sse_c(algorithm: Option<&String>, key_md5: Option<&String>) -> Option<SseC> {
    algorithm.map(|a| SseC {
        algorithm: a.clone(),
        key_md5: key_md5.cloned(),
    })
}

/// The emulator's [`S3`] implementation: s3s-fs plus conditional requests and SSE-C checks.
#[derive(Clone)]
pub(crate) struct Store {
    fs: Arc<s3s_fs::FileSystem>,
    pub(crate) sse_c: Arc<SseCStore>,
}

impl Store {
    pub(crate) fn new(fs: s3s_fs::FileSystem, sse_c: SseCStore) -> Self {
        Self {
            fs: Arc::new(fs),
            sse_c: Arc::new(sse_c),
        }
    }

    /// Checks the SSE-C parameters of a GET/HEAD against the object's marker, as S3 does.
    fn check_sse_c(
        &self,
        bucket: &str,
        key: &str,
        algorithm: Option<&String>,
        key_md5: Option<&String>,
    ) -> S3Result<()> {
        match (self.sse_c.get(bucket, key), algorithm) {
            (Some(_), None) => Err(s3_error!(
                InvalidRequest,
                "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
            )),
            (Some(marker), Some(_)) => match (&marker.key_md5, key_md5) {
                (Some(expected), Some(got)) if expected != got => Err(s3_error!(
                    AccessDenied,
                    "The calculated MD5 hash of the key did not match the hash that was provided."
                )),
                _ => Ok(()),
            },
            (None, Some(_)) => Err(s3_error!(
                InvalidRequest,
                "The encryption parameters are not applicable to this object."
            )),
            (None, None) => Ok(()),
        }
    }
}

/// Outcome of evaluating the conditional headers of a GET/HEAD.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    Proceed,
    NotModified,
    Failed,
}

fn etag_value(e: &ETag) -> &str {
    match e {
        ETag::Strong(v) | ETag::Weak(v) => v.trim_matches('"'),
    }
}

fn etag_matches(cond: &ETagCondition, current: &ETag) -> bool {
    match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => etag_value(e) == etag_value(current),
    }
}

/// HTTP dates have whole seconds; file times do not.
fn secs(t: &Timestamp) -> i64 {
    time::OffsetDateTime::from(t.clone()).unix_timestamp()
}

/// RFC 9110 §13.2.2 order: If-Match, else If-Unmodified-Since (412); then If-None-Match,
/// else If-Modified-Since (304).
pub(crate) fn evaluate_preconditions(
    if_match: Option<&ETagCondition>,
    if_unmodified_since: Option<&Timestamp>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    etag: &ETag,
    last_modified: &Timestamp,
) -> Precondition {
    if let Some(cond) = if_match {
        if !etag_matches(cond, etag) {
            return Precondition::Failed;
        }
    } else if let Some(t) = if_unmodified_since
        && secs(last_modified) > secs(t)
    {
        return Precondition::Failed;
    }
    if let Some(cond) = if_none_match {
        if etag_matches(cond, etag) {
            return Precondition::NotModified;
        }
    } else if let Some(t) = if_modified_since
        && secs(last_modified) <= secs(t)
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

fn head_request<T>(req: &S3Request<T>, bucket: &str, key: &str) -> S3Request<HeadObjectInput> {
    let input = HeadObjectInput {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        ..Default::default()
    };
    S3Request {
        input,
        method: http::Method::HEAD,
        uri: req.uri.clone(),
        headers: http::HeaderMap::new(),
        extensions: http::Extensions::new(),
        credentials: req.credentials.clone(),
        region: req.region.clone(),
        service: req.service.clone(),
        trailing_headers: None,
    }
}

/// What GET and HEAD check before reading: SSE-C key headers and conditional headers.
struct ReadChecks<'a> {
    sse_algorithm: Option<&'a String>,
    sse_key_md5: Option<&'a String>,
    conds: (
        Option<&'a ETagCondition>,
        Option<&'a Timestamp>,
        Option<&'a ETagCondition>,
        Option<&'a Timestamp>,
    ),
}

/// The [`ReadChecks`] of a `GetObjectInput` or `HeadObjectInput`: s3s generates the two types
/// separately, but their SSE-C and conditional fields have the same names.
macro_rules! read_checks {
    ($input:expr) => {{
        let i = $input;
        ReadChecks {
            sse_algorithm: i.sse_customer_algorithm.as_ref(),
            sse_key_md5: i.sse_customer_key_md5.as_ref(),
            conds: (
                i.if_match.as_ref(),
                i.if_unmodified_since.as_ref(),
                i.if_none_match.as_ref(),
                i.if_modified_since.as_ref(),
            ),
        }
    }};
}

impl Store {
    /// SSE-C bookkeeping and preconditions shared by GetObject and HeadObject.
    async fn admit_read<T>(
        &self,
        req: &S3Request<T>,
        bucket: &str,
        key: &str,
        checks: ReadChecks<'_>,
    ) -> S3Result<()> {
        self.check_sse_c(bucket, key, checks.sse_algorithm, checks.sse_key_md5)?;
        match self.preconditions(req, bucket, key, checks.conds).await? {
            Some((Precondition::Failed, _)) => Err(precondition_failed()),
            Some((Precondition::NotModified, head)) => Err(not_modified(&head)),
            _ => Ok(()),
        }
    }

    /// Evaluates conditional headers against the current object (a HEAD on the backend).
    async fn preconditions<T>(
        &self,
        req: &S3Request<T>,
        bucket: &str,
        key: &str,
        conds: (
            Option<&ETagCondition>,
            Option<&Timestamp>,
            Option<&ETagCondition>,
            Option<&Timestamp>,
        ),
    ) -> S3Result<Option<(Precondition, HeadObjectOutput)>> {
        if conds.0.is_none() && conds.1.is_none() && conds.2.is_none() && conds.3.is_none() {
            return Ok(None);
        }
        let head = self
            .fs
            .head_object(head_request(req, bucket, key))
            .await?
            .output;
        let (Some(etag), Some(lm)) = (&head.e_tag, &head.last_modified) else {
            return Ok(None);
        };
        let outcome = evaluate_preconditions(conds.0, conds.1, conds.2, conds.3, etag, lm);
        Ok(Some((outcome, head)))
    }
}

fn precondition_failed() -> s3s::S3Error {
    s3_error!(
        PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold"
    )
}

/// 304 Not Modified. s3s 0.14 ignores `S3Response::status` on typed operations, so the
/// 304 travels as an error; hyper sends no body with a 304.
fn not_modified(head: &HeadObjectOutput) -> s3s::S3Error {
    let mut e = s3_error!(NotModified);
    e.set_status_code(http::StatusCode::NOT_MODIFIED);
    let mut headers = http::HeaderMap::new();
    if let Some(etag) = &head.e_tag
        && let Ok(v) = http::HeaderValue::from_str(&format!("\"{}\"", etag_value(etag)))
    {
        headers.insert(http::header::ETAG, v);
    }
    if let Some(lm) = &head.last_modified {
        let mut buf = Vec::new();
        if lm
            .format(s3s::dto::TimestampFormat::HttpDate, &mut buf)
            .is_ok()
            && let Ok(v) = http::HeaderValue::from_bytes(&buf)
        {
            headers.insert(http::header::LAST_MODIFIED, v);
        }
    }
    e.set_headers(headers);
    e
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.fs.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.fs.delete_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let marker = sse_c(
            req.input.sse_customer_algorithm.as_ref(),
            req.input.sse_customer_key_md5.as_ref(),
        );
        let mut resp = self.fs.put_object(req).await?;
        if let Some(m) = &marker {
            resp.output.sse_customer_algorithm = Some(m.algorithm.clone());
            resp.output.sse_customer_key_md5.clone_from(&m.key_md5);
        }
        self.sse_c.set(&bucket, &key, marker);
        Ok(resp)
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.admit_read(&req, &bucket, &key, read_checks!(&req.input))
            .await?;
        let marker = self.sse_c.get(&bucket, &key);
        let mut resp = self.fs.get_object(req).await?;
        if let Some(body) = resp.output.body.take() {
            resp.output.body = Some(StreamingBlob::new(crate::coalesce::Coalesce::new(body)));
        }
        if let Some(m) = marker {
            resp.output.sse_customer_algorithm = Some(m.algorithm);
            resp.output.sse_customer_key_md5 = m.key_md5;
        }
        Ok(resp)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.admit_read(&req, &bucket, &key, read_checks!(&req.input))
            .await?;
        let marker = self.sse_c.get(&bucket, &key);
        let mut resp = self.fs.head_object(req).await?;
        if let Some(m) = marker {
            resp.output.sse_customer_algorithm = Some(m.algorithm);
            resp.output.sse_customer_key_md5 = m.key_md5;
        }
        Ok(resp)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let resp = self.fs.delete_object(req).await?;
        self.sse_c.set(&bucket, &key, None);
        Ok(resp)
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let keys: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|o| o.key.clone())
            .collect();
        let resp = self.fs.delete_objects(req).await?;
        for key in keys {
            self.sse_c.set(&bucket, &key, None);
        }
        Ok(resp)
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let marker = sse_c(
            req.input.sse_customer_algorithm.as_ref(),
            req.input.sse_customer_key_md5.as_ref(),
        );
        let resp = self.fs.copy_object(req).await?;
        self.sse_c.set(&bucket, &key, marker);
        Ok(resp)
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.fs.list_objects_v2(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let marker = sse_c(
            req.input.sse_customer_algorithm.as_ref(),
            req.input.sse_customer_key_md5.as_ref(),
        );
        let resp = self.fs.create_multipart_upload(req).await?;
        if let (Some(m), Some(id)) = (marker, &resp.output.upload_id) {
            lock(&self.sse_c.uploads).insert(id.clone(), m);
        }
        Ok(resp)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.fs.upload_part(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key, id) = (
            req.input.bucket.clone(),
            req.input.key.clone(),
            req.input.upload_id.clone(),
        );
        let resp = self.fs.complete_multipart_upload(req).await?;
        let marker = lock(&self.sse_c.uploads).remove(&id);
        self.sse_c.set(&bucket, &key, marker);
        Ok(resp)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let id = req.input.upload_id.clone();
        let resp = self.fs.abort_multipart_upload(req).await?;
        lock(&self.sse_c.uploads).remove(&id);
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(secs).unwrap())
    }

    #[test]
    fn precondition_order_follows_rfc() {
        let etag = ETag::Strong("abc".into());
        let lm = ts(1000);
        let same = ETagCondition::ETag(ETag::Strong("abc".into()));
        let other = ETagCondition::ETag(ETag::Strong("xyz".into()));
        let eval = |im: Option<&ETagCondition>,
                    ius: Option<&Timestamp>,
                    inm: Option<&ETagCondition>,
                    ims: Option<&Timestamp>| {
            evaluate_preconditions(im, ius, inm, ims, &etag, &lm)
        };
        assert_eq!(eval(None, None, None, None), Precondition::Proceed);
        assert_eq!(eval(Some(&other), None, None, None), Precondition::Failed);
        assert_eq!(
            eval(Some(&same), Some(&ts(10)), None, None),
            Precondition::Proceed
        );
        assert_eq!(eval(None, Some(&ts(999)), None, None), Precondition::Failed);
        assert_eq!(
            eval(None, Some(&ts(1000)), None, None),
            Precondition::Proceed
        );
        assert_eq!(
            eval(None, None, Some(&same), None),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, Some(&ETagCondition::Any), None),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, Some(&other), Some(&ts(2000))),
            Precondition::Proceed
        );
        assert_eq!(
            eval(None, None, None, Some(&ts(1000))),
            Precondition::NotModified
        );
        assert_eq!(
            eval(None, None, None, Some(&ts(999))),
            Precondition::Proceed
        );
    }
}
