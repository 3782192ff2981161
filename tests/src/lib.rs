//! Harness for the end-to-end tests, the passthrough bench and the memory test. The emulator's
//! `test_util` (feature `test-util`) does the work: test configuration, clients, an emulator on
//! a free loopback port with the real functions in-process, assertions. This crate adds only
//! the passthrough setup the three share.

use object_lambda_emulator::Config;
use object_lambda_emulator::test_util::{self, TestEmulator};

/// An emulator with the passthrough function on access point `passthrough` (`config`, or
/// [`test_util::config`] for it when `config` has no Object Lambda Access Point).
pub async fn start_passthrough(mut config: Config) -> TestEmulator {
    if config.object_lambda_access_points.is_empty() {
        config = test_util::config(&["passthrough"]);
    }
    let f = test_util::in_process(passthrough::function::Passthrough);
    TestEmulator::start(config, [("passthrough", f)]).await
}
