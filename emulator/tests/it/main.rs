//! Integration tests: the real aws-sdk-s3 client (and reqwest for raw HTTP) against the
//! emulator on 127.0.0.1 with a random port.
#![allow(missing_docs, clippy::unwrap_used, reason = "test helpers may panic")]

mod boto3;
mod fidelity;
mod functions;
mod gateway;
mod olap;
mod policies;
mod raw;
mod runtime;
mod s3;
mod storage;
mod template;
mod tls;

use std::sync::Arc;

use functions::{Mode, TestFunction};
use object_lambda_emulator::{
    AccessPointConfig, BucketConfig, Config, Credential, Emulator, Feature, OlapConfig,
    RunningEmulator,
};

pub(crate) const AK: &str = "test-access-key";
pub(crate) const SK: &str = "test-secret-key";

pub(crate) struct Env {
    pub(crate) emu: RunningEmulator,
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) reuse: TestFunction,
    pub(crate) upper: TestFunction,
}

fn olap(name: &str, function: &str) -> OlapConfig {
    OlapConfig {
        policy: None,
        name: name.to_owned(),
        alias: None,
        supporting_access_point: "data-ap".to_owned(),
        function: function.to_owned(),
        payload: r#"{"k":"v"}"#.to_owned(),
        allowed_features: Feature::ALL.to_vec(),
        actions: object_lambda_emulator::Action::ALL.to_vec(),
    }
}

pub(crate) async fn start() -> Env {
    let mut config = Config {
        function_timeout_ms: 1500,
        credentials: vec![Credential::new(AK, SK)],
        buckets: vec![BucketConfig {
            policy: None,
            name: "data".into(),
            seed_dir: None,
            seed_samples: true,
        }],
        access_points: vec![AccessPointConfig {
            policy: None,
            name: "data-ap".into(),
            bucket: "data".into(),
        }],
        ..Config::default()
    };
    let mut upper_olap = olap("upper", "upper");
    upper_olap.alias = Some("upper-abc123--ol-s3".into());
    let mut no_range = olap("no-range", "upper");
    no_range.allowed_features.clear();
    let mut get_only = olap("get-only", "upper");
    get_only.actions = vec![object_lambda_emulator::Action::GetObject];
    config.object_lambda_access_points = vec![
        upper_olap,
        no_range,
        get_only,
        olap("no-wgor", "no-wgor"),
        olap("sleeper", "sleeper"),
        olap("failing", "failing"),
        olap("bad-code", "bad-code"),
        olap("reuse", "reuse"),
        olap("broken", "broken"),
        olap("one-at-a-time", "sleeper-limited"),
        olap("closed", "upper-closed"),
    ];
    config.reserved_concurrency =
        [("sleeper-limited".into(), 1), ("upper-closed".into(), 0)].into();
    let upper = TestFunction::new(Mode::Upper, AK, SK);
    let reuse = TestFunction::new(Mode::ReuseToken, AK, SK);
    let f = |m| Arc::new(TestFunction::new(m, AK, SK)) as Arc<dyn object_lambda_emulator::Function>;
    let emu = Emulator::builder()
        .config(config)
        .function("upper", Arc::new(upper.clone()))
        .function("no-wgor", f(Mode::NoWgor))
        .function("sleeper", f(Mode::Sleep))
        .function("failing", f(Mode::Fail))
        .function("bad-code", f(Mode::BadCode))
        .function("reuse", Arc::new(reuse.clone()))
        .function("broken", f(Mode::BrokenStream))
        .function("sleeper-limited", f(Mode::Sleep))
        .function("upper-closed", f(Mode::Upper))
        .start()
        .await
        .expect("emulator starts");
    let client = functions::s3_client(emu.endpoint_url(), AK, SK);
    Env {
        emu,
        client,
        reuse,
        upper,
    }
}

/// HTTP status and S3 error code of a failed SDK call.
pub(crate) fn status_and_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (u16, String) {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    (
        err.raw_response().map_or(0, |r| r.status().as_u16()),
        err.code().unwrap_or_default().to_owned(),
    )
}
