//! Authorization as IAM and S3 evaluate it: the caller's identity policy, bucket policies,
//! access point policies and Object Lambda Access Point policies (from the configuration or
//! the SAM template), evaluated by `object-lambda-policy` after s3s has checked the
//! signature. Explicit Deny wins, then Allow from the identity or the resource policy, else
//! deny (same-account rules).
//!
//! | request | steps (all must allow) |
//! |---|---|
//! | direct `bucket/key` | bucket policy, `s3:<action>` on `arn:aws:s3:::bucket/key` |
//! | through an Object Lambda Access Point | OLAP policy, `s3-object-lambda:<action>` on the OLAP; then the supporting access point's and the bucket's policies, `s3:<action>`, with `aws:CalledVia = s3-object-lambda.amazonaws.com` and `s3:DataAccessPoint*` |
//!
//! `aws:SecureTransport` is `true` only for a request that came over TLS, except in the steps
//! called via Object Lambda (see `check_access_point`), which AWS makes over HTTPS.
//!
//! The function's fetch of `inputS3Url` is the same request continued: the URL carries a
//! one-time grant (`x-olap-grant`, recorded here when it was presigned) so that it is
//! evaluated as a call via the Object Lambda Access Point, as AWS does for its presigned URL
//! on the supporting access point.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use object_lambda_policy::{Context, Policy, PolicyKind, Principal, Step, arn, evaluate_chain};
use s3s::{S3Error, S3Result};

use crate::config::{Config, ConfigError, Credential, REGION};

/// The query parameter that ties an `inputS3Url` to the Object Lambda request it serves.
pub(crate) const GRANT_PARAM: &str = "x-olap-grant";

/// What the connection tells about a request: put into the request's extensions by the
/// server, read by the checks (`aws:SourceIp`, `aws:SecureTransport`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer {
    pub(crate) ip: IpAddr,
    pub(crate) tls: bool,
}

struct User {
    principal: Principal,
    policy: Policy,
}

/// A presigned `inputS3Url`'s grant: which access point the fetch goes through.
struct Grant {
    access_point: String,
    bucket: String,
    access_key: String,
    expires: Instant,
}

/// Every policy of the configuration, parsed once at start.
pub(crate) struct Policies {
    account: String,
    users: HashMap<String, User>,
    buckets: HashMap<String, Policy>,
    access_points: HashMap<String, (String, Option<Policy>)>,
    olaps: HashMap<String, Option<Policy>>,
    grants: Mutex<HashMap<String, Grant>>,
}

fn parse(
    what: &str,
    json: Option<&String>,
    kind: PolicyKind,
) -> Result<Option<Policy>, ConfigError> {
    json.map(|j| Policy::parse(j, kind))
        .transpose()
        .map_err(|e| ConfigError::Invalid(format!("{what}: policy: {e}")))
}

fn denied() -> S3Error {
    s3s::s3_error!(AccessDenied, "Access Denied")
}

