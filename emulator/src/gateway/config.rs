//! The gateway's TOML configuration (see the crate README, "Run it in production").

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{
    AccessPointConfig, BucketConfig, Config, ConfigError, Credential, DEFAULT_ACCOUNT_ID,
    OlapConfig,
};

/// The whole gateway configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where functions send WriteGetObjectResponse: the load balancer's URL (default: this
    /// replica's `replica_url`).
    #[serde(default)]
    pub public_url: Option<String>,
    /// How other replicas reach this one, for forwarded WGORs (default: `http(s)://` + the
    /// bound listen address).
    #[serde(default)]
    pub replica_url: Option<String>,
    /// Secret shared by all replicas; signs `outputRoute`s (required).
    #[serde(default)]
    pub route_secret: Option<String>,
    /// PEM certificate chain: serve HTTPS only (with `tls_key`).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Prometheus text at `GET /metrics`, and `GET /healthz`, on this address.
    #[serde(default)]
    pub metrics_listen: Option<SocketAddr>,
    /// After SIGTERM, how long in-flight requests may take before they are cut.
    #[serde(default = "default_grace")]
    pub shutdown_grace_secs: u64,
    /// How long a function may take (GET: until its WGOR arrives). AWS: 60 000 ms.
    #[serde(default = "default_timeout")]
    pub function_timeout_ms: u64,
    /// Expiry of the presigned `inputS3Url`, in seconds.
    #[serde(default = "default_presign")]
    pub presign_expiry_secs: u64,
    /// Account id in the ARNs of the event.
    #[serde(default = "default_account")]
    pub account_id: String,
    /// The S3 that holds the buckets.
    #[serde(default)]
    pub backend: BackendConfig,
    /// Callers' SigV4 keys.
    #[serde(default)]
    pub credentials: Vec<Credential>,
    /// Settings of the backend's buckets that the gateway applies: `policy` (enforced here)
    /// and `logging` (server access logs of requests through the gateway's access points,
    /// written into the backend's target bucket); `name` is a bucket of the backend.
    #[serde(default)]
    pub buckets: Vec<BucketConfig>,
    /// Server access logs: a log object is written at least this often (ms) while records
    /// wait (as the emulator's key).
    #[serde(default = "default_log_flush")]
    pub access_log_flush_ms: u64,
    /// Server access logs: most records in one log object.
    #[serde(default = "default_log_records")]
    pub access_log_max_records: usize,
    /// Server access logs: records waiting for delivery at most; beyond it they are dropped
    /// and counted rather than slowing requests down.
    #[serde(default = "default_log_queue")]
    pub access_log_queue: usize,
    /// PEM bundle that process functions (`binary`) get as `AWS_CA_BUNDLE`, to verify the
    /// gateway's HTTPS (their WGOR) and the backend's (their `inputS3Url` fetch): as in the
    /// AWS CLI it replaces the system roots. Default: `tls_cert` when the gateway serves HTTPS
    /// and `public_url` is not set (functions then reach this gateway itself); `""`: none.
    /// A function's own `environment` wins.
    #[serde(default)]
    pub function_ca_bundle: Option<PathBuf>,
    /// Access points on buckets of the backend.
    #[serde(default)]
    pub access_points: Vec<AccessPointConfig>,
    /// Object Lambda Access Points.
    #[serde(default)]
    pub object_lambda_access_points: Vec<OlapConfig>,
    /// How each function runs, by name.
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionConfig>,
    /// Reserved concurrency per function (503 `SlowDown` beyond it).
    #[serde(default)]
    pub reserved_concurrency: BTreeMap<String, u32>,
}

fn default_grace() -> u64 {
    30
}
fn default_timeout() -> u64 {
    60_000
}
fn default_presign() -> u64 {
    300
}
fn default_account() -> String {
    DEFAULT_ACCOUNT_ID.to_owned()
}
fn default_log_flush() -> u64 {
    Config::default().access_log_flush_ms
}
fn default_log_records() -> usize {
    Config::default().access_log_max_records
}
fn default_log_queue() -> usize {
    Config::default().access_log_queue
}
fn default_region() -> String {
    "us-east-1".to_owned()
}
fn default_connect_timeout() -> u64 {
    2000
}

