//! Configuration: the per-access-point payload (parsed on every request) and the runtime's own
//! settings (read once from the environment).

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::TransformError;

/// Parse the access point payload into a transform's typed configuration.
///
/// An empty or `null` payload gives the defaults. The message of a bad payload names the key:
/// serde reports unknown keys (`deny_unknown_fields`) and bad values with their field name.
pub fn parse_payload<C: DeserializeOwned + Default>(payload: &str) -> Result<C, TransformError> {
    let trimmed = payload.trim();
    if trimmed.is_empty() || trimmed == "null" {
        return Ok(C::default());
    }
    let mut de = serde_json::Deserializer::from_str(trimmed);
    let parsed: C = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // serde names an unknown key in its message ("unknown field `x`"); a bad value is named by
        // its path.
        let text = inner.to_string();
        let key = match text.split('`').nth(1) {
            Some(unknown) if text.starts_with("unknown field") => unknown.to_owned(),
            _ if path != "." => path,
            _ => "payload".to_owned(),
        };
        TransformError::invalid_payload(&key, text)
    })?;
    de.end()
        .map_err(|e| TransformError::invalid_payload("payload", e))?;
    Ok(parsed)
}

/// The configuration of a transform without options: accepts an empty payload or `{}` and
/// refuses any key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// Settings of the runtime itself, from the function's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Output held before committing to a success status, so that early errors still become
    /// clean 4xx answers (`OBJECT_LAMBDA_COMMIT_WINDOW_BYTES`, default 1 MiB).
    pub commit_window: usize,
    /// In-memory part of a spool; beyond it, output goes to `/tmp`
    /// (`OBJECT_LAMBDA_SPOOL_MEMORY_BYTES`, default 8 MiB).
    pub spool_memory: usize,
    /// Most output ever held to answer a Range/partNumber request on output of unknown length,
    /// or for commit-after-completion transforms (`OBJECT_LAMBDA_SPOOL_LIMIT_BYTES`, default
    /// 512 MiB, Lambda's default ephemeral storage).
    pub spool_limit: u64,
    /// Time before the Lambda deadline at which unfinished work is abandoned and a
    /// `503 TransformTimeout` is sent (`OBJECT_LAMBDA_DEADLINE_MARGIN_MS`, default 2000).
    pub deadline_margin: Duration,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            commit_window: 1 << 20,
            spool_memory: 8 << 20,
            spool_limit: 512 << 20,
            deadline_margin: Duration::from_millis(2000),
        }
    }
}

impl RuntimeSettings {
    /// Read from the environment; a malformed value is an error naming the variable.
    pub fn from_env() -> Result<Self, TransformError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read from any variable source (tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, TransformError> {
        let d = Self::default();
        let num = |name: &str, default: u64| -> Result<u64, TransformError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| {
                    TransformError::internal(format!(
                        "environment variable {name} must be a non-negative integer"
                    ))
                }),
            }
        };
        Ok(Self {
            commit_window: usize::try_from(num(
                "OBJECT_LAMBDA_COMMIT_WINDOW_BYTES",
                d.commit_window as u64,
            )?)
            .unwrap_or(usize::MAX),
            spool_memory: usize::try_from(num(
                "OBJECT_LAMBDA_SPOOL_MEMORY_BYTES",
                d.spool_memory as u64,
            )?)
            .unwrap_or(usize::MAX),
            spool_limit: num("OBJECT_LAMBDA_SPOOL_LIMIT_BYTES", d.spool_limit)?,
            deadline_margin: Duration::from_millis(num(
                "OBJECT_LAMBDA_DEADLINE_MARGIN_MS",
                d.deadline_margin.as_millis() as u64,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Cfg {
        quality: u8,
        name: String,
    }

    #[test]
    fn empty_payload_is_default() {
        assert_eq!(parse_payload::<Cfg>("").unwrap(), Cfg::default());
        assert_eq!(parse_payload::<Cfg>(" null ").unwrap(), Cfg::default());
        assert_eq!(parse_payload::<Cfg>("{}").unwrap(), Cfg::default());
    }

    #[test]
    fn no_config_accepts_only_empty_payloads() {
        assert_eq!(parse_payload::<NoConfig>("{}").unwrap(), NoConfig {});
        assert_eq!(parse_payload::<NoConfig>("").unwrap(), NoConfig {});
        assert!(
            parse_payload::<NoConfig>(r#"{"x":1}"#)
                .unwrap_err()
                .message()
                .contains("`x`")
        );
    }

    #[test]
    fn bad_payload_names_the_key() {
        let e = parse_payload::<Cfg>(r#"{"qualty": 5}"#).unwrap_err();
        assert_eq!(e.code(), "InvalidFunctionPayload");
        assert!(e.message().contains("`qualty`"), "{}", e.message());
        let e = parse_payload::<Cfg>(r#"{"name": "n", "quality": "high"}"#).unwrap_err();
        assert!(e.message().contains("`quality`"), "{}", e.message());
        let e = parse_payload::<Cfg>("{not json").unwrap_err();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn settings_from_env() {
        let s = RuntimeSettings::from_lookup(|n| {
            (n == "OBJECT_LAMBDA_SPOOL_LIMIT_BYTES").then(|| "10".into())
        })
        .unwrap();
        assert_eq!(s.spool_limit, 10);
        assert!(RuntimeSettings::from_lookup(|_| Some("x".into())).is_err());
    }
}
