//! Reads a SAM / CloudFormation template (the repository's `template.yaml`) into a [`Config`],
//! so the same file drives the deployment and the local run.
//!
//! What is taken from the template:
//!
//! | template | emulator |
//! |---|---|
//! | `AWS::S3::Bucket` | a bucket named `BucketName`, or the logical id lower-cased (`DataBucket` → `databucket`), seeded with the built-in samples |
//! | `AWS::S3::AccessPoint` (`Name`, `Bucket`) | an access point (no `Name`: the logical id lower-cased) |
//! | `AWS::S3ObjectLambda::AccessPoint` | an Object Lambda Access Point: `Name`, `SupportingAccessPoint` (ARN or name), `AllowedFeatures`, `TransformationConfigurations[].Actions`, `ContentTransformation.AwsLambda.FunctionArn` and `FunctionPayload`; alias `<name>-<6 hex>--ol-s3` |
//! | `AWS::Serverless::Function` | a [`TemplateFunction`]: its name is `Metadata.BuildProperties.Binary`, else the last segment of `CodeUri` (`functions/pii-redactor` → `pii-redactor`, the cargo binary name), else `FunctionName`, else the logical id lower-cased; `Timeout`, `MemorySize`, `Environment.Variables`, `LoggingConfig` (with `Globals.Function`) |
//! | `ReservedConcurrentExecutions` of a function an access point uses | [`Config::reserved_concurrency`]: invocations beyond it get 503 `SlowDown` |
//! | the largest `Timeout` of the functions the access points use | `function_timeout_ms` |
//!
//! Bucket settings (versioning, default encryption, Object Lock, server access logging) are
//! read by [`crate::template_buckets`].
//!
//! Everything else (policies, outputs) is ignored, and intrinsic functions are
//! only resolved where the emulator reads a value, so an unsupported intrinsic elsewhere is
//! harmless. Parameters take their `Default`, unless overridden. Resources whose `Condition`
//! is false are skipped. Pseudo parameters: `AWS::AccountId` is the configuration's account
//! id (`111122223333`), `AWS::Region` `us-east-1`, `AWS::Partition` `aws`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use crate::config::{
    AccessPointConfig, Action, BucketConfig, Config, Credential, Feature, OlapConfig, REGION,
};
pub use crate::intrinsics::TemplateError;
use crate::intrinsics::{Lookup, PARTITION, Resolver, scalar_string, yaml_to_json};

/// SAM's default function timeout (seconds) when neither the function nor `Globals` sets one.
const SAM_DEFAULT_TIMEOUT_SECS: u64 = 3;
/// SAM's default memory size (MB).
const SAM_DEFAULT_MEMORY_MB: u32 = 128;

/// A function of the template (`AWS::Serverless::Function`), as the emulator runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateFunction {
    /// Logical id in the template (`PiiRedactorFunction`).
    pub logical_id: String,
    /// The emulator's function name (see the module docs), e.g. `pii-redactor`.
    pub name: String,
    /// `CodeUri`, if it is a path.
    pub code_uri: Option<String>,
    /// `MemorySize` (MB); SAM's default 128.
    pub memory_mb: u32,
    /// `Timeout` (seconds); SAM's default 3.
    pub timeout_secs: u64,
    /// `Environment.Variables`.
    pub environment: BTreeMap<String, String>,
    /// `LoggingConfig.LogFormat` (`Text` or `JSON`).
    pub log_format: Option<String>,
    /// `LoggingConfig.ApplicationLogLevel`.
    pub log_level: Option<String>,
    /// `ReservedConcurrentExecutions`: invocations beyond it are throttled (503 `SlowDown`).
    pub reserved_concurrency: Option<u32>,
}

/// A template read into an emulator configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Template {
    /// The configuration: buckets, access points and Object Lambda Access Points of the
    /// template; credentials from [`Credential::from_env_or_default`].
    pub config: Config,
    /// Every `AWS::Serverless::Function` (whether an access point uses it or not).
    pub functions: Vec<TemplateFunction>,
}