/// `[backend]`: the S3-compatible store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    /// Endpoint URL; absent: AWS S3 in `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Region.
    #[serde(default = "default_region")]
    pub region: String,
    /// Path-style addressing.
    #[serde(default)]
    pub force_path_style: bool,
    /// Connect timeout to the store, in ms (a store that is down gives 503 this fast).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_ms: u64,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: default_region(),
            force_path_style: false,
            connect_timeout_ms: default_connect_timeout(),
        }
    }
}

/// `[functions.<name>]`: exactly one of `binary`, `lambda`, `webhook`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// A local executable speaking the Lambda Runtime API (relative to the config file).
    #[serde(default)]
    pub binary: Option<PathBuf>,
    /// With `binary`: at most this many processes.
    #[serde(default)]
    pub max_processes: Option<usize>,
    /// With `binary`: extra environment variables.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// A Lambda function name or ARN, invoked with `RequestResponse`.
    #[serde(default)]
    pub lambda: Option<String>,
    /// With `lambda`: another Invoke API endpoint (tests, `cargo lambda watch`).
    #[serde(default)]
    pub lambda_endpoint: Option<String>,
    /// An HTTP webhook URL (MinIO's Object Lambda contract).
    #[serde(default)]
    pub webhook: Option<String>,
    /// With `webhook`: sent as `Authorization: Bearer <token>`.
    #[serde(default)]
    pub webhook_auth_token: Option<String>,
}

