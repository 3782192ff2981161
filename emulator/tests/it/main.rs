//! Integration tests: the real aws-sdk-s3 client (and reqwest for raw HTTP) against the
//! emulator on 127.0.0.1 with a random port.
#![allow(missing_docs, clippy::unwrap_used, reason = "test helpers may panic")]

mod accesslog;
mod bucket_settings;
mod fidelity;
mod functions;
mod gateway;
mod gateway_invokers;
mod gateway_replicas;
mod gateway_serve;
mod gateway_toolchains;
mod olap;
mod policies;
mod raw;
mod runtime;
mod s3;
mod storage;
mod template;

use std::sync::Arc;

use functions::{Mode, TestFunction};
use object_lambda_emulator::test_util::{self, ACCESS_KEY as AK, SECRET_KEY as SK};
use object_lambda_emulator::{
    AccessPointConfig, Action, BucketConfig, Config, Emulator, Feature, OlapConfig, RunningEmulator,
};

// The harness is the emulator's `test_util`; these names are what the test files import.
pub(crate) use test_util::status_and_code;

pub(crate) struct Env {
    pub(crate) emu: RunningEmulator,
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) reuse: TestFunction,
    pub(crate) upper: TestFunction,
}

/// The test credential, bucket `data` (with the sample objects) behind access point
/// `data-ap`, and `olaps` on it.
pub(crate) fn data_config(olaps: Vec<OlapConfig>) -> Config {
    Config {
        credentials: vec![test_util::credential()],
        buckets: vec![BucketConfig {
            policy: None,
            name: "data".into(),
            seed_dir: None,
            seed_samples: true,
            ..Default::default()
        }],
        access_points: vec![AccessPointConfig {
            policy: None,
            name: "data-ap".into(),
            bucket: "data".into(),
        }],
        object_lambda_access_points: olaps,
        ..Config::default()
    }
}

/// Object Lambda Access Point `name` on `data-ap` for `function`: payload `{}`, all features,
/// all actions.
pub(crate) fn olap(name: &str, function: &str) -> OlapConfig {
    OlapConfig {
        policy: None,
        name: name.to_owned(),
        alias: None,
        supporting_access_point: "data-ap".to_owned(),
        function: function.to_owned(),
        payload: "{}".to_owned(),
        allowed_features: Feature::ALL.to_vec(),
        actions: Action::ALL.to_vec(),
    }
}

pub(crate) async fn start() -> Env {
    let mut upper_olap = olap("upper", "upper");
    upper_olap.alias = Some("upper-abc123--ol-s3".into());
    upper_olap.payload = r#"{"k":"v"}"#.into();
    let mut no_range = olap("no-range", "upper");
    no_range.allowed_features.clear();
    let mut get_only = olap("get-only", "upper");
    get_only.actions = vec![Action::GetObject];
    let mut config = data_config(vec![
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
    ]);
    config.function_timeout_ms = 1500;
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
    let client = test_util::client(emu.endpoint_url(), AK, SK);
    Env {
        emu,
        client,
        reuse,
        upper,
    }
}