impl Policies {
    /// Parses the policies of `config`; a malformed one is a configuration error.
    pub(crate) fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let mut users = HashMap::new();
        for c in &config.credentials {
            let policy = parse(
                &format!("credentials `{}`", c.access_key_id),
                c.policy.as_ref(),
                PolicyKind::Identity,
            )?
            .unwrap_or_else(Policy::allow_all);
            users.insert(
                c.access_key_id.clone(),
                User {
                    principal: Principal::iam_user(&c.account_id, &c.user_name),
                    policy,
                },
            );
        }
        let mut buckets = HashMap::new();
        for b in &config.buckets {
            if let Some(p) = parse(
                &format!("bucket `{}`", b.name),
                b.policy.as_ref(),
                PolicyKind::Resource,
            )? {
                buckets.insert(b.name.clone(), p);
            }
        }
        let mut access_points = HashMap::new();
        for a in &config.access_points {
            let p = parse(
                &format!("access point `{}`", a.name),
                a.policy.as_ref(),
                PolicyKind::Resource,
            )?;
            access_points.insert(a.name.clone(), (a.bucket.clone(), p));
        }
        let mut olaps = HashMap::new();
        for o in &config.object_lambda_access_points {
            let p = parse(
                &format!("object lambda access point `{}`", o.name),
                o.policy.as_ref(),
                PolicyKind::Resource,
            )?;
            olaps.insert(o.name.clone(), p);
        }
        Ok(Self {
            account: config.account_id.clone(),
            users,
            buckets,
            access_points,
            olaps,
            grants: Mutex::new(HashMap::new()),
        })
    }

    fn user(&self, access_key: &str) -> S3Result<&User> {
        self.users.get(access_key).ok_or_else(denied)
    }

    fn base_context(&self, peer: Option<Peer>, user: &User) -> Context {
        let mut ctx = Context::new()
            .with(
                "aws:SecureTransport",
                if peer.is_some_and(|p| p.tls) {
                    "true"
                } else {
                    "false"
                },
            )
            .with("s3:signatureversion", "AWS4-HMAC-SHA256");
        if let Some(p) = peer {
            ctx = ctx.with("aws:SourceIp", p.ip.to_string());
        }
        let _ = user;
        ctx
    }

    /// A request made straight to a bucket (after s3s authenticated `access_key`).
    pub(crate) fn check_direct(
        &self,
        access_key: &str,
        peer: Option<Peer>,
        op: &Operation<'_>,
    ) -> S3Result<()> {
        let user = self.user(access_key)?;
        let mut ctx = self.base_context(peer, user);
        for (k, v) in &op.keys {
            ctx = ctx.with(k, v.clone());
        }
        // The function's fetch of an inputS3Url: evaluated as the caller's request through
        // the Object Lambda Access Point's supporting access point.
        if let Some(grant) = op.grant.and_then(|g| self.grant(g, access_key, op.bucket)) {
            return self.check_access_point(user, &ctx, &grant, op, true);
        }
        let resource = op.resource();
        let steps = [Step {
            resource_policy: self.buckets.get(op.bucket),
            action: &op.action,
            resource: &resource,
            context: None,
        }];
        let decision = evaluate_chain(Some(&user.policy), &user.principal, &ctx, &steps);
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(denied())
        }
    }

    fn check_access_point(
        &self,
        user: &User,
        ctx: &Context,
        access_point: &str,
        op: &Operation<'_>,
        via_olap: bool,
    ) -> S3Result<()> {
        let ap_policy = self
            .access_points
            .get(access_point)
            .and_then(|(_, p)| p.as_ref());
        let ap_arn = arn::access_point(REGION, &self.account, access_point);
        let ap_resource = if op.key.is_empty() {
            ap_arn.clone()
        } else {
            arn::access_point_object(REGION, &self.account, access_point, op.key)
        };
        let mut step_ctx = Context::new()
            .with("s3:DataAccessPointArn", ap_arn)
            .with("s3:DataAccessPointAccount", self.account.clone())
            .with("s3:AccessPointNetworkOrigin", "Internet");
        if via_olap {
            // S3 Object Lambda's own calls to the supporting access point (and the
            // function's fetch of the presigned `inputS3Url`) are HTTPS in AWS, whatever the
            // caller used: they count as secure here too, so a bucket policy's
            // DenyInsecureTransport does not break Object Lambda when the emulator serves
            // plain HTTP. The caller's own transport is still what the Object Lambda Access
            // Point's policy sees.
            step_ctx = step_ctx
                .with("aws:SecureTransport", "true")
                .with_values("aws:CalledVia", ["s3-object-lambda.amazonaws.com"])
                .with("aws:CalledViaFirst", "s3-object-lambda.amazonaws.com")
                .with("aws:CalledViaLast", "s3-object-lambda.amazonaws.com");
        }
        let bucket_resource = op.resource();
        let steps = [
            Step {
                resource_policy: ap_policy,
                action: &op.action,
                resource: &ap_resource,
                context: Some(&step_ctx),
            },
            Step {
                resource_policy: self.buckets.get(op.bucket),
                action: &op.action,
                resource: &bucket_resource,
                context: Some(&step_ctx),
            },
        ];
        let decision = evaluate_chain(Some(&user.policy), &user.principal, ctx, &steps);
        if decision.is_allowed() {
            Ok(())
        } else {
            Err(denied())
        }
    }

    /// A request to an Object Lambda Access Point: the OLAP's own step, then the supporting
    /// access point and the bucket as called via Object Lambda.
    pub(crate) fn check_olap(
        &self,
        access_key: &str,
        peer: Option<Peer>,
        olap: &str,
        access_point: &str,
        op: &Operation<'_>,
    ) -> S3Result<()> {
        let user = self.user(access_key)?;
        let mut ctx = self.base_context(peer, user);
        for (k, v) in &op.keys {
            ctx = ctx.with(k, v.clone());
        }
        let olap_action = op.action.replacen("s3:", "s3-object-lambda:", 1);
        let olap_arn = arn::object_lambda_access_point(REGION, &self.account, olap);
        let steps = [Step {
            resource_policy: self.olaps.get(olap).and_then(Option::as_ref),
            action: &olap_action,
            resource: &olap_arn,
            context: None,
        }];
        let decision = evaluate_chain(Some(&user.policy), &user.principal, &ctx, &steps);
        if !decision.is_allowed() {
            return Err(denied());
        }
        self.check_access_point(user, &ctx, access_point, op, true)
    }

    /// Records a grant for an `inputS3Url` presigned for `caller` through `access_point`;
    /// returns the token to put in its query.
    pub(crate) fn grant_for(
        &self,
        caller: &Credential,
        access_point: &str,
        bucket: &str,
        ttl: Duration,
    ) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let now = Instant::now();
        let mut g = self
            .grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.retain(|_, v| v.expires > now);
        g.insert(
            token.clone(),
            Grant {
                access_point: access_point.to_owned(),
                bucket: bucket.to_owned(),
                access_key: caller.access_key_id.clone(),
                expires: now + ttl,
            },
        );
        token
    }

    fn grant(&self, token: &str, access_key: &str, bucket: &str) -> Option<String> {
        let g = self
            .grants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.get(token)
            .filter(|v| {
                v.access_key == access_key && v.bucket == bucket && v.expires > Instant::now()
            })
            .map(|v| v.access_point.clone())
    }
}

