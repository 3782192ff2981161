//! Harness for the end-to-end tests: starts the emulator in-process on `127.0.0.1:0` with the
//! real functions, and hands out real aws-sdk-s3 clients pointed at it (path-style).

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use object_lambda::Transform;
use object_lambda_emulator::{Config, Credential, Emulator, Function, InProcess, RunningEmulator};

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

/// The test configuration: the built-in default with the test credential.
pub fn test_config(functions: &[&str]) -> Config {
    let mut config = Config::default_for(functions);
    config.credentials = vec![object_lambda_emulator::Credential::new(
        ACCESS_KEY, SECRET_KEY,
    )];
    config
}

/// Start an emulator with `config` and `functions` (see [`in_process`] for real transforms).
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
    let f = in_process(passthrough::function::Passthrough);
    if config.object_lambda_access_points.is_empty() {
        config = test_config(&["passthrough"]);
    }
    start_with(config, vec![("passthrough", f)]).await
}

/// A transform run in-process through its real `Handler`, signing WGOR with the test credential.
pub fn in_process<T: Transform + Clone>(transform: T) -> Arc<dyn Function> {
    InProcess::new(transform, &Credential::new(ACCESS_KEY, SECRET_KEY))
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

/// HTTP status and S3 error code of a failed SDK call (0 / "" when there was no answer).
pub fn status_and_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (u16, String) {
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .unwrap_or_default()
        .to_owned();
    (status, code)
}
