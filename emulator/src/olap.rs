//! Requests to an Object Lambda Access Point: an s3s custom route, so s3s has already
//! checked the SigV4 signature (header or presigned) when [`OlapRoute::call`] runs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result, s3_error};
use serde_json::Value;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

use crate::config::{Action, Credential, Feature, OlapConfig, REGION};
use crate::errors::{self, error_of, status_of};
use crate::event::{self, EventInput};
use crate::function::{DirectAnswer, Function, InvokeError};
use crate::server::Shared;
use crate::wgor::Delivery;

/// The custom route that claims every path whose first segment is an OLAP name or alias.
pub(crate) struct OlapRoute {
    pub(crate) shared: Arc<Shared>,
}

/// Splits `/<first>/<rest>` into the decoded first segment and the raw rest (with its `/`).
fn split_path(path: &str) -> (String, &str) {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (first, rest) = match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, ""),
    };
    let decoded = percent_encoding::percent_decode_str(first)
        .decode_utf8_lossy()
        .into_owned();
    (decoded, rest)
}

/// A GET/HEAD with a Range header S3 ignores (malformed, reversed, several ranges).
fn ignored_range(method: &http::Method, headers: &HeaderMap) -> bool {
    matches!(*method, http::Method::GET | http::Method::HEAD)
        && headers
            .get(http::header::RANGE)
            .is_some_and(|v| !v.to_str().is_ok_and(crate::precheck::range_is_usable))
}

/// What a request to an OLAP asks for; `None` means "not an action OL transforms".
fn classify(method: &http::Method, key: &str, query: &[(String, String)]) -> Option<Action> {
    const OBJECT_PARAMS: &[&str] = &["versionid", "partnumber", "range", "x-id"];
    const LIST_PARAMS: &[&str] = &[
        "list-type",
        "prefix",
        "delimiter",
        "marker",
        "max-keys",
        "encoding-type",
        "continuation-token",
        "fetch-owner",
        "start-after",
        "x-id",
    ];
    let only = |allowed: &[&str]| {
        query.iter().all(|(k, _)| {
            let k = k.to_ascii_lowercase();
            allowed.contains(&k.as_str()) || k.starts_with("response-")
        })
    };
    let is_v2 = query.iter().any(|(k, v)| k == "list-type" && v == "2");
    match (method.as_str(), key.is_empty()) {
        ("GET", false) if only(OBJECT_PARAMS) => Some(Action::GetObject),
        ("HEAD", false) if only(OBJECT_PARAMS) => Some(Action::HeadObject),
        ("GET", true) if only(LIST_PARAMS) && is_v2 => Some(Action::ListObjectsV2),
        ("GET", true) if only(LIST_PARAMS) => Some(Action::ListObjects),
        _ => None,
    }
}

/// Range / partNumber without the matching AllowedFeature → 501, as AWS answers.
fn check_features(
    olap: &OlapConfig,
    action: Action,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> S3Result<()> {
    let has_range = headers.contains_key(http::header::RANGE)
        || query.iter().any(|(k, _)| k.eq_ignore_ascii_case("range"));
    let has_part = query
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("partnumber"));
    let (range_feature, part_feature) = match action {
        Action::GetObject => (Feature::GetObjectRange, Feature::GetObjectPartNumber),
        Action::HeadObject => (Feature::HeadObjectRange, Feature::HeadObjectPartNumber),
        Action::ListObjects | Action::ListObjectsV2 => return Ok(()),
    };
    if has_range && !olap.allows(range_feature) {
        return Err(errors::error(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented: Range is not allowed on this Object Lambda Access Point.",
        ));
    }
    if has_part && !olap.allows(part_feature) {
        return Err(errors::error(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented: partNumber is not allowed on this Object Lambda Access Point.",
        ));
    }
    Ok(())
}

fn has_sse_c_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|k| k.as_str().contains("server-side-encryption-customer"))
}

#[async_trait::async_trait]
impl S3Route for OlapRoute {
    fn is_match(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        _ext: &mut http::Extensions,
    ) -> bool {
        let (first, _) = split_path(uri.path());
        self.shared.config.olap(&first).is_some() || ignored_range(method, headers)
    }

    async fn call(&self, mut req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let (first, rest) = split_path(req.uri.path());
        if self.shared.config.olap(&first).is_none() {
            // A plain GET/HEAD whose Range S3 would ignore (s3s would refuse it with 400):
            // served whole, once s3s has checked the signature that covers the header.
            req.headers.remove(http::header::RANGE);
            let rest = rest.to_owned();
            return self.shared.backend.passthrough(req, &first, &rest).await;
        }
        let request_id = event::random_id(16).to_ascii_uppercase();
        let mut resp = match self.handle(req, &request_id).await {
            Ok(r) => r,
            Err(mut e) => {
                e.set_request_id(&request_id);
                return Err(e);
            }
        };
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers.insert("x-amz-request-id", v);
        }
        Ok(resp)
    }
}