impl GatewayConfig {
    /// Parses TOML.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// Reads and parses a file; relative `binary`, `tls_cert` and `tls_key` paths are taken
    /// relative to the file's folder.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::from_toml(&text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        config.tls_cert.as_mut().map(fix);
        config.tls_key.as_mut().map(fix);
        config
            .function_ca_bundle
            .as_mut()
            .filter(|p| !p.as_os_str().is_empty())
            .map(fix);
        for f in config.functions.values_mut() {
            f.binary.as_mut().map(fix);
        }
        Ok(config)
    }

    /// Checks what the gateway needs before it may start; the error names the problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.credentials.is_empty() {
            return bad("the gateway needs at least one `[[credentials]]` entry: it has no default credentials".into());
        }
        if self.route_secret.as_deref().is_none_or(str::is_empty) {
            return bad("`route_secret` is required (shared by all replicas)".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("`tls_cert` and `tls_key` go together".into());
        }
        for o in &self.object_lambda_access_points {
            let Some(f) = self.functions.get(&o.function) else {
                return bad(format!(
                    "object lambda access point `{}`: no `[functions.{}]`",
                    o.name, o.function
                ));
            };
            let kinds = [f.binary.is_some(), f.lambda.is_some(), f.webhook.is_some()];
            if kinds.iter().filter(|k| **k).count() != 1 {
                return bad(format!(
                    "`[functions.{}]`: set exactly one of `binary`, `lambda`, `webhook`",
                    o.function
                ));
            }
        }
        for b in &self.buckets {
            // The other bucket keys are settings of the emulator's own store; the backend's
            // buckets are configured in the backend. Accepting and ignoring them would let a
            // user believe, say, versioning or default encryption is on when it is not.
            let store_only = [
                ("seed_dir", b.seed_dir.is_some()),
                ("seed_samples", b.seed_samples),
                ("versioning", b.versioning.is_some()),
                ("encryption", b.encryption.is_some()),
                ("object_lock", b.object_lock.is_some()),
            ];
            if let Some((key, _)) = store_only.iter().find(|(_, set)| *set) {
                return bad(format!(
                    "bucket `{}`: `{key}` is a setting of the emulator's store; configure it on the backend bucket (the gateway applies only `policy` and `logging`)",
                    b.name
                ));
            }
            let Some(l) = &b.logging else { continue };
            if l.target_bucket.is_empty() {
                return bad(format!(
                    "bucket `{}`: logging.target_bucket is empty",
                    b.name
                ));
            }
            // The gateway's log writes go straight to the backend and would not loop here, but
            // the backend's own logs would, and S3 advises against it: refused as in the
            // emulator.
            if l.target_bucket == b.name {
                return bad(format!(
                    "bucket `{}`: logging.target_bucket is the bucket itself; its own log objects would be logged again (log loop). Use another bucket",
                    b.name
                ));
            }
        }
        self.olap_config().validate()
    }

    /// Source bucket → where its server access log records go (`[[buckets]]` `logging`).
    pub(crate) fn log_targets(&self) -> HashMap<String, crate::accesslog::Target> {
        self.buckets
            .iter()
            .filter_map(|b| {
                let l = b.logging.as_ref()?;
                let target = crate::accesslog::Target {
                    bucket: l.target_bucket.clone(),
                    prefix: l.target_prefix.clone(),
                };
                Some((b.name.clone(), target))
            })
            .collect()
    }

    /// The `AWS_CA_BUNDLE` of process functions (see [`Self::function_ca_bundle`]).
    pub(crate) fn functions_ca_bundle(&self) -> Option<PathBuf> {
        match &self.function_ca_bundle {
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some(p.clone()),
            None if self.public_url.is_none() => self.tls_cert.clone(),
            None => None,
        }
    }

    /// The access point layer's configuration (buckets are the backend's; none is created).
    pub fn olap_config(&self) -> Config {
        let buckets: BTreeSet<&str> = self
            .access_points
            .iter()
            .map(|a| a.bucket.as_str())
            .collect();
        Config {
            account_id: self.account_id.clone(),
            function_timeout_ms: self.function_timeout_ms,
            presign_expiry_secs: self.presign_expiry_secs,
            credentials: self.credentials.clone(),
            buckets: buckets
                .into_iter()
                .map(|name| BucketConfig {
                    name: name.to_owned(),
                    policy: self
                        .buckets
                        .iter()
                        .find(|b| b.name == name)
                        .and_then(|b| b.policy.clone()),
                    ..BucketConfig::default()
                })
                .collect(),
            access_points: self.access_points.clone(),
            object_lambda_access_points: self.object_lambda_access_points.clone(),
            reserved_concurrency: self.reserved_concurrency.clone(),
            access_log_flush_ms: self.access_log_flush_ms,
            access_log_max_records: self.access_log_max_records,
            access_log_queue: self.access_log_queue,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> GatewayConfig {
        GatewayConfig::from_toml(&format!(
            "listen = \"127.0.0.1:0\"\nroute_secret = \"s\"\n{extra}\n[[credentials]]\naccess_key_id = \"a\"\nsecret_access_key = \"b\"\n"
        ))
        .unwrap()
    }

    #[test]
    fn functions_trust_the_served_certificate_unless_told_otherwise() {
        let tls = "tls_cert = \"c.pem\"\ntls_key = \"k.pem\"";
        assert_eq!(config("").functions_ca_bundle(), None);
        assert_eq!(
            config(tls).functions_ca_bundle(),
            Some(PathBuf::from("c.pem"))
        );
        // Behind a load balancer the certificate functions see is not known here.
        let lb = format!("{tls}\npublic_url = \"https://gw.example.com\"");
        assert_eq!(config(&lb).functions_ca_bundle(), None);
        let explicit = format!("{lb}\nfunction_ca_bundle = \"ca.pem\"");
        assert_eq!(
            config(&explicit).functions_ca_bundle(),
            Some(PathBuf::from("ca.pem"))
        );
        let off = format!("{tls}\nfunction_ca_bundle = \"\"");
        assert_eq!(config(&off).functions_ca_bundle(), None);
    }

    #[test]
    fn store_settings_on_backend_buckets_are_refused() {
        for key in ["versioning = \"Enabled\"", "seed_samples = true"] {
            let e = config(&format!("[[buckets]]\nname = \"data\"\n{key}\n"))
                .validate()
                .unwrap_err()
                .to_string();
            assert!(e.contains("setting of the emulator's store"), "{e}");
        }
    }

    #[test]
    fn access_logs_of_backend_buckets() {
        let c = config(
            "access_log_flush_ms = 10\n[[buckets]]\nname = \"data\"\nlogging = { target_bucket = \"logs\", target_prefix = \"d/\" }\n",
        );
        c.validate().unwrap();
        let targets = c.log_targets();
        assert_eq!(targets.len(), 1);
        assert_eq!(
            targets["data"],
            crate::accesslog::Target {
                bucket: "logs".into(),
                prefix: "d/".into()
            }
        );
        assert_eq!(c.olap_config().access_log_flush_ms, 10);
        let looped =
            config("[[buckets]]\nname = \"data\"\nlogging = { target_bucket = \"data\" }\n");
        let err = looped.validate().unwrap_err().to_string();
        assert!(err.contains("log loop"), "{err}");
    }
}
