//! Emulator configuration: credentials, buckets, access points and Object Lambda Access Points.
//!
//! The file format is TOML; see the crate README for a complete example. Every section is
//! optional; [`Config::default_for`] gives the built-in default used by the binary when no
//! `--config` is passed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Access key used when `AWS_ACCESS_KEY_ID` is not set in the environment.
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator";
/// Secret key used when `AWS_SECRET_ACCESS_KEY` is not set in the environment.
pub const DEFAULT_SECRET_ACCESS_KEY: &str = "emulator-secret-key";
/// Account id of the default credential and of every ARN the emulator builds.
pub const DEFAULT_ACCOUNT_ID: &str = "111122223333";
/// Name of the default bucket.
pub const DEFAULT_BUCKET: &str = "demo";
/// Name of the default supporting access point (on bucket `demo`).
pub const DEFAULT_ACCESS_POINT: &str = "demo-ap";
/// The only region the emulator speaks; clients must sign for it.
pub const REGION: &str = "us-east-1";
/// Canonical user id of the account that owns every bucket (listings' `Owner`).
pub(crate) const DEFAULT_CANONICAL_USER_ID: &str =
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
/// Display name in listings' `Owner`.
pub(crate) const DEFAULT_OWNER_NAME: &str = "emulator";

/// Whole emulator configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Account id used in the access point ARNs (`configuration.accessPointArn` etc.).
    pub account_id: String,
    /// How long the emulator waits for a function's WriteGetObjectResponse (GET) or return
    /// value (HEAD/LIST) before answering `LambdaTimeout`. AWS: 60 000 ms.
    pub function_timeout_ms: u64,
    /// Expiry of the presigned `inputS3Url` handed to functions, in seconds.
    pub presign_expiry_secs: u64,
    /// Server access logs: a log object is written at least this often (ms) while records
    /// wait. S3 delivers within hours; the default is 5 000.
    pub access_log_flush_ms: u64,
    /// Server access logs: most records in one log object (a full batch is written at once).
    pub access_log_max_records: usize,
    /// Server access logs: records waiting for delivery at most; beyond it records are
    /// dropped and counted rather than slowing requests down.
    pub access_log_queue: usize,
    /// Credentials accepted by the endpoint (SigV4); each is also a caller identity.
    pub credentials: Vec<Credential>,
    /// Buckets created at start (existing data in the data directory is kept).
    pub buckets: Vec<BucketConfig>,
    /// Access points; each maps to a bucket and can be a supporting access point.
    pub access_points: Vec<AccessPointConfig>,
    /// Object Lambda Access Points, addressed path-style by name or alias as the bucket.
    pub object_lambda_access_points: Vec<OlapConfig>,
    /// Lambda's reserved concurrency per function name (a SAM function's
    /// `ReservedConcurrentExecutions`): an invocation beyond it is throttled, and the caller
    /// gets 503 `SlowDown` at once, as from AWS. `0` throttles every invocation. A function not
    /// listed is not limited here (see `--max-processes` for process-run functions).
    pub reserved_concurrency: BTreeMap<String, u32>,
    /// Most connections served at once; further clients wait in the listen backlog. Bounds
    /// the file descriptors and memory that many (or stalled) clients can take.
    pub max_connections: usize,
    /// A connection that has not sent a complete request head within this time (including
    /// an idle keep-alive connection) is closed: slow or stalled clients cannot hold
    /// connections open.
    pub header_read_timeout_ms: u64,
    /// Serve HTTPS on this address too (plain HTTP stays on the `--listen` address). With
    /// `tls_cert` and `tls_key` the emulator uses them; without, it generates a self-signed
    /// certificate into `<data-dir>/tls/` (reused by the next start). Functions are then given
    /// the HTTPS endpoint (and `AWS_CA_BUNDLE`, see the README).
    #[serde(default)]
    pub tls_listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain for `tls_listen` (with `tls_key`).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_listen` (with `tls_cert`).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// In-process (built-in) functions hand their `inputS3Url` fetch and their
    /// WriteGetObjectResponse to the emulator directly, with the same checks but without the
    /// HTTP framing and loopback copies (README: "In-process functions"). `false`: over the
    /// emulator's own socket, as a function in another process does.
    #[serde(default = "yes")]
    pub in_process_direct: bool,
}

fn yes() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Self {
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            function_timeout_ms: 60_000,
            presign_expiry_secs: 300,
            access_log_flush_ms: 5_000,
            access_log_max_records: 1_000,
            access_log_queue: 10_000,
            credentials: Vec::new(),
            buckets: Vec::new(),
            access_points: Vec::new(),
            object_lambda_access_points: Vec::new(),
            reserved_concurrency: BTreeMap::new(),
            max_connections: 1024,
            header_read_timeout_ms: 20_000,
            tls_listen: None,
            tls_cert: None,
            tls_key: None,
            in_process_direct: true,
        }
    }
}

/// One accepted credential and the IAM user it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Access key id (`AWS_ACCESS_KEY_ID` of the client).
    pub access_key_id: String,
    /// Secret access key (`AWS_SECRET_ACCESS_KEY` of the client).
    pub secret_access_key: String,
    /// IAM user name reported in `userIdentity` (default `emulator-user`).
    #[serde(default = "default_user_name")]
    pub user_name: String,
    /// Account id reported in `userIdentity` (default `111122223333`).
    #[serde(default = "default_account_id")]
    pub account_id: String,
    /// The user's IAM identity policy (JSON). Default: allow everything, as an account admin.
    #[serde(default)]
    pub policy: Option<String>,
}

fn default_user_name() -> String {
    "emulator-user".to_owned()
}

fn default_account_id() -> String {
    DEFAULT_ACCOUNT_ID.to_owned()
}

impl Credential {
    /// A credential with the default user name and account id.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            user_name: default_user_name(),
            account_id: default_account_id(),
            policy: None,
        }
    }

    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` from the environment when both are set,
    /// else [`DEFAULT_ACCESS_KEY_ID`] / [`DEFAULT_SECRET_ACCESS_KEY`].
    pub fn from_env_or_default() -> Self {
        match (
            std::env::var("AWS_ACCESS_KEY_ID"),
            std::env::var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Ok(ak), Ok(sk)) if !ak.is_empty() && !sk.is_empty() => Self::new(ak, sk),
            _ => Self::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY),
        }
    }

    /// IAM ARN of the user: `arn:aws:iam::<account>:user/<name>`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account_id, self.user_name)
    }

    /// Principal id reported in `userIdentity.principalId` (derived from the access key).
    pub fn principal_id(&self) -> String {
        format!("AIDA{}", self.access_key_id.to_ascii_uppercase())
    }
}

