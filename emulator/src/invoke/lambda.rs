//! AWS Lambda's Invoke API (`aws-sdk-lambda`, `RequestResponse`): the function runs on Lambda
//! (or anything that serves the Invoke API), reads `inputS3Url` from the store itself and sends
//! its WriteGetObjectResponse to the gateway's `public_url`; HEAD and LIST read the return value.

use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::invoke::InvokeError as SdkInvokeError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::function::{Function, InvokeError};

/// A function invoked through Lambda's Invoke API.
#[derive(Debug, Clone)]
pub struct LambdaFunction {
    client: aws_sdk_lambda::Client,
    function: String,
}

impl LambdaFunction {
    /// `function` is a name or ARN. The region comes from the ARN, else `region`; credentials
    /// from AWS's default chain. `endpoint`: another Invoke API server (tests, `cargo lambda
    /// watch`, the emulator).
    pub async fn new(function: impl Into<String>, region: &str, endpoint: Option<&str>) -> Self {
        let function = function.into();
        let region = function
            .strip_prefix("arn:")
            .and_then(|rest| rest.split(':').nth(2))
            .filter(|r| !r.is_empty())
            .unwrap_or(region)
            .to_owned();
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_lambda::config::Region::new(region))
            .load()
            .await;
        let mut builder = aws_sdk_lambda::config::Builder::from(&shared);
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Self {
            client: aws_sdk_lambda::Client::from_conf(builder.build()),
            function,
        }
    }
}

fn map_error(e: &SdkError<SdkInvokeError>) -> lambda_runtime::Error {
    let invoke_error = match e {
        SdkError::ServiceError(s) => match s.err() {
            SdkInvokeError::ResourceNotFoundException(_) => {
                InvokeError::new(404, "LambdaNotFound", "The Lambda function was not found.")
            }
            SdkInvokeError::TooManyRequestsException(_) => {
                InvokeError::new(503, "SlowDown", "Please reduce your request rate.")
            }
            SdkInvokeError::RequestTooLargeException(_) => InvokeError::new(
                400,
                "LambdaPayloadTooLarge",
                "The Lambda request was too large.",
            ),
            other => InvokeError::new(
                500,
                "LambdaRuntimeError",
                format!(
                    "Lambda refused the invocation: {}",
                    other.meta().code().unwrap_or("error")
                ),
            ),
        },
        _ => InvokeError::new(503, "ServiceUnavailable", "Lambda could not be reached."),
    };
    tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(e), "Invoke failed");
    Box::new(invoke_error)
}

impl Function for LambdaFunction {
    fn invoke(
        &self,
        event: Value,
        _ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let req = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(event.to_string()));
        Box::pin(async move {
            let out = req.send().await.map_err(|e| map_error(&e))?;
            let payload = out.payload().map(Blob::as_ref).unwrap_or_default();
            if let Some(kind) = out.function_error() {
                let message = serde_json::from_slice::<Value>(payload)
                    .ok()
                    .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Err(format!("{kind}: {message}").into());
            }
            if payload.is_empty() {
                return Ok(Value::Null);
            }
            Ok(serde_json::from_slice(payload)?)
        })
    }
}
