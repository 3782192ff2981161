//! Reading a policy document: `Version`, `Statement`, and each statement's elements.

use std::str::FromStr;

use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::error::{Kind, PolicyError};
use crate::template::Template;
use crate::wildcard::{self, Tok};

/// Where a policy is attached, which decides whether its statements name a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user (config key `policy` on `[[credentials]]`): no `Principal`; the
    /// principal is the user.
    Identity,
    /// Attached to a bucket, an access point or an Object Lambda Access Point: each statement
    /// names a `Principal` or `NotPrincipal`.
    Resource,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The statement grants what it matches.
    Allow,
    /// The statement refuses what it matches, whatever else allows it.
    Deny,
}

/// A parsed policy document, ready to evaluate. Parse once at start; evaluation does not allocate
/// much and never fails.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: PolicyKind,
    id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

/// One statement of a [`Policy`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) actions: ActionBlock,
    pub(crate) resources: ResourceBlock,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The statement's `Sid`, if it has one.
    #[must_use]
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// `Allow` or `Deny`.
    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }
}

/// `Principal` / `NotPrincipal` of a resource policy statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalBlock {
    pub(crate) negated: bool,
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub(crate) everyone: bool,
    /// `AWS` entries: ARNs, account ids, `arn:aws:iam::ACCOUNT:root`.
    pub(crate) aws: Vec<String>,
}

/// `Action` / `NotAction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionBlock {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Vec<Tok>>,
}

/// `Resource` / `NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceBlock {
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Template>,
}

impl Policy {
    /// Parses a policy document of the given kind.
    ///
    /// # Errors
    /// [`PolicyError`] naming the statement and element at fault: malformed JSON, an unknown
    /// element or condition operator, a missing `Effect`/`Action`/`Resource`, a `Principal` in
    /// an identity policy or none in a resource policy, a value of the wrong type.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        let doc: Value = serde_json::from_str(json)
            .map_err(|e| PolicyError::document(None, format!("not valid JSON: {e}")))?;
        Self::from_value(&doc, kind)
    }

    /// Parses an already-decoded JSON document (for example a CloudFormation `PolicyDocument`
    /// read from YAML).
    ///
    /// # Errors
    /// As [`Policy::parse`].
    pub fn from_value(doc: &Value, kind: PolicyKind) -> Result<Self, PolicyError> {
        let Value::Object(top) = doc else {
            return Err(PolicyError::document(
                None,
                format!("a policy must be a JSON object, not {}", Kind(doc)),
            ));
        };
        let mut variables = false;
        let mut id = None;
        let mut raw_statements = None;
        for (name, value) in top {
            match name.as_str() {
                "Version" => match value.as_str() {
                    Some("2012-10-17") => variables = true,
                    Some("2008-10-17") => variables = false,
                    _ => {
                        return Err(PolicyError::document(
                            Some("Version"),
                            format!("must be \"2012-10-17\" or \"2008-10-17\", not {value}"),
                        ));
                    }
                },
                "Id" => id = Some(string(value).map_err(|m| PolicyError::document(Some("Id"), m))?),
                "Statement" => raw_statements = Some(value),
                other => {
                    return Err(PolicyError::document(
                        Some(other),
                        "unknown policy element (expected Version, Id, Statement)",
                    ));
                }
            }
        }
        let raw_statements =
            raw_statements.ok_or_else(|| PolicyError::document(Some("Statement"), "missing"))?;
        let raw_statements = match raw_statements {
            Value::Array(list) if list.is_empty() => {
                return Err(PolicyError::document(
                    Some("Statement"),
                    "empty list of statements",
                ));
            }
            Value::Array(list) => list.as_slice(),
            one @ Value::Object(_) => std::slice::from_ref(one),
            other => {
                return Err(PolicyError::document(
                    Some("Statement"),
                    format!(
                        "must be an object or a list of objects, not {}",
                        Kind(other)
                    ),
                ));
            }
        };
        let statements = raw_statements
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(i, s, kind, variables))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            kind,
            id,
            statements,
        })
    }

    /// An identity policy allowing every action on every resource: what an account administrator
    /// has, and the default for configured credentials without a `policy`.
    #[must_use]
    pub fn allow_all() -> Self {
        let mut star = Vec::new();
        wildcard::compile("*", &mut star);
        Self {
            kind: PolicyKind::Identity,
            id: None,
            statements: vec![Statement {
                sid: Some("AllowAll".to_owned()),
                effect: Effect::Allow,
                principal: None,
                actions: ActionBlock {
                    negated: false,
                    patterns: vec![star],
                },
                resources: ResourceBlock {
                    negated: false,
                    patterns: vec![Template::plain("*")],
                },
                conditions: Vec::new(),
            }],
        }
    }

    /// Identity or resource policy.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The document's `Id`, if any.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    #[must_use]
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

impl FromStr for Policy {
    type Err = PolicyError;

    /// Parses a resource policy (bucket, access point, Object Lambda Access Point); use
    /// [`Policy::parse`] with [`PolicyKind::Identity`] for a user's policy.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, PolicyKind::Resource)
    }
}

fn string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("must be a string, not {}", Kind(other))),
    }
}