impl OlapRoute {
    async fn handle(&self, req: S3Request<Body>, request_id: &str) -> S3Result<S3Response<Body>> {
        let shared = &self.shared;
        let (name, raw_rest) = split_path(req.uri.path());
        let raw_rest = raw_rest.to_owned();
        let raw_rest = raw_rest.as_str();
        let olap = shared
            .config
            .olap(&name)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let bucket = shared
            .config
            .access_point_bucket(&olap.supporting_access_point)
            .ok_or_else(|| s3_error!(NoSuchBucket))?
            .to_owned();
        let key =
            percent_encoding::percent_decode_str(raw_rest.strip_prefix('/').unwrap_or(raw_rest))
                .decode_utf8_lossy()
                .into_owned();
        let query = event::query_pairs(&req.uri);

        // S3 checks the expected owner against the account that owns the access point, before
        // anything else reaches the function.
        if let Some(expected) = req.headers.get("x-amz-expected-bucket-owner")
            && expected.as_bytes() != shared.config.account_id.as_bytes()
        {
            return Err(errors::error(403, "AccessDenied", "Access Denied"));
        }
        if has_sse_c_headers(&req.headers) {
            return Err(errors::error(
                400,
                "InvalidRequest",
                "SSE-C is not supported through an Object Lambda Access Point.",
            ));
        }
        let Some(action) = classify(&req.method, &key, &query) else {
            return shared.backend.passthrough(req, &bucket, raw_rest).await;
        };
        check_features(olap, action, &req.headers, &query)?;
        if !olap.routes(action) {
            return shared.backend.passthrough(req, &bucket, raw_rest).await;
        }
        if matches!(action, Action::GetObject | Action::HeadObject)
            && shared.backend.stored_with_sse_c(&bucket, &key)
        {
            return Err(errors::error(
                400,
                "InvalidRequest",
                "The object was stored using SSE-C, which S3 Object Lambda does not support.",
            ));
        }
        let access_key = req
            .credentials
            .as_ref()
            .map(|c| c.access_key.clone())
            .unwrap_or_default();
        let caller = shared
            .config
            .credential(&access_key)
            .ok_or_else(|| s3_error!(AccessDenied))?;
        let op_name = match action {
            Action::GetObject => "GetObject",
            Action::HeadObject => "HeadObject",
            Action::ListObjects => "ListObjects",
            Action::ListObjectsV2 => "ListObjectsV2",
        };
        shared.policies.check_olap(
            &access_key,
            req.extensions.get::<crate::authz::Peer>().copied(),
            &olap.name,
            &olap.supporting_access_point,
            &crate::authz::Operation {
                action: crate::authz::iam_action(op_name),
                bucket: &bucket,
                key: &key,
                keys: crate::authz::condition_keys(op_name, &req.uri, &req.headers),
                grant: None,
            },
        )?;
        let function = shared
            .functions
            .get(&olap.function)
            .cloned()
            .ok_or_else(|| {
                errors::error(
                    404,
                    "LambdaNotFound",
                    format!("Function `{}` is not registered.", olap.function),
                )
            })?;

        let token = event::random_id(64);
        let route = shared.new_route(&token);
        let input = EventInput {
            config: &shared.config,
            olap,
            bucket: &bucket,
            action,
            key: &key,
            caller,
            uri: &req.uri,
            headers: &req.headers,
            endpoint: &shared.endpoint,
            request_id,
            output: (action == Action::GetObject).then_some((route.as_str(), token.as_str())),
        };
        let mut input_request = event::input_request(&input);
        if shared.backend.wants_grant() {
            // The function's fetch continues this request: policies see it as called via
            // this Object Lambda Access Point (see `authz`).
            let grant = shared.policies.grant_for(
                caller,
                &olap.supporting_access_point,
                &bucket,
                input_request.expires,
            );
            input_request
                .query
                .push((crate::authz::GRANT_PARAM.to_owned(), grant));
        }
        let input_s3_url = shared.backend.presign(&input_request).await?;
        let ev = event::build(&input, &input_s3_url);
        tracing::info!(olap = %olap.name, ?action, request_id, "invoking function");
        let invocation = Invocation::new(shared, olap, caller, function)?;
        match action {
            Action::GetObject => invocation.get(ev, &route, &token).await,
            Action::HeadObject => respond_head(&invocation.call(ev).await?),
            Action::ListObjects | Action::ListObjectsV2 => crate::listxml::respond_list(
                &invocation.call(ev).await?,
                action == Action::ListObjectsV2,
            ),
        }
    }
}

