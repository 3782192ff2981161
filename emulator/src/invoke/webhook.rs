//! An HTTP webhook, as MinIO's Object Lambda invokes one.
//!
//! The contract (MinIO `RELEASE.2025-07-18T21-56-31Z` and later; the README has the table):
//! the event JSON is POSTed to the URL (`Content-Type: application/json`, and
//! `Authorization: Bearer <token>` when a token is configured). For GetObject the response body
//! is the transformed object; its status is the caller's unless `x-amz-fwd-status` overrides
//! it; `x-amz-fwd-header-<Name>` become the caller's headers; with status ≥ 400
//! `x-amz-fwd-error-code` / `-message` become the S3 error. `x-amz-request-route` and
//! `x-amz-request-token` must echo the event's `outputRoute` / `outputToken`.
//!
//! Our extension: HEAD and LIST events (which MinIO never sends) are POSTed the same way, and
//! the webhook answers 200 with the JSON value a Lambda function would return.

use std::time::Duration;

use futures::future::BoxFuture;
use http::HeaderMap;
use serde_json::Value;

use crate::function::{DirectAnswer, Function, InvokeError};

/// A function behind an HTTP webhook.
#[derive(Debug, Clone)]
pub struct WebhookFunction {
    url: String,
    auth_token: Option<String>,
    client: reqwest::Client,
}

impl WebhookFunction {
    /// A webhook at `url`. Connecting may take at most 5 s (as MinIO's dial timeout).
    pub fn new(url: impl Into<String>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            url: url.into(),
            auth_token: None,
            client,
        })
    }

    /// Sends `Authorization: Bearer <token>` (a value with a space is sent as-is, as MinIO does).
    #[must_use]
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.auth_token = Some(token.into());
        self
    }

    fn post(&self, event: &Value) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .post(&self.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(event.to_string());
        if let Some(token) = &self.auth_token {
            let value = if token.contains(' ') {
                token.clone()
            } else {
                format!("Bearer {token}")
            };
            req = req.header(http::header::AUTHORIZATION, value);
        }
        req
    }
}

fn unreachable(e: &reqwest::Error) -> lambda_runtime::Error {
    tracing::warn!(error = %e, "webhook unreachable");
    Box::new(InvokeError::new(
        500,
        "LambdaRuntimeError",
        "The function's webhook could not be reached.",
    ))
}

fn context_str<'a>(event: &'a Value, field: &str) -> &'a str {
    event
        .get("getObjectContext")
        .and_then(|c| c.get(field))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl Function for WebhookFunction {
    fn invoke(
        &self,
        event: Value,
        _ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let req = self.post(&event);
        Box::pin(async move {
            let resp = req.send().await.map_err(|e| unreachable(&e))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| unreachable(&e))?;
            if !status.is_success() {
                return Err(format!("the webhook answered {status}").into());
            }
            Ok(serde_json::from_slice(&body)?)
        })
    }

    fn invoke_get(
        &self,
        event: Value,
        _ctx: lambda_runtime::Context,
        answer: DirectAnswer,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let route = context_str(&event, "outputRoute").to_owned();
        let token = context_str(&event, "outputToken").to_owned();
        let req = self.post(&event);
        Box::pin(async move {
            let resp = req.send().await.map_err(|e| unreachable(&e))?;
            let status = resp.status();
            let mut headers: HeaderMap = resp.headers().clone();
            let echoed = |name: &str, want: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == want)
            };
            if !echoed("x-amz-request-route", &route) || !echoed("x-amz-request-token", &token) {
                drop(answer);
                return Err(Box::new(InvokeError::new(
                    400,
                    "LambdaInvalidResponse",
                    "The webhook's answer lacks the event's x-amz-request-route / x-amz-request-token.",
                )) as lambda_runtime::Error);
            }
            if !headers.contains_key("x-amz-fwd-status") {
                headers.insert("x-amz-fwd-status", status.as_u16().into());
            }
            // Hop-by-hop and length headers of the webhook's response are not the object's.
            for h in [
                http::header::CONNECTION,
                http::header::TRANSFER_ENCODING,
                http::header::CONTENT_TYPE,
            ] {
                headers.remove(h);
            }
            let body = http::Response::<reqwest::Body>::from(resp).into_body();
            answer.deliver(headers, body).await?;
            Ok(serde_json::json!({ "statusCode": status.as_u16() }))
        })
    }
}
