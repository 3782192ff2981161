//! Helpers for tests that run the emulator (feature `test-util`): a test configuration, S3
//! clients, an emulator started on a free loopback port, and assertions on S3 answers.
//!
//! ```no_run
//! # async fn demo(f: std::sync::Arc<dyn object_lambda_emulator::Function>) {
//! use object_lambda_emulator::test_util::{self, TestEmulator};
//! let env = TestEmulator::start(test_util::config(&["passthrough"]), [("passthrough", f)]).await;
//! let body = test_util::get_bytes(&env.s3, "passthrough", "report.csv").await;
//! let missing = env.s3.get_object().bucket("passthrough").key("nope").send().await;
//! test_util::assert_s3_error(missing, 404, "NoSuchKey");
//! env.stop().await;
//! # }
//! ```
//!
//! Used by the emulator's own integration tests and the workspace's end-to-end tests; a test
//! crate turns it on with `object-lambda-emulator = { path = "…", features = ["test-util"] }`.

use std::fmt::Debug;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{BehaviorVersion, ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use object_lambda::Transform;

use crate::{Config, Credential, Emulator, Function, InProcess, REGION, RunningEmulator};

/// Access key of the test credential (the only one [`config`] accepts).
pub const ACCESS_KEY: &str = "test-access-key";
/// Secret of [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "test-secret-key";

/// The test credential ([`ACCESS_KEY`], with [`Credential::new`]'s default user and account).
pub fn credential() -> Credential {
    Credential::new(ACCESS_KEY, SECRET_KEY)
}

/// The built-in default ([`Config::default_for`]: bucket `demo` with the sample objects,
/// access point `demo-ap`, one Object Lambda Access Point per function with payload `{}`) with
/// the test credential instead of the caller's environment.
pub fn config(functions: &[&str]) -> Config {
    let mut config = Config::default_for(functions);
    config.credentials = vec![credential()];
    config
}

/// A transform run in-process through its real `Handler`, signing WGOR with the test credential.
pub fn in_process<T: Transform + Clone>(transform: T) -> Arc<dyn Function> {
    InProcess::new(transform, &credential())
}

/// A path-style aws-sdk-s3 client for `endpoint` with retries off (tests check first answers;
/// 5xx answers such as `LambdaTimeout` would otherwise be sent three times). Its
/// `WriteGetObjectResponse` goes to `endpoint` too, as a function's would with
/// `AWS_ENDPOINT_URL_S3` set.
pub fn client(endpoint: &str, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
    let authority = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest)
        .to_owned();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .interceptor(StripRoutePrefix { authority })
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The SDK sends `WriteGetObjectResponse` to `{route}.{endpoint host}`; this puts the endpoint's
/// host back before signing, so it reaches a loopback endpoint whatever DNS does (the route
/// still travels in the signed `x-amz-request-route` header, which the emulator routes on).
#[derive(Debug)]
struct StripRoutePrefix {
    authority: String,
}

impl Intercept for StripRoutePrefix {
    fn name(&self) -> &'static str {
        "StripRoutePrefix"
    }

    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        let uri = req.uri().to_owned();
        let (scheme, rest) = uri.split_once("://").ok_or("no scheme")?;
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        req.set_uri(format!("{scheme}://{}{path}", self.authority))?;
        Ok(())
    }
}

/// A running emulator on `127.0.0.1:<free port>` (temporary data directory) and a client
/// signed with the test credential. Dropping it stops the server; [`TestEmulator::stop`] also
/// waits for it.
#[derive(Debug)]
pub struct TestEmulator {
    /// The emulator.
    pub emulator: RunningEmulator,
    /// aws-sdk-s3 client with [`ACCESS_KEY`].
    pub s3: aws_sdk_s3::Client,
}

impl TestEmulator {
    /// Start with `config` and the named functions. Panics if the emulator does not start (a
    /// test cannot go on without it).
    pub async fn start<'n>(
        config: Config,
        functions: impl IntoIterator<Item = (&'n str, Arc<dyn Function>)>,
    ) -> Self {
        let mut builder = Emulator::builder().config(config);
        for (name, function) in functions {
            builder = builder.function(name, function);
        }
        let emulator = builder.start().await.expect("the emulator starts");
        let s3 = client(emulator.endpoint_url(), ACCESS_KEY, SECRET_KEY);
        Self { emulator, s3 }
    }

    /// [`config`] for one function on the Object Lambda Access Point named after it, with
    /// `payload`.
    pub async fn one(name: &str, payload: &str, function: Arc<dyn Function>) -> Self {
        let mut config = config(&[name]);
        config.object_lambda_access_points[0].payload = payload.to_owned();
        Self::start(config, [(name, function)]).await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> &str {
        self.emulator.endpoint_url()
    }

    /// Stop the server and wait for it.
    pub async fn stop(self) {
        self.emulator.shutdown().await;
    }
}

/// HTTP status and S3 error code of a failed SDK call (`0` / `""` when no answer came).
pub fn status_and_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> (u16, String) {
    (
        err.raw_response().map_or(0, |r| r.status().as_u16()),
        err.code().unwrap_or_default().to_owned(),
    )
}

/// Assert that an SDK call failed with this HTTP status and S3 error code.
#[track_caller]
pub fn assert_s3_error<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    status: u16,
    code: &str,
) {
    expect_s3_error(result, status, code);
}

