//! What a request brings to evaluation: who calls, and the condition keys.

use std::collections::BTreeMap;

/// The caller: an IAM user of the account (or the account itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    arn: String,
    account: String,
    user_name: Option<String>,
}

impl Principal {
    /// An IAM user, `arn:aws:iam::ACCOUNT:user/NAME`.
    #[must_use]
    pub fn iam_user(account: &str, user_name: &str) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:user/{user_name}"),
            account: account.to_owned(),
            user_name: Some(user_name.to_owned()),
        }
    }

    /// The account's root user, `arn:aws:iam::ACCOUNT:root`.
    #[must_use]
    pub fn account_root(account: &str) -> Self {
        Self {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
            user_name: None,
        }
    }

    /// Reads an IAM ARN (`arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`, `...:root`, or any other
    /// IAM resource, kept whole). `None` if it is not an IAM ARN with an account.
    #[must_use]
    pub fn from_arn(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if account.is_empty() || resource.is_empty() {
            return None;
        }
        let user_name = resource
            .strip_prefix("user/")
            .and_then(|path| path.rsplit('/').next())
            .map(str::to_owned);
        Some(Self {
            arn: arn.to_owned(),
            account: account.to_owned(),
            user_name,
        })
    }

    /// The principal's ARN (`aws:PrincipalArn`).
    #[must_use]
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The principal's account (`aws:PrincipalAccount`).
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The IAM user name (`aws:username`), for users.
    #[must_use]
    pub fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }
}

/// Condition keys of a request: each key has a list of values (most have one; `aws:CalledVia`
/// may have several). Key names are case-insensitive, as in IAM; values are kept as given.
///
/// Values are strings whatever the key's type: `aws:SecureTransport` is `"true"` or `"false"`,
/// `s3:max-keys` is `"1000"`, `aws:CurrentTime` is `"2026-01-01T00:00:00Z"`. Each condition
/// operator reads them as it needs (a value it cannot read does not match).
///
/// `aws:PrincipalArn`, `aws:PrincipalAccount` and `aws:username` need not be set: when absent
/// they are taken from the [`Principal`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: BTreeMap<String, Vec<String>>,
}

impl Context {
    /// No keys.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to one value, replacing what it had.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, [value.into()]);
        self
    }

    /// Sets `key` to a list of values (an empty list is a key present with no values).
    #[must_use]
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(key, values);
        self
    }

    /// Sets `key` to a list of values, replacing what it had.
    pub fn set<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys.insert(
            key.to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.keys.remove(&key.to_ascii_lowercase());
    }

    /// The values of `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

/// Key lookup during one evaluation: a step's own keys, then the request's, then what the
/// principal implies.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) layers: [Option<&'a Context>; 2],
}

impl<'a> Keys<'a> {
    /// The values of `key`; `None` when absent. Derived keys come back as owned single values.
    pub(crate) fn get(&self, key: &str) -> Option<Values<'a>> {
        for ctx in self.layers.iter().flatten() {
            if let Some(values) = ctx.get(key) {
                return Some(Values::Borrowed(values));
            }
        }
        let derived = match key.to_ascii_lowercase().as_str() {
            "aws:principalarn" => self.principal.arn(),
            "aws:principalaccount" => self.principal.account(),
            "aws:username" => self.principal.user_name()?,
            _ => return None,
        };
        Some(Values::One(derived))
    }
}

/// The values of a key, however they were found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    Borrowed(&'a [String]),
    One(&'a str),
}

impl<'a> Values<'a> {
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a str> {
        let (list, one) = match self {
            Values::Borrowed(list) => (list, None),
            Values::One(v) => (&[][..], Some(v)),
        };
        list.iter().map(String::as_str).chain(one)
    }

    pub(crate) fn is_empty(self) -> bool {
        match self {
            Values::Borrowed(list) => list.is_empty(),
            Values::One(_) => false,
        }
    }

    /// The single value, if there is exactly one (policy variables need that).
    pub(crate) fn single(self) -> Option<&'a str> {
        match self {
            Values::Borrowed([one]) => Some(one),
            Values::Borrowed(_) => None,
            Values::One(v) => Some(v),
        }
    }
}
