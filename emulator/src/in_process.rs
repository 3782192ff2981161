//! Running an `object-lambda` transform in-process, as Lambda would run its binary: the real
//! [`Handler`] fetches `inputS3Url` and answers with WriteGetObjectResponse. When the emulator
//! offers its in-process endpoint (`local_endpoint.rs`) both go to it without the wire; else
//! (or for another endpoint) over HTTP.

use std::sync::Arc;

use futures::future::BoxFuture;
use object_lambda::{Handler, Transform};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::{Credential, Function, REGION};

/// A transform's [`Handler`] as a [`Function`]. The handler is built on first use, against the
/// endpoint named in the event's presigned URL (the port is known only once the emulator
/// listens); WGOR is signed with `credential`, as a function signs with its execution role.
///
/// At most [`crate::DEFAULT_MAX_PROCESSES`] invocations of one function run at once (as with
/// function processes); the rest wait. That bounds the memory transforms hold in the
/// emulator's own process under load.
pub struct InProcess<T: Transform + Clone> {
    transform: T,
    credential: Credential,
    handler: Arc<OnceCell<Handler<T>>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// What the handler's clients verify the emulator's HTTPS certificate with
    /// ([`Function::use_ca_bundle`]); else `AWS_CA_BUNDLE` of this process, if set.
    ca_bundle: Arc<std::sync::OnceLock<std::path::PathBuf>>,
    /// The emulator's in-process endpoint ([`Function::use_local_endpoint`]).
    local: Arc<std::sync::OnceLock<Arc<dyn object_lambda::LocalEndpoint>>>,
}

impl<T: Transform + Clone> InProcess<T> {
    /// Wrap `transform`.
    pub fn new(transform: T, credential: &Credential) -> Arc<Self> {
        Arc::new(Self {
            transform,
            credential: credential.clone(),
            handler: Arc::new(OnceCell::new()),
            permits: Arc::new(tokio::sync::Semaphore::new(crate::DEFAULT_MAX_PROCESSES)),
            ca_bundle: Arc::new(std::sync::OnceLock::new()),
            local: Arc::new(std::sync::OnceLock::new()),
        })
    }
}

/// `http://host:port` of the first `inputS3Url` in the event: the endpoint a function talks to.
pub(crate) fn endpoint_of(event: &Value) -> Option<String> {
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

impl<T: Transform + Clone> Function for InProcess<T> {
    fn use_ca_bundle(&self, path: &std::path::Path) {
        let _ = self.ca_bundle.set(path.to_owned());
    }

    fn use_local_endpoint(&self, endpoint: Arc<dyn object_lambda::LocalEndpoint>) {
        let _ = self.local.set(endpoint);
    }

    fn invoke(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let (transform, credential, cell, permits, ca_bundle, local) = (
            self.transform.clone(),
            self.credential.clone(),
            self.handler.clone(),
            self.permits.clone(),
            self.ca_bundle.get().cloned(),
            self.local.get().cloned(),
        );
        Box::pin(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .map_err(|_| "the function is shutting down")?;
            let endpoint = endpoint_of(&event).ok_or("the event has no inputS3Url")?;
            let handler = cell
                .get_or_try_init(|| {
                    let builder = Handler::builder(transform);
                    let builder = match ca_bundle {
                        Some(path) => builder.ca_bundle(path),
                        None => builder,
                    };
                    let builder = match local {
                        Some(endpoint) => builder.local_endpoint(endpoint),
                        None => builder,
                    };
                    builder
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