/// One S3 operation as IAM names it.
#[derive(Debug)]
pub(crate) struct Operation<'a> {
    pub(crate) action: String,
    pub(crate) bucket: &'a str,
    pub(crate) key: &'a str,
    /// Condition keys of the operation (`s3:prefix`, `s3:x-amz-server-side-encryption`, …).
    pub(crate) keys: Vec<(&'static str, String)>,
    pub(crate) grant: Option<&'a str>,
}

impl Operation<'_> {
    fn resource(&self) -> String {
        if self.bucket.is_empty() {
            "*".to_owned()
        } else if self.key.is_empty() {
            arn::bucket(self.bucket)
        } else {
            arn::object(self.bucket, self.key)
        }
    }
}

/// The IAM action of an s3s operation name.
pub(crate) fn iam_action(op: &str) -> String {
    let a = match op {
        "GetObject" | "HeadObject" => "GetObject",
        "ListObjects" | "ListObjectsV2" | "HeadBucket" => "ListBucket",
        "ListObjectVersions" => "ListBucketVersions",
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload" => "PutObject",
        "AbortMultipartUpload" => "AbortMultipartUpload",
        "ListParts" => "ListMultipartUploadParts",
        "ListMultipartUploads" => "ListBucketMultipartUploads",
        "DeleteObject" | "DeleteObjects" => "DeleteObject",
        "ListBuckets" => "ListAllMyBuckets",
        "PutBucketEncryption" | "DeleteBucketEncryption" => "PutEncryptionConfiguration",
        "GetBucketEncryption" => "GetEncryptionConfiguration",
        "PutObjectLockConfiguration" => "PutBucketObjectLockConfiguration",
        "GetObjectLockConfiguration" => "GetBucketObjectLockConfiguration",
        other => other,
    };
    format!("s3:{a}")
}

/// Condition keys of a request from its query and headers.
pub(crate) fn condition_keys(
    op: &str,
    uri: &http::Uri,
    headers: &http::HeaderMap,
) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if matches!(op, "ListObjects" | "ListObjectsV2" | "ListObjectVersions") {
        let mut prefix = String::new();
        for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            match k.as_ref() {
                "prefix" => prefix = v.into_owned(),
                "delimiter" => keys.push(("s3:delimiter", v.into_owned())),
                "max-keys" => keys.push(("s3:max-keys", v.into_owned())),
                _ => {}
            }
        }
        keys.push(("s3:prefix", prefix));
    }
    for (name, key) in [
        (
            "x-amz-server-side-encryption",
            "s3:x-amz-server-side-encryption",
        ),
        (
            "x-amz-server-side-encryption-aws-kms-key-id",
            "s3:x-amz-server-side-encryption-aws-kms-key-id",
        ),
    ] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            keys.push((key, v.to_owned()));
        }
    }
    keys
}

/// The grant token in a query, if any.
pub(crate) fn grant_of(uri: &http::Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == GRANT_PARAM)
        .map(|(_, v)| v.into_owned())
}

/// The policy check of every plain S3 request, after s3s authenticated it.
pub(crate) struct PolicyAccess(pub(crate) std::sync::Arc<Policies>);

#[async_trait::async_trait]
impl s3s::access::S3Access for PolicyAccess {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> S3Result<()> {
        let Some(access_key) = cx.credentials().map(|c| c.access_key.clone()) else {
            return Err(denied());
        };
        let op = cx.s3_op().name().to_owned();
        let (bucket, key) = match cx.s3_path() {
            s3s::path::S3Path::Root => (String::new(), String::new()),
            s3s::path::S3Path::Bucket { bucket } => (bucket.to_string(), String::new()),
            s3s::path::S3Path::Object { bucket, key } => (bucket.to_string(), key.to_string()),
        };
        let peer = cx.extensions_mut().get::<Peer>().copied();
        let grant = grant_of(cx.uri());
        let keys = condition_keys(&op, cx.uri(), cx.headers());
        self.0.check_direct(
            &access_key,
            peer,
            &Operation {
                action: iam_action(&op),
                bucket: &bucket,
                key: &key,
                keys,
                grant: grant.as_deref(),
            },
        )
    }
}