/// One call of a function, with Lambda's context and timeout.
struct Invocation<'a> {
    shared: &'a Shared,
    /// The function's name (metrics).
    name: String,
    function: Arc<dyn Function>,
    ctx: lambda_runtime::Context,
    timeout: Duration,
    /// A slot of the function's reserved concurrency, held until the function ends.
    permit: Option<OwnedSemaphorePermit>,
}

impl<'a> Invocation<'a> {
    fn new(
        shared: &'a Shared,
        olap: &OlapConfig,
        caller: &Credential,
        function: Arc<dyn Function>,
    ) -> S3Result<Self> {
        // Lambda throttles before the function runs; S3 answers the caller 503 SlowDown (and
        // SDK clients retry it with backoff).
        let permit = match shared.concurrency.get(&olap.function) {
            Some(slots) => Some(slots.clone().try_acquire_owned().map_err(|_| {
                tracing::info!(function = %olap.function, "throttled: reserved concurrency reached");
                errors::error(503, "SlowDown", "Please reduce your request rate.")
            })?),
            None => None,
        };
        let timeout = Duration::from_millis(shared.config.function_timeout_ms);
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let mut ctx = lambda_runtime::Context::default();
        ctx.request_id = uuid::Uuid::new_v4().to_string();
        ctx.deadline = u64::try_from(now_ms)
            .unwrap_or(u64::MAX)
            .saturating_add(shared.config.function_timeout_ms);
        ctx.invoked_function_arn = format!(
            "arn:aws:lambda:{REGION}:{}:function:{}",
            caller.account_id, olap.function
        );
        Ok(Self {
            shared,
            name: olap.function.clone(),
            function,
            ctx,
            timeout,
            permit,
        })
    }

    /// Starts the function. Like Lambda, it is stopped at its deadline whether or not the
    /// caller still waits; `None` means it was stopped.
    fn spawn(
        self,
        event: Value,
        answer: Option<DirectAnswer>,
    ) -> JoinHandle<Option<Result<Value, lambda_runtime::Error>>> {
        let work = match answer {
            Some(answer) => self.function.invoke_get(event, self.ctx, answer),
            None => self.function.invoke(event, self.ctx),
        };
        let timeout = self.timeout;
        let permit = self.permit;
        let name = self.name;
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let ended = tokio::time::timeout(timeout, work).await.ok();
            metrics::histogram!("object_lambda_invoke_seconds", "function" => name)
                .record(started.elapsed().as_secs_f64());
            drop(permit);
            ended
        })
    }

    /// HEAD and LIST: the return value is the answer. If the caller goes away first, the
    /// invocation is stopped.
    async fn call(self, event: Value) -> S3Result<Value> {
        let mut task = AbortOnDrop(Some(self.spawn(event, None)));
        let r = match task.0.as_mut() {
            Some(t) => t.await,
            None => return Err(errors::timeout()),
        };
        task.0 = None;
        finished(r)
    }

    /// GET: wait for the WGOR; the return value only matters if it comes first.
    async fn get(self, event: Value, route: &str, token: &str) -> S3Result<S3Response<Body>> {
        let tokens = &self.shared.tokens;
        let mut delivery = tokens.register(route, token);
        // However this ends (even if the caller goes away), a late WGOR gets 400.
        let _expire = ExpireOnDrop { tokens, token };
        let answer = DirectAnswer {
            tokens: tokens.clone(),
            route: route.to_owned(),
            token: token.to_owned(),
        };
        // A caller that goes away before the response starts stops the invocation; once the
        // WGOR streams, the function runs on (its WGOR fails if the caller leaves later).
        let mut guard = AbortOnDrop(Some(self.spawn(event, Some(answer))));
        let Some(task) = guard.0.as_mut() else {
            return Err(errors::timeout());
        };
        let returned = tokio::select! {
            biased;
            d = &mut delivery => {
                guard.0 = None;
                return d.map_or_else(|_| Err(errors::response_not_received()), respond_delivery);
            }
            r = task => r,
        };
        guard.0 = None;
        // A WGOR completes before its function can return, so look once more.
        match delivery.try_recv() {
            Ok(d) => respond_delivery(d),
            Err(_) => Err(match finished(returned) {
                Ok(_) => errors::response_not_received(),
                Err(e) => e,
            }),
        }
    }
}

type Finished = Result<Option<Result<Value, lambda_runtime::Error>>, tokio::task::JoinError>;

/// Maps how the function ended to its value or Object Lambda's error.
fn finished(r: Finished) -> S3Result<Value> {
    match r {
        Ok(Some(Ok(v))) => Ok(v),
        Ok(Some(Err(e))) => Err(match e.downcast_ref::<InvokeError>() {
            Some(i) => errors::error(i.status, &i.code, i.message.clone()),
            None => errors::runtime_error(&e.to_string()),
        }),
        Ok(None) => Err(errors::timeout()),
        Err(join) => Err(errors::runtime_error(&format!(
            "the function panicked: {join}"
        ))),
    }
}

