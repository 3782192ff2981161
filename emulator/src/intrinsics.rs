//! CloudFormation intrinsic functions, as far as a SAM template for the emulator needs them.
//!
//! The YAML is first turned into JSON with every short form (`!Ref X`, `!GetAtt A.B`,
//! `!Sub ...`) rewritten to its long form (`{"Ref": "X"}`, `{"Fn::GetAtt": "A.B"}`,
//! `{"Fn::Sub": ...}`), so the resolver only knows the long forms. Supported: `Ref`
//! (parameters, pseudo parameters, resources), `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::If`,
//! `Fn::Not`, `Fn::Equals`, `Fn::And`, `Fn::Or`, `Condition`, `Fn::Join`, `Fn::Select` and
//! `AWS::NoValue`. What a resource's `Ref` or attribute is comes from a [`Lookup`] (the
//! template module), so this file knows nothing about resource types.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::config::ConfigError;

/// Why a template could not be turned into a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File path.
        path: PathBuf,
        /// I/O error.
        source: std::io::Error,
    },
    /// The YAML is malformed.
    #[error("invalid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    /// The template uses something the emulator cannot resolve, or is inconsistent.
    #[error("template: {0}")]
    Invalid(String),
    /// The resulting configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl TemplateError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }

    pub(crate) fn at(self, context: &str) -> Self {
        match self {
            Self::Invalid(m) => Self::Invalid(format!("{context}: {m}")),
            other => other,
        }
    }
}

/// Region, partition and URL suffix of every pseudo parameter the emulator answers.
pub(crate) const PARTITION: &str = "aws";

/// Converts YAML to JSON, turning short-form intrinsics (`!Ref X`) into their long form
/// (`{"Ref": "X"}`). `!Condition X` becomes `{"Condition": "X"}`; any other `!Name` becomes
/// `{"Fn::Name": ...}`.
pub(crate) fn yaml_to_json(yaml: serde_yaml_ng::Value) -> Result<Value, TemplateError> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(
            seq.into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(TemplateError::invalid(format!(
                            "unsupported mapping key {other:?}"
                        )));
                    }
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                _ => format!("Fn::{name}"),
            };
            let mut out = Map::new();
            out.insert(key, yaml_to_json(tagged.value)?);
            Value::Object(out)
        }
    })
}

/// What the resolver needs from the template about resources.
pub(crate) trait Lookup {
    /// `Ref` of a resource (`None`: no such resource).
    fn resource_ref(
        &self,
        resolver: &Resolver<'_>,
        logical_id: &str,
    ) -> Option<Result<Value, TemplateError>>;
    /// `Fn::GetAtt` of a resource (`None`: no such resource).
    fn resource_attr(
        &self,
        resolver: &Resolver<'_>,
        logical_id: &str,
        attribute: &str,
    ) -> Option<Result<Value, TemplateError>>;
}

/// Resolves intrinsic functions against parameters, pseudo parameters, conditions and the
/// resources of one template.
pub(crate) struct Resolver<'a> {
    /// Parameter values (defaults, then overrides).
    pub(crate) parameters: HashMap<String, Value>,
    /// `AWS::AccountId`.
    pub(crate) account_id: String,
    /// `AWS::Region`.
    pub(crate) region: String,
    /// `AWS::StackName`.
    pub(crate) stack_name: String,
    /// The template's `Conditions` section.
    pub(crate) conditions: Map<String, Value>,
    /// Resource lookups.
    pub(crate) lookup: &'a dyn Lookup,
    /// Conditions / resources being evaluated (cycle guard).
    visiting: RefCell<HashSet<String>>,
}

impl<'a> Resolver<'a> {
    /// A resolver; parameters must already hold their final values.
    pub(crate) fn new(
        parameters: HashMap<String, Value>,
        account_id: &str,
        region: &str,
        conditions: Map<String, Value>,
        lookup: &'a dyn Lookup,
    ) -> Self {
        Self {
            parameters,
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            stack_name: "object-lambda-emulator".to_owned(),
            conditions,
            lookup,
            visiting: RefCell::new(HashSet::new()),
        }
    }

    /// Runs `f` with `key` marked as being evaluated; a second visit is a cycle.
    pub(crate) fn guard<T>(
        &self,
        key: &str,
        f: impl FnOnce() -> Result<T, TemplateError>,
    ) -> Result<T, TemplateError> {
        if !self.visiting.borrow_mut().insert(key.to_owned()) {
            return Err(TemplateError::invalid(format!(
                "circular reference through `{key}`"
            )));
        }
        let out = f();
        self.visiting.borrow_mut().remove(key);
        out
    }