/// A string or a non-empty list of strings.
fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if items.is_empty() => Err("empty list".to_owned()),
        Value::Array(items) => items
            .iter()
            .map(string)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("list item {e}")),
        other => Err(format!(
            "must be a string or a list of strings, not {}",
            Kind(other)
        )),
    }
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(
    index: usize,
    raw: &Value,
    kind: PolicyKind,
    variables: bool,
) -> Result<Statement, PolicyError> {
    let Value::Object(map) = raw else {
        return Err(PolicyError::statement(
            index,
            None,
            "Statement",
            format!("must be an object, not {}", Kind(raw)),
        ));
    };
    let sid = match map.get("Sid") {
        Some(v) => Some(string(v).map_err(|m| PolicyError::statement(index, None, "Sid", m))?),
        None => None,
    };
    let err = |field: &str, message: String| {
        PolicyError::statement(index, sid.as_deref(), field, message)
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| !STATEMENT_ELEMENTS.contains(&k.as_str()))
    {
        return Err(err(unknown, "unknown statement element".to_owned()));
    }

    let effect = match map.get("Effect").map(Value::as_str) {
        Some(Some("Allow")) => Effect::Allow,
        Some(Some("Deny")) => Effect::Deny,
        Some(_) => {
            return Err(err(
                "Effect",
                format!("must be \"Allow\" or \"Deny\", not {}", map["Effect"]),
            ));
        }
        None => return Err(err("Effect", "missing".to_owned())),
    };

    let principal = match (
        one_of(map, "Principal", "NotPrincipal").map_err(|m| err("Principal", m))?,
        kind,
    ) {
        (Some(_), PolicyKind::Identity) => {
            return Err(err("Principal", "an identity policy names no principal (the user it is attached to is the principal)".to_owned()));
        }
        (None, PolicyKind::Resource) => {
            return Err(err(
                "Principal",
                "missing: a resource policy statement needs Principal or NotPrincipal".to_owned(),
            ));
        }
        (Some((field, negated, value)), PolicyKind::Resource) => {
            Some(parse_principal(negated, value).map_err(|m| err(field, m))?)
        }
        (None, PolicyKind::Identity) => None,
    };

    let Some((field, negated, value)) =
        one_of(map, "Action", "NotAction").map_err(|m| err("Action", m))?
    else {
        return Err(err(
            "Action",
            "missing: a statement needs Action or NotAction".to_owned(),
        ));
    };
    let actions = parse_actions(negated, value).map_err(|m| err(field, m))?;

    let Some((field, negated, value)) =
        one_of(map, "Resource", "NotResource").map_err(|m| err("Resource", m))?
    else {
        return Err(err(
            "Resource",
            "missing: a statement needs Resource or NotResource".to_owned(),
        ));
    };
    let resources = parse_resources(negated, value, variables).map_err(|m| err(field, m))?;

    let conditions = match map.get("Condition") {
        Some(block) => Condition::parse_block(block, variables).map_err(|m| err("Condition", m))?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        actions,
        resources,
        conditions,
    })
}

/// The element present among `positive` and its `Not` form: (name, negated, value).
fn one_of<'v>(
    map: &'v Map<String, Value>,
    positive: &'static str,
    negative: &'static str,
) -> Result<Option<(&'static str, bool, &'v Value)>, String> {
    match (map.get(positive), map.get(negative)) {
        (Some(_), Some(_)) => Err(format!("{positive} and {negative} cannot both be given")),
        (Some(v), None) => Ok(Some((positive, false, v))),
        (None, Some(v)) => Ok(Some((negative, true, v))),
        (None, None) => Ok(None),
    }
}

fn parse_principal(negated: bool, value: &Value) -> Result<PrincipalBlock, String> {
    let mut block = PrincipalBlock {
        negated,
        everyone: false,
        aws: Vec::new(),
    };
    match value {
        Value::String(s) if s == "*" => block.everyone = true,
        Value::Object(map) if !map.is_empty() => {
            for (kind, ids) in map {
                let ids = strings(ids).map_err(|m| format!("{kind}: {m}"))?;
                match kind.as_str() {
                    "AWS" => {
                        for id in ids {
                            if id == "*" {
                                block.everyone = true;
                            } else if id.is_empty() {
                                return Err("AWS: empty principal".to_owned());
                            } else {
                                block.aws.push(id);
                            }
                        }
                    }
                    // Requests here come from IAM users: service, federated and canonical-user
                    // principals are accepted in documents and never match.
                    "Service" | "Federated" | "CanonicalUser" => {}
                    other => {
                        return Err(format!(
                            "unknown principal type {other:?} (expected AWS, Service, Federated, CanonicalUser)"
                        ));
                    }
                }
            }
        }
        other => {
            return Err(format!(
                "must be \"*\" or an object such as {{\"AWS\": ...}}, not {other}"
            ));
        }
    }
    Ok(block)
}

fn parse_actions(negated: bool, value: &Value) -> Result<ActionBlock, String> {
    let mut patterns = Vec::new();
    for action in strings(value)? {
        let valid = action == "*"
            || action
                .split_once(':')
                .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !valid {
            return Err(format!(
                "{action:?} is not \"*\" or \"service:action\" (such as \"s3:GetObject\")"
            ));
        }
        let mut toks = Vec::new();
        wildcard::compile(&action, &mut toks);
        patterns.push(toks);
    }
    Ok(ActionBlock { negated, patterns })
}

fn parse_resources(negated: bool, value: &Value, variables: bool) -> Result<ResourceBlock, String> {
    let mut patterns = Vec::new();
    for resource in strings(value)? {
        if resource != "*" && !resource.starts_with("arn:") {
            return Err(format!(
                "{resource:?} is not \"*\" or an ARN (such as \"arn:aws:s3:::bucket/*\")"
            ));
        }
        patterns.push(Template::parse(&resource, variables)?);
    }
    Ok(ResourceBlock { negated, patterns })
}
