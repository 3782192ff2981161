//! Lambda's Invoke API for the emulator's functions:
//! `POST /2015-03-31/functions/{name or ARN}/invocations`, signed with SigV4 for the service
//! `lambda` by a configured credential, `RequestResponse` only. So `aws lambda invoke
//! --endpoint-url`, and a gateway's Lambda invoker, can run the emulator's functions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use http_body_util::BodyExt;
use s3s::{Body, HttpResponse};
use serde_json::{Value, json};

use crate::config::REGION;
use crate::server::Shared;
use crate::sigv4;

const PREFIX: &str = "/2015-03-31/functions/";
const SUFFIX: &str = "/invocations";
/// Lambda's payload limit for synchronous calls.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// Whether a request is an Invoke call.
pub(crate) fn is_invoke<B>(req: &http::Request<B>) -> bool {
    req.method() == http::Method::POST
        && req.uri().path().starts_with(PREFIX)
        && req.uri().path().ends_with(SUFFIX)
}

fn error(status: StatusCode, kind: &str, message: &str) -> HttpResponse {
    let body = json!({"Type": "User", "message": message, "__type": kind}).to_string();
    let mut resp = HttpResponse::new(Body::from(body));
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(kind) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `my-function`, or the name in `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
fn function_name(raw: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    match decoded.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => (*name).to_owned(),
        _ => decoded,
    }
}

/// Handles one Invoke call.
pub(crate) async fn handle(
    shared: &Shared,
    req: http::Request<hyper::body::Incoming>,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_PAYLOAD)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLargeException",
                "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
            );
        }
    };
    if let Err(e) = sigv4::verify_header_auth_with_body(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        "lambda",
        &shared.config.credentials,
        SystemTime::now(),
    ) {
        return error(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            &e.to_string(),
        );
    }
    let path = parts.uri.path();
    let raw = &path[PREFIX.len()..path.len() - SUFFIX.len()];
    let name = function_name(raw);
    let Some(function) = shared.functions.get(&name).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("Function not found: {name}"),
        );
    };
    let invocation_type = parts
        .headers
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse");
    if invocation_type != "RequestResponse" {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            "The emulator only serves RequestResponse invocations.",
        );
    }
    let event: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                "Could not parse request body into json",
            );
        }
    };
    let permit = match shared.concurrency.get(&name) {
        Some(slots) => match slots.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                return error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequestsException",
                    "Rate Exceeded.",
                );
            }
        },
        None => None,
    };
    let timeout_ms = shared.config.function_timeout_ms;
    let mut ctx = lambda_runtime::Context::default();
    ctx.request_id = uuid::Uuid::new_v4().to_string();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    ctx.deadline = u64::try_from(now_ms)
        .unwrap_or(u64::MAX)
        .saturating_add(timeout_ms);
    ctx.invoked_function_arn = format!(
        "arn:aws:lambda:{REGION}:{}:function:{name}",
        shared.config.account_id
    );
    let request_id = ctx.request_id.clone();
    let outcome = tokio::time::timeout(
        Duration::from_millis(timeout_ms),
        function.invoke(event, ctx),
    )
    .await;
    drop(permit);
    let (payload, function_error) = match outcome {
        Ok(Ok(v)) => (v, None),
        Ok(Err(e)) => (
            json!({"errorMessage": e.to_string(), "errorType": "Error"}),
            Some("Unhandled"),
        ),
        Err(_) => (
            json!({"errorMessage": format!("{request_id} Task timed out after {:.2} seconds", timeout_ms as f64 / 1000.0), "errorType": "Sandbox.Timedout"}),
            Some("Unhandled"),
        ),
    };
    let mut resp = HttpResponse::new(Body::from(Bytes::from(payload.to_string())));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-amz-executed-version",
        HeaderValue::from_static("$LATEST"),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(kind) = function_error {
        h.insert("x-amz-function-error", HeaderValue::from_static(kind));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_arns() {
        assert_eq!(function_name("passthrough"), "passthrough");
        assert_eq!(
            function_name("arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Apii-redactor%3Alive"),
            "pii-redactor"
        );
    }
}