/// Stops a spawned invocation when the request that waits for it is dropped (the caller
/// went away).
struct AbortOnDrop<T>(Option<JoinHandle<T>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.abort();
        }
    }
}

struct ExpireOnDrop<'a> {
    tokens: &'a crate::wgor::Tokens,
    token: &'a str,
}

impl Drop for ExpireOnDrop<'_> {
    fn drop(&mut self) {
        self.tokens.expire(self.token);
    }
}

fn respond_delivery(d: Delivery) -> S3Result<S3Response<Body>> {
    match d {
        Delivery::Response {
            status,
            headers,
            body,
        } => {
            let mut resp = S3Response::new(body);
            resp.status = Some(status);
            resp.headers = headers;
            Ok(resp)
        }
        Delivery::Error {
            status,
            code: Some(code),
            message,
            ..
        } => Err(errors::error(
            status.as_u16(),
            &code,
            message.unwrap_or_default(),
        )),
        Delivery::Error {
            status,
            code: None,
            headers,
            ..
        } => {
            let mut resp = S3Response::new(Body::empty());
            resp.status = Some(status);
            resp.headers = headers;
            Ok(resp)
        }
        Delivery::Invalid(msg) => Err(errors::invalid_response(&msg)),
    }
}

fn respond_head(v: &Value) -> S3Result<S3Response<Body>> {
    let status = status_of(v)?;
    if let Some(e) = error_of(v, status) {
        return Err(e);
    }
    let mut headers = HeaderMap::new();
    if let Some(map) = v.get("headers").and_then(Value::as_object) {
        for (k, val) in map {
            let text = match val {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(errors::invalid_response(&format!(
                        "header `{k}` is not a scalar"
                    )));
                }
            };
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| errors::invalid_response(&format!("invalid header name `{k}`")))?;
            let value = HeaderValue::from_str(&text).map_err(|_| {
                errors::invalid_response(&format!("invalid value for header `{k}`"))
            })?;
            headers.insert(name, value);
        }
    }
    let mut resp = S3Response::new(Body::empty());
    resp.status = Some(status);
    resp.headers = headers;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn classifies_requests() {
        let get = http::Method::GET;
        assert_eq!(classify(&get, "k", &[]), Some(Action::GetObject));
        assert_eq!(
            classify(&get, "k", &q(&[("partNumber", "1")])),
            Some(Action::GetObject)
        );
        assert_eq!(classify(&get, "k", &q(&[("tagging", "")])), None);
        assert_eq!(
            classify(&http::Method::HEAD, "k", &[]),
            Some(Action::HeadObject)
        );
        assert_eq!(
            classify(&get, "", &q(&[("list-type", "2")])),
            Some(Action::ListObjectsV2)
        );
        assert_eq!(
            classify(&get, "", &q(&[("prefix", "a")])),
            Some(Action::ListObjects)
        );
        assert_eq!(classify(&get, "", &q(&[("location", "")])), None);
        assert_eq!(classify(&http::Method::PUT, "k", &[]), None);
    }

    #[test]
    fn splits_paths() {
        assert_eq!(split_path("/olap/a/b%20c"), ("olap".to_owned(), "/a/b%20c"));
        assert_eq!(split_path("/olap"), ("olap".to_owned(), ""));
    }

    #[test]
    fn feature_checks() {
        let mut olap = OlapConfig::default_for("f");
        olap.allowed_features = vec![Feature::GetObjectRange];
        let mut h = HeaderMap::new();
        assert!(check_features(&olap, Action::GetObject, &h, &q(&[("partNumber", "1")])).is_err());
        assert!(
            check_features(&olap, Action::GetObject, &h, &q(&[("Range", "bytes=0-1")])).is_ok()
        );
        h.insert("range", "bytes=0-1".parse().unwrap());
        assert!(check_features(&olap, Action::GetObject, &h, &[]).is_ok());
        let e = check_features(&olap, Action::HeadObject, &h, &[]).unwrap_err();
        assert_eq!(e.status_code(), Some(StatusCode::NOT_IMPLEMENTED));
    }

    #[test]
    fn head_return_value() {
        let v = serde_json::json!({"statusCode": 200, "headers": {"Content-Length": 12, "Content-Type": "text/plain"}});
        let r = respond_head(&v).unwrap();
        assert_eq!(r.headers["content-length"], "12");
        let e = respond_head(&serde_json::json!({"statusCode": 403, "errorCode": "AccessDenied"}))
            .unwrap_err();
        assert_eq!(e.status_code(), Some(StatusCode::FORBIDDEN));
        assert!(respond_head(&serde_json::json!({"headers": {}})).is_err());
    }
}