impl Template {
    /// Reads a template file. `overrides` replace parameter defaults (`Name`, `value`).
    pub fn from_file(path: &Path, overrides: &[(String, String)]) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, overrides)
    }

    /// Parses template text. `overrides` replace parameter defaults (`Name`, `value`).
    pub fn parse(text: &str, overrides: &[(String, String)]) -> Result<Self, TemplateError> {
        let doc = yaml_to_json(serde_yaml_ng::from_str(text)?)?;
        let sam = Sam::new(&doc)?;
        let parameters = parameters(&doc, overrides)?;
        let conditions = section(&doc, "Conditions")?.clone();
        let config = Config {
            credentials: vec![Credential::from_env_or_default()],
            ..Config::default()
        };
        let resolver = Resolver::new(parameters, &config.account_id, REGION, conditions, &sam);
        sam.build(&resolver, config)
    }

    /// The function with this emulator name.
    pub fn function(&self, name: &str) -> Option<&TemplateFunction> {
        self.functions.iter().find(|f| f.name == name)
    }
}

fn section<'d>(doc: &'d Value, key: &str) -> Result<&'d Map<String, Value>, TemplateError> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match doc.get(key) {
        None | Some(Value::Null) => Ok(EMPTY.get_or_init(Map::new)),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(TemplateError::invalid(format!("`{key}` must be a mapping"))),
    }
}

/// Parameter values: `Default`, replaced by `overrides`; a parameter without either is an error
/// only when referenced (then "neither a parameter nor a resource").
fn parameters(
    doc: &Value,
    overrides: &[(String, String)],
) -> Result<HashMap<String, Value>, TemplateError> {
    let declared = section(doc, "Parameters")?;
    let mut out = HashMap::new();
    for (name, decl) in declared {
        if let Some(default) = decl.get("Default") {
            out.insert(name.clone(), default.clone());
        }
    }
    for (name, value) in overrides {
        if !declared.contains_key(name) {
            return Err(TemplateError::invalid(format!(
                "parameter override `{name}`: no such parameter"
            )));
        }
        out.insert(name.clone(), Value::String(value.clone()));
    }
    Ok(out)
}

/// One resource of the template.
struct Resource<'d> {
    kind: &'d str,
    properties: Map<String, Value>,
    metadata: Option<&'d Value>,
    condition: Option<&'d str>,
}

/// The resources, with `Globals.Function` merged into each serverless function.
struct Sam<'d> {
    resources: BTreeMap<&'d str, Resource<'d>>,
}

const BUCKET: &str = "AWS::S3::Bucket";
const ACCESS_POINT: &str = "AWS::S3::AccessPoint";
const OLAP: &str = "AWS::S3ObjectLambda::AccessPoint";
const FUNCTION: &str = "AWS::Serverless::Function";