/// A bucket created at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    /// Bucket name (S3 naming rules).
    pub name: String,
    /// Directory whose files are uploaded into the bucket at start (key = relative path),
    /// unless an object of that key already exists.
    #[serde(default)]
    pub seed_dir: Option<PathBuf>,
    /// Upload the built-in sample objects (`report.csv`, `notes.txt`, `data.json`, ...).
    #[serde(default)]
    pub seed_samples: bool,
    /// Bucket policy (JSON), evaluated as S3 does for every request to the bucket.
    #[serde(default)]
    pub policy: Option<String>,
    /// `Enabled` or `Suspended` (PutBucketVersioning at start).
    #[serde(default)]
    pub versioning: Option<String>,
    /// Default encryption (PutBucketEncryption at start).
    #[serde(default)]
    pub encryption: Option<crate::settings::Encryption>,
    /// Object Lock, enabled when the bucket is created (S3 allows it only then), with an
    /// optional default retention.
    #[serde(default)]
    pub object_lock: Option<crate::settings::ObjectLock>,
    /// Server access logs to another bucket (PutBucketLogging at start).
    #[serde(default)]
    pub logging: Option<crate::settings::Logging>,
}

/// A (supporting) access point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPointConfig {
    /// Access point name.
    pub name: String,
    /// Bucket it gives access to.
    pub bucket: String,
    /// Access point policy (JSON).
    #[serde(default)]
    pub policy: Option<String>,
}

/// A request feature that an Object Lambda Access Point may allow (`AllowedFeatures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    /// Range header or query parameter on GetObject.
    #[serde(rename = "GetObject-Range")]
    GetObjectRange,
    /// partNumber on GetObject.
    #[serde(rename = "GetObject-PartNumber")]
    GetObjectPartNumber,
    /// Range on HeadObject.
    #[serde(rename = "HeadObject-Range")]
    HeadObjectRange,
    /// partNumber on HeadObject.
    #[serde(rename = "HeadObject-PartNumber")]
    HeadObjectPartNumber,
}

impl Feature {
    /// All four features.
    pub const ALL: [Feature; 4] = [
        Feature::GetObjectRange,
        Feature::GetObjectPartNumber,
        Feature::HeadObjectRange,
        Feature::HeadObjectPartNumber,
    ];
}

