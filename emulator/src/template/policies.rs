//! The template's resource policies, enforced by the emulator as S3 enforces them:
//!
//! | template | emulator |
//! |---|---|
//! | `AWS::S3::BucketPolicy` (`Bucket`, `PolicyDocument`) | the bucket's `policy` |
//! | `AWS::S3::AccessPoint` `Policy` | the access point's `policy` |
//! | `AWS::S3ObjectLambda::AccessPointPolicy` (`ObjectLambdaAccessPoint`, `PolicyDocument`) | the Object Lambda Access Point's `policy` |
//!
//! Intrinsics in a document are resolved like everywhere else (`!Sub "${DataBucket.Arn}/*"`),
//! and each document is parsed here, so that a policy the evaluator cannot read stops the
//! start with the resource's logical id. IAM policies (`AWS::IAM::*`, a function's
//! `Policies`) are not enforced: callers are the configured credentials, whose identity
//! policy is their `policy` key.

use object_lambda_policy::{Policy, PolicyKind};
use serde_json::Value;

use super::{ACCESS_POINT, Resource, Sam, prop};
use crate::config::Config;
use crate::intrinsics::{Resolver, TemplateError};

const BUCKET_POLICY: &str = "AWS::S3::BucketPolicy";
const OLAP_POLICY: &str = "AWS::S3ObjectLambda::AccessPointPolicy";

/// A policy property as JSON text (a mapping, or a string holding the document), checked.
fn document(resolver: &Resolver<'_>, value: &Value, what: &str) -> Result<String, TemplateError> {
    let json = match resolver.resolve_required(value, what)? {
        Value::String(s) => s,
        other @ Value::Object(_) => other.to_string(),
        _ => {
            return Err(TemplateError::invalid(format!(
                "{what}: expected a policy document"
            )));
        }
    };
    Policy::parse(&json, PolicyKind::Resource)
        .map_err(|e| TemplateError::invalid(format!("{what}: {e}")))?;
    Ok(json)
}

/// An access point's `Policy`, if it has one.
pub(super) fn access_point_policy(
    resolver: &Resolver<'_>,
    id: &str,
    r: &Resource<'_>,
) -> Result<Option<String>, TemplateError> {
    debug_assert_eq!(r.kind, ACCESS_POINT);
    prop(r, "Policy")
        .map(|p| document(resolver, p, &format!("{id}.Policy")))
        .transpose()
}

/// Attaches the bucket policies and Object Lambda Access Point policies to `config`'s
/// buckets and access points (each must name one of the template's; one policy each, as
/// CloudFormation allows).
pub(super) fn attach(
    sam: &Sam<'_>,
    resolver: &Resolver<'_>,
    config: &mut Config,
) -> Result<(), TemplateError> {
    for (id, r) in sam.of_kind(resolver, BUCKET_POLICY)? {
        let bucket = prop(r, "Bucket")
            .ok_or_else(|| TemplateError::invalid(format!("{id}: Bucket is required")))?;
        let bucket = resolver.resolve_string(bucket, &format!("{id}.Bucket"))?;
        let doc = prop(r, "PolicyDocument")
            .ok_or_else(|| TemplateError::invalid(format!("{id}: PolicyDocument is required")))?;
        let json = document(resolver, doc, &format!("{id}.PolicyDocument"))?;
        let b = config
            .buckets
            .iter_mut()
            .find(|b| b.name == bucket)
            .ok_or_else(|| {
                TemplateError::invalid(format!("{id}: bucket `{bucket}` is not in the template"))
            })?;
        if b.policy.replace(json).is_some() {
            return Err(TemplateError::invalid(format!(
                "{id}: bucket `{bucket}` already has a policy"
            )));
        }
    }
    for (id, r) in sam.of_kind(resolver, OLAP_POLICY)? {
        let olap = prop(r, "ObjectLambdaAccessPoint").ok_or_else(|| {
            TemplateError::invalid(format!("{id}: ObjectLambdaAccessPoint is required"))
        })?;
        let olap = resolver.resolve_string(olap, &format!("{id}.ObjectLambdaAccessPoint"))?;
        let doc = prop(r, "PolicyDocument")
            .ok_or_else(|| TemplateError::invalid(format!("{id}: PolicyDocument is required")))?;
        let json = document(resolver, doc, &format!("{id}.PolicyDocument"))?;
        let o = config
            .object_lambda_access_points
            .iter_mut()
            .find(|o| o.name == olap)
            .ok_or_else(|| {
                TemplateError::invalid(format!(
                    "{id}: Object Lambda Access Point `{olap}` is not in the template"
                ))
            })?;
        if o.policy.replace(json).is_some() {
            return Err(TemplateError::invalid(format!(
                "{id}: Object Lambda Access Point `{olap}` already has a policy"
            )));
        }
    }
    Ok(())
}