impl<'d> Sam<'d> {
    fn new(doc: &'d Value) -> Result<Self, TemplateError> {
        let globals = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(Value::as_object);
        let mut resources = BTreeMap::new();
        for (id, r) in section(doc, "Resources")? {
            let kind = r
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| TemplateError::invalid(format!("resource `{id}` has no Type")))?;
            let mut properties = match r.get("Properties") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(p)) => p.clone(),
                Some(_) => {
                    return Err(TemplateError::invalid(format!(
                        "{id}: Properties must be a mapping"
                    )));
                }
            };
            if kind == FUNCTION
                && let Some(globals) = globals
            {
                properties = merge_globals(globals, properties);
            }
            resources.insert(
                id.as_str(),
                Resource {
                    kind,
                    properties,
                    metadata: r.get("Metadata"),
                    condition: r.get("Condition").and_then(Value::as_str),
                },
            );
        }
        Ok(Self { resources })
    }

    fn of_kind(
        &self,
        resolver: &Resolver<'_>,
        kind: &str,
    ) -> Result<Vec<(&'d str, &Resource<'d>)>, TemplateError> {
        let mut out = Vec::new();
        for (id, r) in &self.resources {
            if r.kind != kind {
                continue;
            }
            if let Some(c) = r.condition
                && !resolver.named_condition(c).map_err(|e| e.at(id))?
            {
                continue;
            }
            out.push((*id, r));
        }
        Ok(out)
    }

    fn build(
        &self,
        resolver: &Resolver<'_>,
        mut config: Config,
    ) -> Result<Template, TemplateError> {
        for (id, r) in self.of_kind(resolver, BUCKET)? {
            let mut bucket = BucketConfig {
                name: self.name_of(resolver, id)?,
                seed_samples: true,
                ..BucketConfig::default()
            };
            crate::template_buckets::read(resolver, &r.properties, &mut bucket)
                .map_err(|e| e.at(id))?;
            config.buckets.push(bucket);
        }
        crate::template_buckets::log_targets_start_empty(&mut config.buckets);
        for (id, r) in self.of_kind(resolver, ACCESS_POINT)? {
            let bucket = prop(r, "Bucket")
                .ok_or_else(|| TemplateError::invalid(format!("{id}: Bucket is required")))?;
            config.access_points.push(AccessPointConfig {
                policy: None,
                name: self.name_of(resolver, id)?,
                bucket: resolver.resolve_string(bucket, &format!("{id}.Bucket"))?,
            });
        }
        let mut functions = Vec::new();
        for (id, r) in self.of_kind(resolver, FUNCTION)? {
            functions.push(self.function(resolver, id, r).map_err(|e| e.at(id))?);
        }
        let mut timeout_secs = None::<u64>;
        for (id, r) in self.of_kind(resolver, OLAP)? {
            let olap = self.olap(resolver, id, r).map_err(|e| e.at(id))?;
            if let Some(f) = functions
                .iter()
                .find(|f: &&TemplateFunction| f.name == olap.function)
            {
                timeout_secs = Some(timeout_secs.unwrap_or(0).max(f.timeout_secs));
                if let Some(n) = f.reserved_concurrency {
                    config.reserved_concurrency.insert(f.name.clone(), n);
                }
            }
            config.object_lambda_access_points.push(olap);
        }
        if let Some(secs) = timeout_secs {
            config.function_timeout_ms = secs.saturating_mul(1000);
        }
        config.validate()?;
        Ok(Template { config, functions })
    }

    /// `Ref` of a named resource: its name.
    fn name_of(&self, resolver: &Resolver<'_>, id: &str) -> Result<String, TemplateError> {
        let r = self
            .resources
            .get(id)
            .ok_or_else(|| TemplateError::invalid(format!("no resource `{id}`")))?;
        resolver.guard(id, || {
            let explicit = match r.kind {
                BUCKET => prop(r, "BucketName"),
                ACCESS_POINT | OLAP => prop(r, "Name"),
                FUNCTION => return self.function_name(resolver, id, r),
                _ => return Ok(id.to_owned()),
            };
            match explicit {
                Some(v) => resolver.resolve_string(v, &format!("{id} name")),
                None => Ok(id.to_ascii_lowercase()),
            }
        })
    }

    fn function_name(
        &self,
        resolver: &Resolver<'_>,
        id: &str,
        r: &Resource<'_>,
    ) -> Result<String, TemplateError> {
        if let Some(binary) = r
            .metadata
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
        {
            return resolver
                .resolve_string(binary, &format!("{id}.Metadata.BuildProperties.Binary"));
        }
        if let Some(uri) = prop(r, "CodeUri")
            && let Some(Value::String(uri)) = resolver.resolve(uri)?
            && let Some(last) = uri.trim_end_matches('/').rsplit('/').next()
            && !last.is_empty()
            && last != "."
        {
            return Ok(last.to_owned());
        }
        if let Some(name) = prop(r, "FunctionName") {
            return resolver.resolve_string(name, &format!("{id}.FunctionName"));
        }
        Ok(id.to_ascii_lowercase())
    }

    fn function(
        &self,
        resolver: &Resolver<'_>,
        id: &str,
        r: &Resource<'_>,
    ) -> Result<TemplateFunction, TemplateError> {
        let number = |key: &str, default: u64| -> Result<u64, TemplateError> {
            match prop(r, key) {
                None => Ok(default),
                Some(v) => {
                    let s = resolver.resolve_string(v, key)?;
                    s.parse().map_err(|_| {
                        TemplateError::invalid(format!("{key}: `{s}` is not a whole number"))
                    })
                }
            }
        };
        let mut environment = BTreeMap::new();
        if let Some(env) = prop(r, "Environment")
            && let Some(Value::Object(env)) = resolver.resolve(env)?
            && let Some(Value::Object(vars)) = env.get("Variables")
        {
            for (k, v) in vars {
                let v = scalar_string(v).ok_or_else(|| {
                    TemplateError::invalid(format!("Environment.Variables.{k}: expected a string"))
                })?;
                environment.insert(k.clone(), v);
            }
        }
        let logging = match prop(r, "LoggingConfig") {
            Some(v) => resolver.resolve(v)?,
            None => None,
        };
        let log = |key: &str| {
            logging
                .as_ref()
                .and_then(|l| l.get(key))
                .and_then(scalar_string)
        };
        let code_uri = match prop(r, "CodeUri") {
            Some(v) => resolver
                .resolve(v)?
                .as_ref()
                .and_then(Value::as_str)
                .map(str::to_owned),
            None => None,
        };
        Ok(TemplateFunction {
            logical_id: id.to_owned(),
            name: self.name_of(resolver, id)?,
            code_uri,
            memory_mb: u32::try_from(number("MemorySize", u64::from(SAM_DEFAULT_MEMORY_MB))?)
                .map_err(|_| TemplateError::invalid("MemorySize is too large"))?,
            timeout_secs: number("Timeout", SAM_DEFAULT_TIMEOUT_SECS)?,
            environment,
            log_format: log("LogFormat"),
            log_level: log("ApplicationLogLevel"),
            reserved_concurrency: match prop(r, "ReservedConcurrentExecutions") {
                None => None,
                Some(_) => Some(
                    u32::try_from(number("ReservedConcurrentExecutions", 0)?).map_err(|_| {
                        TemplateError::invalid("ReservedConcurrentExecutions is too large")
                    })?,
                ),
            },
        })
    }

    fn olap(
        &self,
        resolver: &Resolver<'_>,
        id: &str,
        r: &Resource<'_>,
    ) -> Result<OlapConfig, TemplateError> {
        let name = self.name_of(resolver, id)?;
        let conf = prop(r, "ObjectLambdaConfiguration")
            .ok_or_else(|| TemplateError::invalid("ObjectLambdaConfiguration is required"))?;
        let conf = resolver.resolve_required(conf, "ObjectLambdaConfiguration")?;
        let supporting = conf
            .get("SupportingAccessPoint")
            .and_then(scalar_string)
            .ok_or_else(|| TemplateError::invalid("SupportingAccessPoint is required"))?;
        // An access point ARN (`arn:aws:s3:region:account:accesspoint/NAME`) or a bare name.
        let supporting = match supporting.rsplit_once(":accesspoint/") {
            Some((_, name)) => name.to_owned(),
            None => supporting,
        };
        let allowed_features: Vec<Feature> = match conf.get("AllowedFeatures") {
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| TemplateError::invalid(format!("AllowedFeatures: {e}")))?,
            None => Vec::new(),
        };
        let configs = conf
            .get("TransformationConfigurations")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| TemplateError::invalid("TransformationConfigurations is required"))?;
        let mut function: Option<(String, String)> = None;
        let mut actions: Vec<Action> = Vec::new();
        for c in configs {
            let lambda = c
                .get("ContentTransformation")
                .and_then(|t| t.get("AwsLambda"))
                .ok_or_else(|| {
                    TemplateError::invalid("ContentTransformation.AwsLambda is required")
                })?;
            let arn = lambda
                .get("FunctionArn")
                .and_then(scalar_string)
                .ok_or_else(|| TemplateError::invalid("FunctionArn is required"))?;
            let fname = function_name_of_arn(&arn);
            let payload = match lambda.get("FunctionPayload") {
                None | Some(Value::Null) => String::new(),
                Some(v) => scalar_string(v).unwrap_or_else(|| v.to_string()),
            };
            match &function {
                Some((f, _)) if *f != fname => {
                    return Err(TemplateError::invalid(format!(
                        "the emulator runs one function per Object Lambda Access Point (`{f}` and `{fname}`)"
                    )));
                }
                Some(_) => {}
                None => function = Some((fname, payload)),
            }
            let these: Vec<Action> =
                serde_json::from_value(c.get("Actions").cloned().unwrap_or(Value::Null))
                    .map_err(|e| TemplateError::invalid(format!("Actions: {e}")))?;
            for a in these {
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
        }
        let (function, payload) = function
            .ok_or_else(|| TemplateError::invalid("TransformationConfigurations is required"))?;
        let alias = alias_for(&name);
        Ok(OlapConfig {
            policy: None,
            name,
            alias: Some(alias),
            supporting_access_point: supporting,
            function,
            payload,
            allowed_features,
            actions,
        })
    }
}

