//! The gateway's TOML configuration (see the crate README, "Run it in production").

use std::collections::{BTreeMap, BTreeSet};
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
        self.olap_config().validate()
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
                    seed_dir: None,
                    seed_samples: false,
                })
                .collect(),
            access_points: self.access_points.clone(),
            object_lambda_access_points: self.object_lambda_access_points.clone(),
            reserved_concurrency: self.reserved_concurrency.clone(),
        }
    }
}
