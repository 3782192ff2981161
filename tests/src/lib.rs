//! Harness for the end-to-end tests: starts the emulator in-process on `127.0.0.1:0` with the
//! real functions, and hands out real aws-sdk-s3 clients pointed at it (path-style).

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use futures::future::BoxFuture;
use object_lambda::{Handler, Transform};
use object_lambda_emulator::{Config, Emulator, Function, RunningEmulator};
use serde_json::Value;

/// Credentials every test uses (also the emulator's only credential).
pub const ACCESS_KEY: &str = "AKIDINTEGRATIONTEST";
/// Secret for [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "integration-test-secret";

/// A running emulator and a client for it.
pub struct TestEnv {
    /// The emulator (stopped on drop).
    pub emulator: RunningEmulator,
    /// aws-sdk-s3 client with the test credentials.
    pub s3: aws_sdk_s3::Client,
}

/// Runs a [`Transform`] in-process the way Lambda would: through the real [`Handler`], which
/// fetches over HTTP and answers with WriteGetObjectResponse to the emulator's endpoint.
pub struct InProcess<T: Transform> {
    handler: Arc<Handler<T>>,
}

impl<T: Transform> InProcess<T> {
    /// Build the handler against `endpoint` with the test credentials.
    pub async fn new(transform: T, endpoint: &str) -> Arc<Self> {
        let handler = Handler::builder(transform)
            .endpoint_url(endpoint)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .region("us-east-1")
            .build()
            .await
            .expect("handler");
        Arc::new(Self {
            handler: Arc::new(handler),
        })
    }
}

impl<T: Transform> Function for InProcess<T> {
    fn invoke(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let handler = self.handler.clone();
        Box::pin(async move { handler.handle(event, ctx).await })
    }
}

/// The test configuration: the built-in default with the test credential.
pub fn test_config(functions: &[&str]) -> Config {
    let mut config = Config::default_for(functions);
    config.credentials = vec![object_lambda_emulator::Credential::new(
        ACCESS_KEY, SECRET_KEY,
    )];
    config
}

/// Start an emulator with `config` and `functions` (see [`Lazy`] for real transforms).
pub async fn start_with(config: Config, functions: Vec<(&str, Arc<dyn Function>)>) -> TestEnv {
    let mut builder = Emulator::builder().config(config);
    for (name, f) in functions {
        builder = builder.function(name, f);
    }
    let emulator = builder.start().await.expect("emulator starts");
    let s3 = client(emulator.endpoint_url(), ACCESS_KEY, SECRET_KEY);
    TestEnv { emulator, s3 }
}

/// An emulator with the passthrough function on access point `passthrough`.
pub async fn start_passthrough(mut config: Config) -> TestEnv {
    let lazy = Lazy::new(passthrough::Passthrough);
    let f: Arc<dyn Function> = lazy.clone();
    if config.object_lambda_access_points.is_empty() {
        config = test_config(&["passthrough"]);
    }
    start_with(config, vec![("passthrough", f)]).await
}

/// A function whose handler is created on first use, against the endpoint named in the event
/// (the emulator's port is only known once it listens).
pub struct Lazy<T: Transform + Clone> {
    transform: T,
    inner: Arc<tokio::sync::OnceCell<Arc<InProcess<T>>>>,
}

impl<T: Transform + Clone> Lazy<T> {
    /// Wrap a transform.
    pub fn new(transform: T) -> Arc<Self> {
        Arc::new(Self {
            transform,
            inner: Arc::new(tokio::sync::OnceCell::new()),
        })
    }
}

impl<T: Transform + Clone> Function for Lazy<T> {
    fn invoke(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let endpoint = [
            "getObjectContext",
            "headObjectContext",
            "listObjectsContext",
            "listObjectsV2Context",
        ]
        .iter()
        .find_map(|c| event.get(*c)?.get("inputS3Url")?.as_str())
        .and_then(|u| reqwest::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
        let (transform, cell) = (self.transform.clone(), self.inner.clone());
        Box::pin(async move {
            let f = cell
                .get_or_init(|| InProcess::new(transform, &endpoint))
                .await;
            f.invoke(event, ctx).await
        })
    }
}

/// A path-style aws-sdk-s3 client for `endpoint`, without retries (tests check first answers).
pub fn client(endpoint: &str, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