impl Lookup for Sam<'_> {
    fn resource_ref(
        &self,
        resolver: &Resolver<'_>,
        id: &str,
    ) -> Option<Result<Value, TemplateError>> {
        self.resources.get(id)?;
        Some(self.name_of(resolver, id).map(Value::String))
    }

    fn resource_attr(
        &self,
        resolver: &Resolver<'_>,
        id: &str,
        attr: &str,
    ) -> Option<Result<Value, TemplateError>> {
        let r = self.resources.get(id)?;
        let attr_of = || -> Result<String, TemplateError> {
            let name = self.name_of(resolver, id)?;
            let (region, account) = (&resolver.region, &resolver.account_id);
            Ok(match (r.kind, attr) {
                (BUCKET, "Arn") => format!("arn:{PARTITION}:s3:::{name}"),
                (BUCKET, "DomainName") => format!("{name}.s3.amazonaws.com"),
                (BUCKET, "RegionalDomainName") => format!("{name}.s3.{region}.amazonaws.com"),
                (ACCESS_POINT, "Arn") => {
                    format!("arn:{PARTITION}:s3:{region}:{account}:accesspoint/{name}")
                }
                (ACCESS_POINT | OLAP, "Name") => name,
                (OLAP, "Arn") => format!(
                    "arn:{PARTITION}:s3-object-lambda:{region}:{account}:accesspoint/{name}"
                ),
                (OLAP, "Alias.Value" | "Alias") => alias_for(&name),
                (OLAP, "Alias.Status") => "READY".to_owned(),
                (FUNCTION, "Arn") => {
                    format!("arn:{PARTITION}:lambda:{region}:{account}:function:{name}")
                }
                (kind, _) => {
                    return Err(TemplateError::invalid(format!(
                        "Fn::GetAtt {id}.{attr} ({kind}) is not supported by the emulator"
                    )));
                }
            })
        };
        Some(attr_of().map(Value::String))
    }
}

