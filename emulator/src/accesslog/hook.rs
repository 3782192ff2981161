//! The dispatch hook: [`begin`] notes what the request says before it is routed, [`finish`]
//! adds what the response says and counts the body as it is sent; the record is queued when
//! the last byte went out (or the caller went away).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use s3s::{Body, HttpResponse};

use super::record::{self, Record};
use super::{AccessLog, Entry, Target};
use crate::config::REGION;
use crate::server::Shared;

/// A request to a logging bucket, waiting for its response.
pub(crate) struct Pending {
    log: Arc<AccessLog>,
    target: Target,
    record: Record,
    started: Instant,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The access key and how the request was signed (`SigV4`/`SigV2`, `AuthHeader`/`QueryString`).
fn auth(
    headers: &HeaderMap,
    query: &[(String, String)],
) -> (Option<String>, Option<&'static str>, Option<&'static str>) {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if let Some(a) = header(headers, "authorization") {
        if let Some(rest) = a.strip_prefix("AWS4-HMAC-SHA256 ") {
            let key = rest
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').next())
                .map(str::to_owned);
            return (key, Some("SigV4"), Some("AuthHeader"));
        }
        if let Some(rest) = a.strip_prefix("AWS ") {
            let key = rest.split(':').next().map(str::to_owned);
            return (key, Some("SigV2"), Some("AuthHeader"));
        }
    }
    if let Some(c) = param("X-Amz-Credential") {
        let key = c.split('/').next().map(str::to_owned);
        return (key, Some("SigV4"), Some("QueryString"));
    }
    if let Some(key) = param("AWSAccessKeyId") {
        return (Some(key), Some("SigV2"), Some("QueryString"));
    }
    (None, None, None)
}

/// Starts a record if the request is for a bucket that logs. `None` costs one map lookup.
pub(crate) fn begin<B>(shared: &Shared, req: &http::Request<B>) -> Option<Pending> {
    let log = shared.access_log.clone()?;
    let path = req.uri().path().strip_prefix('/').unwrap_or_default();
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    if first.is_empty() {
        return None;
    }
    let first = percent_encoding::percent_decode_str(first)
        .decode_utf8_lossy()
        .into_owned();
    let config = &shared.config;
    let (bucket, access_point_arn) = if let Some(o) = config.olap(&first) {
        let bucket = config.access_point_bucket(&o.supporting_access_point)?;
        let arn = format!(
            "arn:aws:s3-object-lambda:{REGION}:{}:accesspoint/{}",
            log.account, o.name
        );
        (bucket.to_owned(), Some(arn))
    } else if let Some(bucket) = config.access_point_bucket(&first) {
        let arn = format!("arn:aws:s3:{REGION}:{}:accesspoint/{first}", log.account);
        (bucket.to_owned(), Some(arn))
    } else if log.access_points_only {
        return None;
    } else {
        (first, None)
    };
    let target = log.target(&bucket)?;
    // All parameters, the signature's included (event::query_pairs drops those).
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers = req.headers();
    let (access_key, signature_version, auth_type) = auth(headers, &query);
    let requester = access_key
        .as_deref()
        .and_then(|k| config.credential(k))
        .map(|c| format!("arn:aws:iam::{}:user/{}", c.account_id, c.user_name));
    let peer = req.extensions().get::<crate::authz::Peer>().copied();
    let session = req.extensions().get::<crate::accept::TlsSession>().copied();
    let copy = headers.contains_key("x-amz-copy-source");
    let object_size = (*req.method() == http::Method::PUT && !copy)
        .then(|| {
            header(headers, "x-amz-decoded-content-length")
                .or_else(|| header(headers, "content-length"))
        })
        .flatten()
        .and_then(|v| v.parse().ok());
    let record = Record {
        bucket_owner: crate::config::DEFAULT_CANONICAL_USER_ID.to_owned(),
        bucket,
        time: record::format_time(time::OffsetDateTime::now_utc()),
        remote_ip: peer.map(|p| p.ip.to_string()),
        requester,
        operation: record::operation(req.method(), !rest.is_empty(), &query, copy),
        key: (!rest.is_empty()).then(|| rest.to_owned()),
        request_uri: record::request_uri(req.method(), req.uri(), req.version()),
        object_size,
        referer: header(headers, "referer"),
        user_agent: header(headers, "user-agent"),
        version_id: query
            .iter()
            .find(|(k, _)| k == "versionId")
            .map(|(_, v)| v.clone()),
        signature_version,
        auth_type,
        host_header: header(headers, "host"),
        cipher_suite: session.map(|s| s.cipher.to_owned()),
        tls_version: session.map(|s| s.version.to_owned()),
        access_point_arn,
        ..Record::default()
    };
    Some(Pending {
        log,
        target,
        record,
        started: Instant::now(),
    })
}

/// Completes the record with the response; the body is wrapped to count what is sent.
pub(crate) fn finish(pending: Option<Pending>, mut resp: HttpResponse) -> HttpResponse {
    let Some(mut p) = pending else {
        return resp;
    };
    let r = &mut p.record;
    r.status = resp.status().as_u16();
    r.turn_around_ms = millis(p.started);
    let headers = resp.headers_mut();
    r.request_id = match header(headers, "x-amz-request-id") {
        Some(id) => id,
        None => {
            let id = crate::event::random_id(16).to_ascii_uppercase();
            if let Ok(v) = http::HeaderValue::from_str(&id) {
                headers.insert("x-amz-request-id", v);
            }
            id
        }
    };
    r.host_id = header(headers, "x-amz-id-2").unwrap_or_else(|| crate::event::random_id(32));
    if let Some(v) = header(headers, "x-amz-version-id") {
        r.version_id = Some(v);
    }
    if r.status < 300 && r.object_size.is_none() {
        // The whole object's size: a 206's Content-Range total, else the Content-Length.
        r.object_size = header(headers, "content-range")
            .and_then(|c| c.rsplit('/').next().and_then(|t| t.parse().ok()))
            .or_else(|| {
                (r.operation.ends_with(".OBJECT"))
                    .then(|| header(headers, "content-length").and_then(|v| v.parse().ok()))
                    .flatten()
            });
    }
    let head = r.operation.starts_with("REST.HEAD.");
    if let Some(bytes) = resp.body().bytes() {
        // Buffered (XML answers, errors): known now. A HEAD's error body is never sent (hyper
        // drops it), but S3 logs its code all the same.
        if r.status >= 400 {
            r.error_code = record::error_code(&bytes)
                .or_else(|| head.then(|| record::head_error_code(r.status, r.key.is_some()))?);
        }
        r.bytes_sent = if head { 0 } else { bytes.len() as u64 };
        r.total_time_ms = r.turn_around_ms;
        p.submit();
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let counted = Counted {
        inner: body,
        pending: Some(p),
    };
    http::Response::from_parts(parts, Body::http_body(counted))
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Pending {
    fn submit(self) {
        let line = self.record.line();
        self.log.submit(Entry {
            target: self.target,
            line,
        });
    }
}

/// A response body that counts its bytes and queues the record when it ends or is dropped.
struct Counted {
    inner: Body,
    pending: Option<Pending>,
}

impl Counted {
    fn done(&mut self) {
        if let Some(mut p) = self.pending.take() {
            p.record.total_time_ms = millis(p.started);
            p.submit();
        }
    }
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(d), Some(p)) = (frame.data_ref(), this.pending.as_mut()) {
                    p.record.bytes_sent += d.len() as u64;
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.done(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.done();
    }
}