    /// Resolves every intrinsic in `value`. `None` is `AWS::NoValue` (the property is absent);
    /// inside lists and mappings such entries are dropped.
    pub(crate) fn resolve(&self, value: &Value) -> Result<Option<Value>, TemplateError> {
        match value {
            Value::Object(map) => {
                if let Some((name, arg)) = intrinsic(map) {
                    return self.call(name, arg);
                }
                let mut out = Map::new();
                for (k, v) in map {
                    if let Some(v) = self.resolve(v)? {
                        out.insert(k.clone(), v);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    if let Some(v) = self.resolve(v)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Resolves `value`, which must not be `AWS::NoValue`.
    pub(crate) fn resolve_required(
        &self,
        value: &Value,
        what: &str,
    ) -> Result<Value, TemplateError> {
        self.resolve(value)?.ok_or_else(|| {
            TemplateError::invalid(format!("{what}: AWS::NoValue where a value is required"))
        })
    }

    /// Resolves `value` to a string (numbers and booleans are written out, as CloudFormation does).
    pub(crate) fn resolve_string(
        &self,
        value: &Value,
        what: &str,
    ) -> Result<String, TemplateError> {
        scalar_string(&self.resolve_required(value, what)?)
            .ok_or_else(|| TemplateError::invalid(format!("{what}: expected a string")))
    }

    fn call(&self, name: &str, arg: &Value) -> Result<Option<Value>, TemplateError> {
        match name {
            "Ref" => self.reference(arg),
            "Fn::GetAtt" => self.get_att(arg).map(Some),
            "Fn::Sub" => self.sub(arg).map(|s| Some(Value::String(s))),
            "Fn::If" => {
                let [cond, yes, no] = args::<3>(name, arg)?;
                let cond = match cond {
                    Value::String(c) => self.named_condition(c)?,
                    other => self.condition(other)?,
                };
                self.resolve(if cond { yes } else { no })
            }
            "Fn::Not" | "Fn::Equals" | "Fn::And" | "Fn::Or" | "Condition" => {
                let mut map = Map::new();
                map.insert(name.to_owned(), arg.clone());
                self.condition(&Value::Object(map))
                    .map(|b| Some(Value::Bool(b)))
            }
            "Fn::Join" => {
                let [sep, list] = args::<2>(name, arg)?;
                let sep = self.resolve_string(sep, "Fn::Join delimiter")?;
                let list = self.resolve_required(list, "Fn::Join list")?;
                let Value::Array(items) = list else {
                    return Err(TemplateError::invalid(
                        "Fn::Join: the second argument must be a list",
                    ));
                };
                let parts = items
                    .iter()
                    .map(|v| {
                        scalar_string(v).ok_or_else(|| {
                            TemplateError::invalid("Fn::Join: list items must be strings")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Value::String(parts.join(&sep))))
            }
            "Fn::Select" => {
                let [index, list] = args::<2>(name, arg)?;
                let index = self.resolve_string(index, "Fn::Select index")?;
                let index: usize = index.parse().map_err(|_| {
                    TemplateError::invalid(format!("Fn::Select: bad index `{index}`"))
                })?;
                match self.resolve_required(list, "Fn::Select list")? {
                    Value::Array(items) => {
                        items.into_iter().nth(index).map(Some).ok_or_else(|| {
                            TemplateError::invalid(format!(
                                "Fn::Select: index {index} out of range"
                            ))
                        })
                    }
                    _ => Err(TemplateError::invalid(
                        "Fn::Select: the second argument must be a list",
                    )),
                }
            }
            other => Err(TemplateError::invalid(format!(
                "intrinsic function `{other}` is not supported by the emulator"
            ))),
        }
    }

    fn reference(&self, arg: &Value) -> Result<Option<Value>, TemplateError> {
        let name = match arg {
            Value::String(s) => s.as_str(),
            _ => return Err(TemplateError::invalid("Ref: expected a name")),
        };
        self.lookup_name(name)
    }

    /// The value of a parameter, pseudo parameter or resource (`None` = `AWS::NoValue`).
    fn lookup_name(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        let pseudo = match name {
            "AWS::NoValue" => return Ok(None),
            "AWS::AccountId" => Some(self.account_id.clone()),
            "AWS::Region" => Some(self.region.clone()),
            "AWS::Partition" => Some(PARTITION.to_owned()),
            "AWS::URLSuffix" => Some("amazonaws.com".to_owned()),
            "AWS::StackName" => Some(self.stack_name.clone()),
            "AWS::StackId" => Some(format!(
                "arn:{PARTITION}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                self.region, self.account_id, self.stack_name
            )),
            _ => None,
        };
        if let Some(v) = pseudo {
            return Ok(Some(Value::String(v)));
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        match self.lookup.resource_ref(self, name) {
            Some(r) => r.map(Some),
            None => Err(TemplateError::invalid(format!(
                "Ref: `{name}` is neither a parameter nor a resource"
            ))),
        }
    }

    fn get_att(&self, arg: &Value) -> Result<Value, TemplateError> {
        let (id, attr) = match arg {
            Value::String(s) => {
                let (id, attr) = s.split_once('.').ok_or_else(|| {
                    TemplateError::invalid(format!("Fn::GetAtt: `{s}` is not Resource.Attribute"))
                })?;
                (id.to_owned(), attr.to_owned())
            }
            Value::Array(items) if items.len() == 2 => {
                let id = scalar_string(&items[0]).ok_or_else(|| {
                    TemplateError::invalid("Fn::GetAtt: expected [Resource, Attribute]")
                })?;
                let attr = self.resolve_string(&items[1], "Fn::GetAtt attribute")?;
                (id, attr)
            }
            _ => {
                return Err(TemplateError::invalid(
                    "Fn::GetAtt: expected Resource.Attribute",
                ));
            }
        };
        self.attribute(&id, &attr)
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<Value, TemplateError> {
        match self.lookup.resource_attr(self, id, attr) {
            Some(r) => r,
            None => Err(TemplateError::invalid(format!(
                "Fn::GetAtt: no resource `{id}`"
            ))),
        }
    }

    fn sub(&self, arg: &Value) -> Result<String, TemplateError> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(items) if items.len() == 2 => {
                let text = items[0].as_str().ok_or_else(|| {
                    TemplateError::invalid("Fn::Sub: the first argument must be a string")
                })?;
                let Value::Object(vars) = self.resolve_required(&items[1], "Fn::Sub variables")?
                else {
                    return Err(TemplateError::invalid(
                        "Fn::Sub: the second argument must be a mapping",
                    ));
                };
                (text, vars)
            }
            _ => {
                return Err(TemplateError::invalid(
                    "Fn::Sub: expected a string or [string, mapping]",
                ));
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| {
                TemplateError::invalid(format!("Fn::Sub: unclosed `${{` in `{text}`"))
            })?;
            let var = &after[..end];
            if let Some(literal) = var.strip_prefix('!') {
                // `${!Literal}` writes `${Literal}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                out.push_str(&self.sub_var(var.trim(), &vars)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn sub_var(&self, var: &str, vars: &Map<String, Value>) -> Result<String, TemplateError> {
        let value = if let Some(v) = vars.get(var) {
            v.clone()
        } else if !var.starts_with("AWS::")
            && !self.parameters.contains_key(var)
            && let Some((id, attr)) = var.split_once('.')
        {
            self.attribute(id, attr)?
        } else {
            self.lookup_name(var)?.ok_or_else(|| {
                TemplateError::invalid("Fn::Sub: AWS::NoValue cannot be substituted")
            })?
        };
        scalar_string(&value)
            .ok_or_else(|| TemplateError::invalid(format!("Fn::Sub: `${{{var}}}` is not a string")))
    }

    /// Evaluates a named condition of the `Conditions` section.
    pub(crate) fn named_condition(&self, name: &str) -> Result<bool, TemplateError> {
        let expr = self
            .conditions
            .get(name)
            .ok_or_else(|| TemplateError::invalid(format!("unknown condition `{name}`")))?;
        self.guard(&format!("Conditions.{name}"), || self.condition(expr))
    }

    /// Evaluates a condition expression (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
    /// `Condition`, or anything resolving to a boolean).
    pub(crate) fn condition(&self, expr: &Value) -> Result<bool, TemplateError> {
        if let Value::Object(map) = expr
            && let Some((name, arg)) = intrinsic(map)
        {
            match name {
                "Condition" => {
                    let c = arg
                        .as_str()
                        .ok_or_else(|| TemplateError::invalid("Condition: expected a name"))?;
                    return self.named_condition(c);
                }
                "Fn::Equals" => {
                    let [a, b] = args::<2>(name, arg)?;
                    let a = self.resolve(a)?;
                    let b = self.resolve(b)?;
                    // Parameters are strings in CloudFormation: `256` equals `"256"`.
                    return Ok(a.as_ref().and_then(scalar_string)
                        == b.as_ref().and_then(scalar_string)
                        && a.is_some() == b.is_some());
                }
                "Fn::Not" => {
                    let [a] = args::<1>(name, arg)?;
                    return Ok(!self.condition(a)?);
                }
                "Fn::And" | "Fn::Or" => {
                    let items = arg.as_array().ok_or_else(|| {
                        TemplateError::invalid(format!("{name}: expected a list"))
                    })?;
                    let mut values = items.iter().map(|c| self.condition(c));
                    return if name == "Fn::And" {
                        values.try_fold(true, |acc, v| v.map(|v| acc && v))
                    } else {
                        values.try_fold(false, |acc, v| v.map(|v| acc || v))
                    };
                }
                _ => {}
            }
        }
        match self.resolve(expr)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            _ => Err(TemplateError::invalid("a condition must be a boolean")),
        }
    }
}

/// `Some((name, argument))` when `map` is a single-key intrinsic call.
fn intrinsic(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (k, v) = map.iter().next()?;
    (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then_some((k.as_str(), v))
}

/// The `N` arguments of an intrinsic given as a list.
fn args<'v, const N: usize>(name: &str, arg: &'v Value) -> Result<[&'v Value; N], TemplateError> {
    let items = arg
        .as_array()
        .filter(|a| a.len() == N)
        .ok_or_else(|| TemplateError::invalid(format!("{name}: expected a list of {N}")))?;
    let mut out = [&Value::Null; N];
    for (slot, item) in out.iter_mut().zip(items) {
        *slot = item;
    }
    Ok(out)
}

/// Strings as they are; numbers and booleans written out; anything else `None`.
pub(crate) fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Resources `Bkt` (Ref `bkt-name`, Arn) and `Fun` (Ref `fun`, Arn).
    struct Fake;

    impl Lookup for Fake {
        fn resource_ref(&self, _: &Resolver<'_>, id: &str) -> Option<Result<Value, TemplateError>> {
            match id {
                "Bkt" => Some(Ok(json!("bkt-name"))),
                "Fun" => Some(Ok(json!("fun"))),
                "Loop" => Some(Err(TemplateError::invalid("loop"))),
                _ => None,
            }
        }

        fn resource_attr(
            &self,
            _: &Resolver<'_>,
            id: &str,
            attr: &str,
        ) -> Option<Result<Value, TemplateError>> {
            match (id, attr) {
                ("Bkt", "Arn") => Some(Ok(json!("arn:aws:s3:::bkt-name"))),
                ("Fun", "Alias.Value") => Some(Ok(json!("fun-alias"))),
                ("Bkt" | "Fun", a) => {
                    Some(Err(TemplateError::invalid(format!("no attribute {a}"))))
                }
                _ => None,
            }
        }
    }

    fn with_resolver<T>(yaml: &str, f: impl FnOnce(&Resolver<'_>, &Value) -> T) -> T {
        let doc = yaml_to_json(serde_yaml_ng::from_str(yaml).unwrap()).unwrap();
        let params = HashMap::from([
            ("Name".to_owned(), json!("demo")),
            ("Mem".to_owned(), json!(256)),
            ("Empty".to_owned(), json!("")),
        ]);
        let conditions = doc
            .get("Conditions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let r = Resolver::new(params, "123456789012", "us-east-1", conditions, &Fake);
        f(&r, doc.get("V").unwrap_or(&Value::Null))
    }

    fn eval(yaml: &str) -> Result<Option<Value>, TemplateError> {
        with_resolver(yaml, |r, v| r.resolve(v))
    }

    #[test]
    fn short_tags_become_long_forms() {
        let v = yaml_to_json(
            serde_yaml_ng::from_str("a: !Ref X\nb: !GetAtt A.B\nc: !Sub s\nd: !Condition C")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": {"Ref": "X"}, "b": {"Fn::GetAtt": "A.B"}, "c": {"Fn::Sub": "s"}, "d": {"Condition": "C"}})
        );
    }

    #[test]
    fn ref_parameters_pseudo_and_resources() {
        assert_eq!(eval("V: !Ref Name").unwrap(), Some(json!("demo")));
        assert_eq!(eval("V: {Ref: Mem}").unwrap(), Some(json!(256)));
        assert_eq!(
            eval("V: !Ref AWS::AccountId").unwrap(),
            Some(json!("123456789012"))
        );
        assert_eq!(
            eval("V: !Ref AWS::Region").unwrap(),
            Some(json!("us-east-1"))
        );
        assert_eq!(eval("V: !Ref AWS::Partition").unwrap(), Some(json!("aws")));
        assert_eq!(eval("V: !Ref Bkt").unwrap(), Some(json!("bkt-name")));
        assert_eq!(eval("V: !Ref AWS::NoValue").unwrap(), None);
        let err = eval("V: !Ref Nope").unwrap_err().to_string();
        assert!(err.contains("Nope"), "{err}");
    }

    #[test]
    fn no_value_drops_entries() {
        assert_eq!(
            eval("V: {a: 1, b: !Ref AWS::NoValue, c: [1, !Ref AWS::NoValue, 2]}").unwrap(),
            Some(json!({"a": 1, "c": [1, 2]}))
        );
    }

    #[test]
    fn get_att_both_forms() {
        assert_eq!(
            eval("V: !GetAtt Bkt.Arn").unwrap(),
            Some(json!("arn:aws:s3:::bkt-name"))
        );
        assert_eq!(
            eval("V: {Fn::GetAtt: [Bkt, Arn]}").unwrap(),
            Some(json!("arn:aws:s3:::bkt-name"))
        );
        // Dotted attribute names: the first dot splits.
        assert_eq!(
            eval("V: !GetAtt Fun.Alias.Value").unwrap(),
            Some(json!("fun-alias"))
        );
        assert_eq!(
            eval("V: !GetAtt [Fun, Alias.Value]").unwrap(),
            Some(json!("fun-alias"))
        );
        assert!(eval("V: !GetAtt Bkt.Nope").is_err());
        assert!(eval("V: !GetAtt Missing.Arn").is_err());
        assert!(eval("V: !GetAtt NoDot").is_err());
    }

    #[test]
    fn sub_variables() {
        assert_eq!(
            eval(r#"V: !Sub "arn:${AWS::Partition}:s3:${AWS::Region}:${AWS::AccountId}:accesspoint/${Name}""#).unwrap(),
            Some(json!("arn:aws:s3:us-east-1:123456789012:accesspoint/demo"))
        );
        assert_eq!(
            eval(r#"V: !Sub "${Bkt.Arn}/*""#).unwrap(),
            Some(json!("arn:aws:s3:::bkt-name/*"))
        );
        assert_eq!(
            eval(r#"V: !Sub "${Bkt}-${Mem}""#).unwrap(),
            Some(json!("bkt-name-256"))
        );
        assert_eq!(
            eval(r#"V: !Sub "${!Literal} x""#).unwrap(),
            Some(json!("${Literal} x"))
        );
        assert_eq!(
            eval(r#"V: {Fn::Sub: ["${A}/${Name}", {A: !Ref Bkt}]}"#).unwrap(),
            Some(json!("bkt-name/demo"))
        );
        assert!(eval(r#"V: !Sub "${Name""#).is_err());
        assert!(eval(r#"V: !Sub "${Unknown}""#).is_err());
    }

    #[test]
    fn conditions_if_not_equals() {
        let t = "Conditions:\n  IsEmpty: !Equals [!Ref Empty, \"\"]\n  NotEmpty: !Not [!Condition IsEmpty]\n  Both: !And [!Condition IsEmpty, {Condition: NotEmpty}]\n  Either: !Or [!Condition IsEmpty, !Condition NotEmpty]\n  Mem: !Equals [!Ref Mem, \"256\"]\n";
        let ev = |v: &str| eval(&format!("{t}V: {v}"));
        assert_eq!(ev("!If [IsEmpty, yes, no]").unwrap(), Some(json!("yes")));
        assert_eq!(ev("!If [NotEmpty, yes, no]").unwrap(), Some(json!("no")));
        assert_eq!(ev("{Fn::If: [Both, yes, no]}").unwrap(), Some(json!("no")));
        assert_eq!(ev("!If [Either, yes, no]").unwrap(), Some(json!("yes")));
        assert_eq!(ev("!If [Mem, yes, no]").unwrap(), Some(json!("yes")));
        assert_eq!(ev("!If [NotEmpty, x, !Ref AWS::NoValue]").unwrap(), None);
        assert_eq!(ev("!Not [!Equals [a, b]]").unwrap(), Some(json!(true)));
        assert!(ev("!If [Missing, a, b]").is_err());
    }

    #[test]
    fn circular_conditions_are_errors() {
        let err = eval("Conditions:\n  A: !Condition B\n  B: !Condition A\nV: !If [A, x, y]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("circular"), "{err}");
    }

    #[test]
    fn join_select_and_unsupported() {
        assert_eq!(
            eval("V: !Join [\"-\", [a, !Ref Name, 1]]").unwrap(),
            Some(json!("a-demo-1"))
        );
        assert_eq!(eval("V: !Select [1, [a, b, c]]").unwrap(), Some(json!("b")));
        assert!(eval("V: !Select [5, [a]]").is_err());
        let err = eval("V: !ImportValue x").unwrap_err().to_string();
        assert!(err.contains("Fn::ImportValue"), "{err}");
    }
}
