//! Log output of a function process (Lambda or webhook).
//!
//! The same choices as `lambda_runtime`'s default subscriber, which follows Lambda's advanced
//! logging controls: `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else `INFO`) sets the level and
//! `AWS_LAMBDA_LOG_FORMAT=JSON` writes one JSON object per line. The filter is
//! `tracing_subscriber`'s `Targets` (`target=level,...`) rather than `EnvFilter`: `EnvFilter` links
//! a regex engine, which was about a tenth of a small function's binary, and functions have no
//! use for span or field filters.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Install the process's subscriber (once; a second call is ignored).
pub(crate) fn init() {
    let filter = filter_from(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init`: a host that installed its own subscriber keeps it.
    let _ = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

/// The filter: Lambda's level wins (one level for every target), else `RUST_LOG` in `Targets`
/// syntax (`info`, `object_lambda=debug,warn`), else `INFO`. A value that does not parse falls
/// back to `INFO` rather than silencing the function.
fn filter_from(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    if let Some(level) = lambda_level.and_then(level_of) {
        return Targets::new().with_default(level);
    }
    rust_log
        .filter(|spec| spec.split(',').all(is_directive))
        .and_then(|spec| spec.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// `level` or `target=level` (`Targets` itself accepts `=` and empty pieces, which would silence
/// every target).
fn is_directive(directive: &str) -> bool {
    match directive.trim().split_once('=') {
        Some((target, level)) => !target.trim().is_empty() && level_of(level).is_some(),
        None => level_of(directive).is_some(),
    }
}

/// A Lambda log level (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`), any case.
fn level_of(name: &str) -> Option<LevelFilter> {
    match name.trim().to_ascii_uppercase().as_str() {
        "FATAL" => Some(LevelFilter::ERROR),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    fn allows(filter: &Targets, target: &str, level: Level) -> bool {
        filter.would_enable(target, &level)
    }

    #[test]
    fn lambda_level_wins_over_rust_log() {
        let f = filter_from(Some("debug"), Some("error"));
        assert!(allows(&f, "object_lambda", Level::DEBUG));
        assert!(!allows(&f, "object_lambda", Level::TRACE));
    }

    #[test]
    fn fatal_means_error_only() {
        let f = filter_from(Some("FATAL"), None);
        assert!(allows(&f, "x", Level::ERROR));
        assert!(!allows(&f, "x", Level::WARN));
    }

    #[test]
    fn rust_log_targets_and_default() {
        let f = filter_from(None, Some("object_lambda=debug,warn"));
        assert!(allows(&f, "object_lambda::fetch", Level::DEBUG));
        assert!(!allows(&f, "hyper", Level::INFO));
        assert!(allows(&f, "hyper", Level::WARN));
    }

    #[test]
    fn unset_or_unparsable_means_info() {
        for f in [
            filter_from(None, None),
            filter_from(Some("loud"), Some("=,=")),
        ] {
            assert!(allows(&f, "x", Level::INFO));
            assert!(!allows(&f, "x", Level::DEBUG));
        }
    }
}