/// Assert that an SDK call failed with this HTTP status (for answers without an S3 error code,
/// such as 304, or where only the class matters).
#[track_caller]
pub fn assert_s3_status<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    status: u16,
) {
    match result {
        Ok(ok) => panic!("expected status {status}, got success: {ok:?}"),
        Err(err) => assert_eq!(status_and_code(&err).0, status, "unexpected error: {err:?}"),
    }
}

/// GET `bucket`/`key` (a bucket, access point or Object Lambda Access Point); panics on any
/// failure, naming the status and code.
pub async fn get_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> GetObjectOutput {
    let get = s3.get_object().bucket(bucket).key(key).send().await;
    answered(get, || format!("GET {bucket}/{key}"))
}

/// HEAD `bucket`/`key`; panics on any failure.
pub async fn head_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> HeadObjectOutput {
    let head = s3.head_object().bucket(bucket).key(key).send().await;
    answered(head, || format!("HEAD {bucket}/{key}"))
}

/// PUT `body` as `bucket`/`key` with `content_type`; panics on any failure.
pub async fn put_object(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body.into()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {bucket}/{key}: {:?}", status_and_code(&e)));
}

/// GET `bucket`/`key` and return the whole body; panics on any failure.
pub async fn get_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Bytes {
    get_object(s3, bucket, key)
        .await
        .body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("GET {bucket}/{key}: body: {e}"))
        .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Shared request helpers of both suites (issue 16 item 6: one test harness). Kept in one block
// of their own so that helpers appended elsewhere in this file merge without conflict.
// ---------------------------------------------------------------------------------------------

/// Only the test credential: no bucket, access point or function, for tests that declare
/// their own (`Config { buckets: …, ..test_util::bare_config() }`).
pub fn bare_config() -> Config {
    Config {
        credentials: vec![credential()],
        ..Config::default()
    }
}

/// The bytes of the built-in sample object `key` (what the emulator seeds a bucket with).
pub fn sample(key: &str) -> &'static [u8] {
    crate::SAMPLES
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(.., bytes)| *bytes)
        .unwrap_or_else(|| panic!("no sample object {key}"))
}

impl TestEmulator {
    /// Another client of this emulator, signed with `access_key`/`secret`.
    pub fn client_as(&self, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
        client(self.endpoint_url(), access_key, secret)
    }
}

/// PUT `body` as `bucket`/`key` with nothing else set (the SDK's own Content-Type); panics on
/// any failure. The answer carries the version id, encryption and checksums.
pub async fn put_bytes(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: impl Into<Bytes>,
) -> aws_sdk_s3::operation::put_object::PutObjectOutput {
    let put = s3.put_object().bucket(bucket).key(key);
    let put = put.body(ByteStream::from(body.into())).send().await;
    answered(put, || format!("PUT {bucket}/{key}"))
}

/// GET `bucket`/`key` with `Range: range`; panics on any failure.
pub async fn get_range(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    range: &str,
) -> GetObjectOutput {
    let get = s3.get_object().bucket(bucket).key(key).range(range);
    answered(get.send().await, || format!("GET {bucket}/{key} {range}"))
}

/// The whole body of a GET's answer; panics if the stream breaks.
pub async fn body_bytes(out: GetObjectOutput) -> Bytes {
    out.body
        .collect()
        .await
        .unwrap_or_else(|e| panic!("body: {e}"))
        .into_bytes()
}

/// [`assert_s3_error`], handing the error back for further checks (its message, headers).
#[track_caller]
pub fn expect_s3_error<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    status: u16,
    code: &str,
) -> SdkError<E, HttpResponse> {
    match result {
        Ok(ok) => panic!("expected {status} {code}, got success: {ok:?}"),
        Err(err) => {
            assert_eq!(
                status_and_code(&err),
                (status, code.to_owned()),
                "unexpected error: {err:?}"
            );
            err
        }
    }
}

/// ListObjectsV2 of `bucket` under `prefix` (none when empty); panics on any failure.
pub async fn list_v2(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output {
    let prefix = (!prefix.is_empty()).then(|| prefix.to_owned());
    let list = s3.list_objects_v2().bucket(bucket).set_prefix(prefix);
    answered(list.send().await, || format!("LIST {bucket}"))
}

/// The answer of a call that must succeed; else a panic naming the call (`what`), the status
/// and the S3 error code.
#[track_caller]
fn answered<T, E: ProvideErrorMetadata>(
    result: Result<T, SdkError<E, HttpResponse>>,
    what: impl FnOnce() -> String,
) -> T {
    match result {
        Ok(answer) => answer,
        Err(e) => panic!("{}: {:?}", what(), status_and_code(&e)),
    }
}

/// The message of an S3 error answer (`""` when it has none).
pub fn error_message<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> String {
    err.message().unwrap_or_default().to_owned()
}

/// A presigned GET URL for `bucket`/`key`, valid for `secs` seconds from now.
pub async fn presigned_get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, secs: u64) -> String {
    let expiry = std::time::Duration::from_secs(secs);
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(expiry)
        .unwrap_or_else(|e| panic!("presigning config: {e}"));
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .unwrap_or_else(|e| panic!("presign GET {bucket}/{key}: {e}"))
        .uri()
        .to_owned()
}

/// GET `bucket`/`key`, which must fail; its error, for checks of the code and message that
/// name the case (a success panics).
pub async fn get_error(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> SdkError<aws_sdk_s3::operation::get_object::GetObjectError, HttpResponse> {
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(ok) => panic!("GET {bucket}/{key}: expected an error, got success: {ok:?}"),
        Err(err) => err,
    }
}
