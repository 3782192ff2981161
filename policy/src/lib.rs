//! # object-lambda-policy: IAM policies for the emulator and the gateway
//!
//! Pure logic, no I/O: parse the policies S3 users write — identity policies of IAM users,
//! bucket policies, access point policies, Object Lambda Access Point policies — and decide a
//! request as IAM does within one account.
//!
//! 1. **Parse once** at start: [`Policy::parse`] with [`PolicyKind::Identity`] or
//!    [`PolicyKind::Resource`]. A bad document is a [`PolicyError`] naming the statement and the
//!    element at fault, so the config loader can refuse to start with a clear message.
//! 2. **Describe the request**: the caller ([`Principal`]), and its condition keys
//!    ([`Context`]: `aws:SecureTransport`, `aws:SourceIp`, `s3:prefix`, ...).
//! 3. **Decide**: [`evaluate_chain`] with one [`Step`] per resource the request reaches (the
//!    Object Lambda Access Point, the access point, the bucket). An explicit `Deny` anywhere
//!    wins; each step is allowed by the identity policy or the resource's policy; the request is
//!    allowed only if every step is. [`evaluate`] decides a single step, [`Policy::evaluate`]
//!    a single policy.
//!
//! ```
//! use object_lambda_policy::{arn, evaluate_chain, Context, Policy, PolicyKind, Principal, Step};
//!
//! let bucket_policy: Policy = r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{
//!     "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
//!     "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
//!     "Condition": {"Bool": {"aws:SecureTransport": "false"}}
//!   }]
//! }"#.parse()?;
//! let admin = Policy::allow_all();
//! let alice = Principal::iam_user("111122223333", "alice");
//! let object = arn::object("data", "report.csv");
//! let get = [Step { resource_policy: Some(&bucket_policy), action: "s3:GetObject", resource: &object, context: None }];
//!
//! let http = Context::new().with("aws:SecureTransport", "false");
//! assert!(!evaluate_chain(Some(&admin), &alice, &http, &get).is_allowed());
//! let https = Context::new().with("aws:SecureTransport", "true");
//! assert!(evaluate_chain(Some(&admin), &alice, &https, &get).is_allowed());
//! # Ok::<(), object_lambda_policy::PolicyError>(())
//! ```
//!
//! See [`evaluate_chain`] for the Object Lambda chain, and the crate README for what is and is
//! not supported.

pub mod arn;
mod condition;
mod context;
mod error;
mod eval;
mod policy;
mod template;
mod wildcard;

pub use context::{Context, Principal};
pub use error::PolicyError;
pub use eval::{
    ChainDecision, Decision, Matched, Outcome, Request, Step, StepDecision, evaluate,
    evaluate_chain,
};
pub use policy::{Effect, Policy, PolicyKind, Statement};