/// An S3 action an Object Lambda Access Point routes to its function
/// (`TransformationConfigurations[].Actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// GetObject → `getObjectContext`, answered by WriteGetObjectResponse.
    GetObject,
    /// HeadObject → `headObjectContext`, answered by the return value.
    HeadObject,
    /// ListObjects (V1) → `listObjectsContext`.
    ListObjects,
    /// ListObjectsV2 → `listObjectsV2Context`.
    ListObjectsV2,
}

impl Action {
    /// All four actions.
    pub const ALL: [Action; 4] = [
        Action::GetObject,
        Action::HeadObject,
        Action::ListObjects,
        Action::ListObjectsV2,
    ];
}

/// An Object Lambda Access Point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OlapConfig {
    /// Name; the path-style "bucket" clients use (`GET /<name>/<key>`).
    pub name: String,
    /// Optional alias, usable in place of the name.
    #[serde(default)]
    pub alias: Option<String>,
    /// Name of the supporting access point (see `access_points`).
    pub supporting_access_point: String,
    /// Name of the function (registered with `EmulatorBuilder::function`).
    pub function: String,
    /// `configuration.payload` handed to the function (opaque string, usually JSON).
    #[serde(default)]
    pub payload: String,
    /// Allowed features; Range/partNumber without the feature → 501 NotImplemented.
    #[serde(default)]
    pub allowed_features: Vec<Feature>,
    /// Actions routed to the function; other requests pass through to the supporting bucket.
    #[serde(default = "all_actions")]
    pub actions: Vec<Action>,
    /// Object Lambda Access Point policy (JSON).
    #[serde(default)]
    pub policy: Option<String>,
}

fn all_actions() -> Vec<Action> {
    Action::ALL.to_vec()
}

impl OlapConfig {
    /// The built-in default for a function: named after it, on `demo-ap`, all features, all actions.
    pub fn default_for(function: &str) -> Self {
        Self {
            name: function.to_owned(),
            alias: None,
            supporting_access_point: DEFAULT_ACCESS_POINT.to_owned(),
            function: function.to_owned(),
            payload: "{}".to_owned(),
            allowed_features: Feature::ALL.to_vec(),
            actions: all_actions(),
            policy: None,
        }
    }

    /// Whether `feature` is allowed.
    pub fn allows(&self, feature: Feature) -> bool {
        self.allowed_features.contains(&feature)
    }

    /// Whether `action` is routed to the function.
    pub fn routes(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }
}

