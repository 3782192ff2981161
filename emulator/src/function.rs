//! The invoker seam: how a function runs. Implementations: [`crate::InProcess`] (a transform in
//! this process), [`crate::ProcessFunction`] (a binary behind the Lambda Runtime API),
//! [`crate::LambdaFunction`] (AWS Lambda's Invoke API) and [`crate::WebhookFunction`] (an HTTP
//! webhook, MinIO's Object Lambda contract).

use futures::future::BoxFuture;

pub use crate::wgor::DirectAnswer;

/// A function the emulator invokes for an Object Lambda Access Point, as Lambda would.
///
/// `invoke` receives the event (camelCase JSON, exactly as AWS sends it) and a
/// [`lambda_runtime::Context`] with `request_id`, `deadline` (epoch ms) and
/// `invoked_function_arn` set. For GET the function does its own HTTP: it fetches
/// `getObjectContext.inputS3Url` and answers with `WriteGetObjectResponse` to the emulator's
/// endpoint; its return value is ignored. For HEAD and LIST the return value is the answer.
pub trait Function: Send + Sync + 'static {
    /// Runs one invocation.
    fn invoke(
        &self,
        event: serde_json::Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<serde_json::Value, lambda_runtime::Error>>;

    /// Runs one GetObject invocation. A function that answers with the object itself rather
    /// than through `WriteGetObjectResponse` (a webhook) hands it to `answer`; the default runs
    /// [`Function::invoke`] and leaves `answer` unused.
    fn invoke_get(
        &self,
        event: serde_json::Value,
        ctx: lambda_runtime::Context,
        answer: DirectAnswer,
    ) -> BoxFuture<'static, Result<serde_json::Value, lambda_runtime::Error>> {
        drop(answer);
        self.invoke(event, ctx)
    }

    /// The emulator serves HTTPS with a certificate its functions must trust: `path` is the
    /// PEM bundle to verify it with (`AWS_CA_BUNDLE`). Called once, before the first
    /// invocation. The default ignores it (a function that does not talk to the endpoint,
    /// or one that runs elsewhere).
    fn use_ca_bundle(&self, path: &std::path::Path) {
        let _ = path;
    }

    /// The emulator that runs this function can take its requests in-process
    /// ([`object_lambda::LocalEndpoint`]). Called once, before the first invocation. The
    /// default ignores it (a function in another process).
    fn use_local_endpoint(&self, endpoint: std::sync::Arc<dyn object_lambda::LocalEndpoint>) {
        let _ = endpoint;
    }
}

/// An invocation that failed before the function ran, with the S3 error the caller gets
/// (e.g. 404 `LambdaNotFound`, 503 `SlowDown` when Lambda throttles). Return it (boxed) from
/// [`Function::invoke`]; any other error is a 500 `LambdaRuntimeError`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct InvokeError {
    /// HTTP status for the caller.
    pub status: u16,
    /// S3 error code.
    pub code: String,
    /// Message for the caller.
    pub message: String,
}

impl InvokeError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }
}
