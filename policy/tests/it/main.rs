//! Integration tests of object-lambda-policy: parse errors, evaluation rules, the teams scenario.

mod parse;
mod rules;
mod scenarios;

use object_lambda_policy::{Context, Outcome, Policy, PolicyKind, Principal, Request};

pub(crate) const ACCOUNT: &str = "111122223333";

pub(crate) fn identity(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Identity).unwrap_or_else(|e| panic!("identity policy: {e}"))
}

pub(crate) fn resource(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Resource).unwrap_or_else(|e| panic!("resource policy: {e}"))
}

pub(crate) fn user(name: &str) -> Principal {
    Principal::iam_user(ACCOUNT, name)
}

/// What `policy` says about `action` on `resource` by `who` with `ctx`.
pub(crate) fn outcome<'p>(
    policy: &'p Policy,
    who: &Principal,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Outcome<'p> {
    policy.evaluate(&Request {
        principal: who,
        action,
        resource,
        context: ctx,
    })
}
