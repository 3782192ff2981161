//! The seam between the emulator and a function running in-process.

use futures::future::BoxFuture;

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
}