/// A property of a resource.
fn prop<'r>(r: &'r Resource<'_>, key: &str) -> Option<&'r Value> {
    r.properties.get(key).filter(|v| !v.is_null())
}

/// `Globals.Function` under the function's own properties; `Environment.Variables` are merged
/// key by key, as SAM does.
fn merge_globals(globals: &Map<String, Value>, own: Map<String, Value>) -> Map<String, Value> {
    let mut out = globals.clone();
    for (k, v) in own {
        if k == "Environment"
            && let (Some(Value::Object(g)), Value::Object(o)) = (out.get("Environment"), &v)
            && let (Some(Value::Object(gv)), Some(Value::Object(ov))) =
                (g.get("Variables"), o.get("Variables"))
        {
            let mut vars = gv.clone();
            vars.extend(ov.clone());
            let mut env = o.clone();
            env.insert("Variables".to_owned(), Value::Object(vars));
            out.insert(k, Value::Object(env));
            continue;
        }
        out.insert(k, v);
    }
    out
}

/// `arn:aws:lambda:region:account:function:NAME[:qualifier]` → `NAME`; anything else as is
/// (a bare function name).
fn function_name_of_arn(arn: &str) -> String {
    match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => arn.to_owned(),
    }
}

/// A stable alias in AWS's shape: `<name>-<6 hex>--ol-s3`.
fn alias_for(name: &str) -> String {
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(name.as_bytes()));
    format!("{name}-{}--ol-s3", &digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
Parameters:
  ApName: {Type: String, Default: my-ap}
  Mem: {Type: Number, Default: 512}
  Payload: {Type: String, Default: '{"a":1}'}
Conditions:
  Never: !Equals [a, b]
Globals:
  Function:
    Timeout: 30
    Environment: {Variables: {A: "1", B: "2"}}
Resources:
  Store:
    Type: AWS::S3::Bucket
  Named:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Sub "named-${AWS::AccountId}"}
  Skipped:
    Type: AWS::S3::Bucket
    Condition: Never
  Ap:
    Type: AWS::S3::AccessPoint
    Properties: {Bucket: !Ref Store, Name: !Ref ApName}
  Fn1:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/upper/
      MemorySize: !Ref Mem
      Timeout: 45
      ReservedConcurrentExecutions: 2
      Environment: {Variables: {B: "3"}}
      LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: DEBUG}
  Fn2:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: other}}
    Properties: {CodeUri: functions/x}
  Olap:
    Type: AWS::S3ObjectLambda::AccessPoint
    Properties:
      Name: upper
      ObjectLambdaConfiguration:
        SupportingAccessPoint: !GetAtt Ap.Arn
        AllowedFeatures: [GetObject-Range]
        TransformationConfigurations:
          - Actions: [GetObject]
            ContentTransformation:
              AwsLambda: {FunctionArn: !GetAtt Fn1.Arn, FunctionPayload: !Ref Payload}
          - Actions: [HeadObject, GetObject]
            ContentTransformation:
              AwsLambda: {FunctionArn: !Sub "${Fn1.Arn}:$LATEST"}