/// A configuration problem, naming the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File path.
        path: PathBuf,
        /// I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("invalid config: {0}")]
    Parse(#[from] toml::de::Error),
    /// A semantic problem.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl Config {
    /// The built-in default: the caller's credential ([`Credential::from_env_or_default`]),
    /// bucket `demo` with the sample objects, access point `demo-ap`, and one Object Lambda
    /// Access Point per function, named after it (all features, all actions).
    pub fn default_for(functions: &[&str]) -> Self {
        Self {
            credentials: vec![Credential::from_env_or_default()],
            buckets: vec![BucketConfig {
                name: DEFAULT_BUCKET.to_owned(),
                seed_samples: true,
                ..BucketConfig::default()
            }],
            access_points: vec![AccessPointConfig {
                policy: None,
                name: DEFAULT_ACCESS_POINT.to_owned(),
                bucket: DEFAULT_BUCKET.to_owned(),
            }],
            object_lambda_access_points: functions
                .iter()
                .map(|f| OlapConfig::default_for(f))
                .collect(),
            ..Self::default()
        }
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// Reads and parses a TOML file; a relative `seed_dir` is resolved against the file's folder.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::from_toml(&text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for bucket in &mut config.buckets {
            if let Some(dir) = &mut bucket.seed_dir
                && dir.is_relative()
            {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// The first credential: the one the built-in default and tests use.
    pub fn primary_credential(&self) -> Option<&Credential> {
        self.credentials.first()
    }

    /// Looks up a credential by access key id.
    pub fn credential(&self, access_key_id: &str) -> Option<&Credential> {
        self.credentials
            .iter()
            .find(|c| c.access_key_id == access_key_id)
    }

    /// The bucket behind an access point.
    pub fn access_point_bucket(&self, access_point: &str) -> Option<&str> {
        self.access_points
            .iter()
            .find(|ap| ap.name == access_point)
            .map(|ap| ap.bucket.as_str())
    }

    /// The Object Lambda Access Point with this name or alias.
    pub fn olap(&self, name_or_alias: &str) -> Option<&OlapConfig> {
        self.object_lambda_access_points
            .iter()
            .find(|o| o.name == name_or_alias || o.alias.as_deref() == Some(name_or_alias))
    }

    /// Checks cross references and names; the error names the bad entry.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |msg: String| Err(ConfigError::Invalid(msg));
        if self.credentials.is_empty() {
            return bad("at least one entry in `credentials` is required".into());
        }
        if self.function_timeout_ms == 0 {
            return bad("`function_timeout_ms` must be > 0".into());
        }
        if self.presign_expiry_secs == 0 || self.presign_expiry_secs > 604_800 {
            return bad("`presign_expiry_secs` must be in 1..=604800".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("`tls_cert` and `tls_key` go together".into());
        }
        if self.tls_cert.is_some() && self.tls_listen.is_none() {
            return bad("`tls_cert`/`tls_key` need `tls_listen` (the HTTPS address)".into());
        }
        crate::settings::check(self)?;
        let mut names = HashSet::new();
        for b in &self.buckets {
            check_name("buckets.name", &b.name)?;
            if !names.insert(b.name.as_str()) {
                return bad(format!("duplicate name `{}`", b.name));
            }
        }
        for ap in &self.access_points {
            check_name("access_points.name", &ap.name)?;
            if !names.insert(ap.name.as_str()) {
                return bad(format!("duplicate name `{}`", ap.name));
            }
            if !self.buckets.iter().any(|b| b.name == ap.bucket) {
                return bad(format!(
                    "access point `{}`: unknown bucket `{}`",
                    ap.name, ap.bucket
                ));
            }
        }
        for o in &self.object_lambda_access_points {
            check_name("object_lambda_access_points.name", &o.name)?;
            if !names.insert(o.name.as_str()) {
                return bad(format!("duplicate name `{}`", o.name));
            }
            if let Some(alias) = &o.alias {
                check_name("object_lambda_access_points.alias", alias)?;
                if !names.insert(alias.as_str()) {
                    return bad(format!("duplicate name `{alias}`"));
                }
            }
            if self
                .access_point_bucket(&o.supporting_access_point)
                .is_none()
            {
                return bad(format!(
                    "object lambda access point `{}`: unknown supporting_access_point `{}`",
                    o.name, o.supporting_access_point
                ));
            }
        }
        for name in self.reserved_concurrency.keys() {
            if !self
                .object_lambda_access_points
                .iter()
                .any(|o| &o.function == name)
            {
                return bad(format!(
                    "`reserved_concurrency.{name}`: no object lambda access point uses function `{name}`"
                ));
            }
        }
        Ok(())
    }
}

/// S3 bucket naming rules (lower case letters, digits, `-` and `.`; 3–63 characters), which
/// also keep every name usable as a path-style bucket.
fn check_name(key: &str, name: &str) -> Result<(), ConfigError> {
    let ok = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(ConfigError::Invalid(format!(
            "`{key}` = `{name}` is not a valid bucket name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_routes_everything() {
        let c = Config::default_for(&["passthrough", "xml-to-json"]);
        c.validate().unwrap();
        let o = c.olap("passthrough").unwrap();
        assert_eq!(o.supporting_access_point, "demo-ap");
        assert!(Feature::ALL.iter().all(|f| o.allows(*f)));
        assert!(Action::ALL.iter().all(|a| o.routes(*a)));
        assert_eq!(c.access_point_bucket("demo-ap"), Some("demo"));
    }

    #[test]
    fn parses_documented_toml() {
        let c = Config::from_toml(
            r#"
function_timeout_ms = 500
[[credentials]]
access_key_id = "AK"
secret_access_key = "SK"
user_name = "alice"
[[buckets]]
name = "data"
[[access_points]]
name = "data-ap"
bucket = "data"
[[object_lambda_access_points]]
name = "upper"
alias = "upper-abc--ol-s3"
supporting_access_point = "data-ap"
function = "upper"
payload = '{"a":1}'
allowed_features = ["GetObject-Range"]
actions = ["GetObject"]
"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.function_timeout_ms, 500);
        assert_eq!(c.olap("upper-abc--ol-s3").unwrap().name, "upper");
        assert_eq!(c.credentials[0].account_id, DEFAULT_ACCOUNT_ID);
        assert!(c.olap("upper").unwrap().allows(Feature::GetObjectRange));
        assert!(!c.olap("upper").unwrap().routes(Action::HeadObject));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_refs() {
        assert!(Config::from_toml("bogus = 1").is_err());
        let mut c = Config::default_for(&["fun"]);
        c.object_lambda_access_points[0].supporting_access_point = "nope".into();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("nope"), "{err}");
    }
}
