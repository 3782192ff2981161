//! The functions built into the binary: object-lambda [`Handler`]s run in-process.

use std::sync::Arc;

use futures::future::BoxFuture;
use object_lambda::{Handler, Transform};
use object_lambda_emulator::{Credential, EmulatorBuilder, Function, REGION};
use serde_json::Value;
use tokio::sync::OnceCell;

/// Names of the built-in functions (one default Object Lambda Access Point each).
pub(crate) const NAMES: &[&str] = &["passthrough"];

/// Registers every built-in function; WGOR is signed with `credential`.
pub(crate) fn register(builder: EmulatorBuilder, credential: &Credential) -> EmulatorBuilder {
    builder.function(
        "passthrough",
        Arc::new(Builtin::new(passthrough::Passthrough, credential)),
    )
}

/// A transform's [`Handler`], built on first use: its endpoint is this emulator's, taken from
/// the event's presigned URL (the port is only known once the listener is bound).
struct Builtin<T: Transform + Clone> {
    transform: T,
    credential: Credential,
    handler: Arc<OnceCell<Handler<T>>>,
}

impl<T: Transform + Clone> Builtin<T> {
    fn new(transform: T, credential: &Credential) -> Self {
        Self {
            transform,
            credential: credential.clone(),
            handler: Arc::new(OnceCell::new()),
        }
    }
}

/// `http://host:port` of the first `inputS3Url` in the event.
fn endpoint_of(event: &Value) -> Option<String> {
    [
        "getObjectContext",
        "headObjectContext",
        "listObjectsContext",
        "listObjectsV2Context",
    ]
    .iter()
    .find_map(|c| event.get(*c)?.get("inputS3Url")?.as_str())
    .and_then(|u| url::Url::parse(u).ok())
    .map(|u| u.origin().ascii_serialization())
}

impl<T: Transform + Clone> Function for Builtin<T> {
    fn invoke(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let (transform, credential, cell) = (
            self.transform.clone(),
            self.credential.clone(),
            self.handler.clone(),
        );
        Box::pin(async move {
            let endpoint = endpoint_of(&event).ok_or("the event has no inputS3Url")?;
            let handler = cell
                .get_or_try_init(|| {
                    Handler::builder(transform)
                        .endpoint_url(endpoint)
                        .credentials(credential.access_key_id, credential.secret_access_key)
                        .region(REGION)
                        .build()
                })
                .await?;
            handler.handle(event, ctx).await
        })
    }
}