"#;

    #[test]
    fn reads_resources_and_resolves_names() {
        let t = Template::parse(MINI, &[]).unwrap();
        let c = &t.config;
        let buckets: Vec<_> = c.buckets.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(buckets, ["named-111122223333", "store"]);
        assert!(c.buckets.iter().all(|b| b.seed_samples));
        assert_eq!(c.access_point_bucket("my-ap"), Some("store"));
        let o = c.olap("upper").unwrap();
        assert_eq!(o.supporting_access_point, "my-ap");
        assert_eq!(o.function, "upper");
        assert_eq!(o.payload, r#"{"a":1}"#);
        assert_eq!(o.allowed_features, [Feature::GetObjectRange]);
        assert_eq!(o.actions, [Action::GetObject, Action::HeadObject]);
        let alias = o.alias.clone().unwrap();
        assert!(
            alias.starts_with("upper-") && alias.ends_with("--ol-s3"),
            "{alias}"
        );
        assert_eq!(c.olap(&alias).unwrap().name, "upper");
        assert_eq!(c.function_timeout_ms, 45_000);

        let f = t.function("upper").unwrap();
        assert_eq!(f.logical_id, "Fn1");
        assert_eq!(f.memory_mb, 512);
        assert_eq!(f.timeout_secs, 45);
        assert_eq!(f.environment.get("A").map(String::as_str), Some("1"));
        assert_eq!(f.environment.get("B").map(String::as_str), Some("3"));
        assert_eq!(f.log_format.as_deref(), Some("JSON"));
        assert_eq!(f.log_level.as_deref(), Some("DEBUG"));
        assert_eq!(f.reserved_concurrency, Some(2));
        assert_eq!(c.reserved_concurrency.get("upper"), Some(&2));
        let f2 = t.function("other").unwrap();
        assert_eq!((f2.memory_mb, f2.timeout_secs), (128, 30));
        assert_eq!(f2.reserved_concurrency, None);
        // `other` backs no access point, so nothing limits it in the emulator.
        assert_eq!(c.reserved_concurrency.len(), 1);
    }

    #[test]
    fn overrides_replace_defaults() {
        let t = Template::parse(
            MINI,
            &[
                ("ApName".into(), "other-ap".into()),
                ("Mem".into(), "1024".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            t.config.olap("upper").unwrap().supporting_access_point,
            "other-ap"
        );
        assert_eq!(t.function("upper").unwrap().memory_mb, 1024);
        let err = Template::parse(MINI, &[("Nope".into(), "x".into())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("Nope"), "{err}");
    }

    #[test]
    fn errors_name_the_resource() {
        let bad = MINI.replace(
            "FunctionArn: !GetAtt Fn1.Arn",
            "FunctionArn: !GetAtt Fn1.Nope",
        );
        let err = Template::parse(&bad, &[]).unwrap_err().to_string();
        assert!(err.contains("Olap") && err.contains("Fn1.Nope"), "{err}");
        let two = MINI.replace("${Fn1.Arn}:$LATEST", "${Fn2.Arn}");
        let err = Template::parse(&two, &[]).unwrap_err().to_string();
        assert!(err.contains("one function"), "{err}");
        assert!(Template::parse("Resources: [", &[]).is_err());
    }

    #[test]
    fn function_names_from_arns() {
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:us-east-1:1:function:f"),
            "f"
        );
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:us-east-1:1:function:f:$LATEST"),
            "f"
        );
        assert_eq!(function_name_of_arn("plain"), "plain");
    }
}
