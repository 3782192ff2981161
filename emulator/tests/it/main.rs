//! Integration tests: the real aws-sdk-s3 client (and reqwest for raw HTTP) against the
//! emulator on 127.0.0.1 with a random port.
#![allow(missing_docs, clippy::unwrap_used, reason = "test helpers may panic")]

mod accesslog;
mod boto3;
mod bucket_settings;
mod common;
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
mod tls;

use std::sync::Arc;

use functions::{Mode, TestFunction};
use object_lambda_emulator::test_util::{self, ACCESS_KEY as AK, SECRET_KEY as SK, TestEmulator};
use object_lambda_emulator::{
    AccessPointConfig, Action, BucketConfig, Config, Function, OlapConfig,
};

/// The emulator of [`start`] (through `Deref`: `env.s3`, `env.endpoint_url()`,
/// `env.emulator`) and the two test functions whose state the tests read.
pub(crate) struct Env {
    emu: TestEmulator,
    pub(crate) reuse: TestFunction,
    pub(crate) upper: TestFunction,
}

impl std::ops::Deref for Env {
    type Target = TestEmulator;
    fn deref(&self) -> &TestEmulator {
        &self.emu
    }
}

impl Env {
    /// Stop the server and wait for it.
    pub(crate) async fn stop(self) {
        self.emu.stop().await;
    }
}

/// A [`TestFunction`] in `mode`, signing with the test credential, as the emulator takes it.
pub(crate) fn test_function(mode: Mode) -> Arc<dyn Function> {
    Arc::new(TestFunction::new(mode, AK, SK))
}

/// The test credential, bucket `data` (with the sample objects) behind access point
/// `data-ap`, and `olaps` on it.
pub(crate) fn data_config(olaps: Vec<OlapConfig>) -> Config {
    Config {
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
        ..test_util::bare_config()
    }
}

/// Object Lambda Access Point `name` on `data-ap` for `function`: payload `{}`, all features,
/// all actions.
pub(crate) fn olap(name: &str, function: &str) -> OlapConfig {
    OlapConfig {
        name: name.to_owned(),
        supporting_access_point: "data-ap".to_owned(),
        ..OlapConfig::default_for(function)
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
    let f = test_function;
    let emu = TestEmulator::start(
        config,
        [
            ("upper", Arc::new(upper.clone()) as Arc<dyn Function>),
            ("no-wgor", f(Mode::NoWgor)),
            ("sleeper", f(Mode::Sleep)),
            ("failing", f(Mode::Fail)),
            ("bad-code", f(Mode::BadCode)),
            ("reuse", Arc::new(reuse.clone())),
            ("broken", f(Mode::BrokenStream)),
            ("sleeper-limited", f(Mode::Sleep)),
            ("upper-closed", f(Mode::Upper)),
        ],
    )
    .await;
    Env { emu, reuse, upper }
}
