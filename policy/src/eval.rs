//! Evaluation: a statement, a policy, a same-account decision, and a chain of resources.

use crate::context::{Context, Keys, Principal};
use crate::policy::{Effect, Policy, PrincipalBlock, Statement};
use crate::template::arn_matches;
use crate::wildcard;

/// One request as a policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who calls.
    pub principal: &'a Principal,
    /// The action, `service:Name`, such as `s3:GetObject` (matched case-insensitively).
    pub action: &'a str,
    /// The resource ARN, such as `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// The request's condition keys.
    pub context: &'a Context,
}

/// The statement that decided a policy's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched<'p> {
    /// Position of the statement in the policy, 0-based.
    pub index: usize,
    /// Its `Sid`, if any.
    pub sid: Option<&'p str>,
}

/// What one policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'p> {
    /// A `Deny` statement matches: refused whatever else allows it.
    ExplicitDeny(Matched<'p>),
    /// An `Allow` statement matches and no `Deny` does.
    Allow(Matched<'p>),
    /// No statement matches (or there is no policy).
    NotApplicable,
}

/// The decision for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// A policy denies it explicitly.
    ExplicitDeny,
    /// Nothing allows it.
    ImplicitDeny,
}

impl Decision {
    /// `true` for [`Decision::Allow`].
    #[must_use]
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl Policy {
    /// Evaluates this policy alone: the first matching `Deny` statement, else the first matching
    /// `Allow` statement, else [`Outcome::NotApplicable`].
    #[must_use]
    pub fn evaluate(&self, request: &Request<'_>) -> Outcome<'_> {
        self.evaluate_with(request, None)
    }

    pub(crate) fn evaluate_with(
        &self,
        request: &Request<'_>,
        extra: Option<&Context>,
    ) -> Outcome<'_> {
        let keys = Keys {
            principal: request.principal,
            layers: [extra, Some(request.context)],
        };
        let mut allow = None;
        for (index, statement) in self.statements.iter().enumerate() {
            if !statement_matches(statement, request, &keys) {
                continue;
            }
            let matched = Matched {
                index,
                sid: statement.sid.as_deref(),
            };
            match statement.effect {
                Effect::Deny => return Outcome::ExplicitDeny(matched),
                Effect::Allow => {
                    allow.get_or_insert(matched);
                }
            }
        }
        allow.map_or(Outcome::NotApplicable, Outcome::Allow)
    }
}

/// How well the caller matches a statement's `Principal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalMatch {
    None,
    /// The statement names the caller's account (`"111122223333"` or `arn:aws:iam::...:root`).
    Account,
    /// The statement names the caller, or everyone.
    Exact,
}

fn principal_match(block: &PrincipalBlock, principal: &Principal) -> PrincipalMatch {
    if block.everyone || block.aws.iter().any(|id| id == principal.arn()) {
        return PrincipalMatch::Exact;
    }
    let root = format!("arn:aws:iam::{}:root", principal.account());
    if block
        .aws
        .iter()
        .any(|id| id == principal.account() || *id == root)
    {
        return PrincipalMatch::Account;
    }
    PrincipalMatch::None
}

fn statement_matches(statement: &Statement, request: &Request<'_>, keys: &Keys<'_>) -> bool {
    if let Some(block) = &statement.principal {
        let level = principal_match(block, request.principal);
        let applies = if block.negated {
            level == PrincipalMatch::None
        } else {
            match statement.effect {
                // Naming the account in an Allow delegates to the account's own (identity)
                // policies, as in IAM: it grants nothing to a user by itself.
                Effect::Allow => level == PrincipalMatch::Exact,
                // A Deny naming the account applies to everyone in it.
                Effect::Deny => level != PrincipalMatch::None,
            }
        };
        if !applies {
            return false;
        }
    }

    let action_hit = statement
        .actions
        .patterns
        .iter()
        .any(|p| wildcard::matches(p, request.action, true));
    if action_hit == statement.actions.negated {
        return false;
    }

    let resource_hit = statement.resources.patterns.iter().any(|t| {
        t.pattern(keys)
            .is_some_and(|p| arn_matches(&p, request.resource))
    });
    if resource_hit == statement.resources.negated {
        return false;
    }

    statement.conditions.iter().all(|c| c.holds(keys))
}

/// A request's decision from its identity policy and one resource policy, as IAM decides within
/// one account: an explicit `Deny` in either wins; else an `Allow` in either allows; else
/// implicit deny.
#[must_use]
pub fn evaluate<'p>(
    identity_policy: Option<&'p Policy>,
    resource_policy: Option<&'p Policy>,
    request: &Request<'_>,
) -> StepDecision<'p> {
    decide(identity_policy, resource_policy, request, None)
}

fn decide<'p>(
    identity_policy: Option<&'p Policy>,
    resource_policy: Option<&'p Policy>,
    request: &Request<'_>,
    extra: Option<&Context>,
) -> StepDecision<'p> {
    let identity =
        identity_policy.map_or(Outcome::NotApplicable, |p| p.evaluate_with(request, extra));
    let resource =
        resource_policy.map_or(Outcome::NotApplicable, |p| p.evaluate_with(request, extra));
    let decision = match (identity, resource) {
        (Outcome::ExplicitDeny(_), _) | (_, Outcome::ExplicitDeny(_)) => Decision::ExplicitDeny,
        (Outcome::Allow(_), _) | (_, Outcome::Allow(_)) => Decision::Allow,
        _ => Decision::ImplicitDeny,
    };
    StepDecision {
        identity,
        resource,
        decision,
    }
}

/// One resource a request reaches, with the policy attached to it. The policy (`'p`) may
/// outlive the request's strings (`'a`): decisions borrow only from policies.
#[derive(Debug, Clone, Copy)]
pub struct Step<'p, 'a> {
    /// The resource's policy: bucket, access point or Object Lambda Access Point policy.
    pub resource_policy: Option<&'p Policy>,
    /// The action on this resource (`s3-object-lambda:GetObject`, `s3:GetObject`, ...).
    pub action: &'a str,
    /// The resource's ARN in this step's form (Object Lambda Access Point, access point object,
    /// bucket object).
    pub resource: &'a str,
    /// Keys that hold for this step only (`aws:CalledVia`, `s3:DataAccessPointArn`, ...); they
    /// override the request's keys of the same name.
    pub context: Option<&'a Context>,
}

/// The decision for one step, and what each policy said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDecision<'p> {
    /// What the caller's identity policy said.
    pub identity: Outcome<'p>,
    /// What the resource's policy said.
    pub resource: Outcome<'p>,
    /// The two combined.
    pub decision: Decision,
}

/// The decision for a whole chain: allowed only if every step is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainDecision<'p> {
    /// [`Decision::ExplicitDeny`] if any step is explicitly denied, else
    /// [`Decision::ImplicitDeny`] if any step is not allowed, else [`Decision::Allow`].
    pub decision: Decision,
    /// Each step's decision, in the order given.
    pub steps: Vec<StepDecision<'p>>,
}

impl ChainDecision<'_> {
    /// `true` if every step is allowed.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// The first step that is not allowed (an explicit deny first), for logs.
    #[must_use]
    pub fn failing_step(&self) -> Option<usize> {
        let position = |d: Decision| self.steps.iter().position(|s| s.decision == d);
        position(Decision::ExplicitDeny).or_else(|| position(Decision::ImplicitDeny))
    }
}

/// Evaluates a request that reaches several resources, once per request.
///
/// Each [`Step`] is decided as in [`evaluate`]: the caller's identity policy and the step's
/// resource policy, for the step's action and resource, with the request's keys plus the step's
/// own. The request is allowed only if every step is; an explicit deny anywhere denies it.
///
/// This is how S3 authorizes a request made through access points: a GET through an Object
/// Lambda Access Point needs `s3-object-lambda:GetObject` on the Object Lambda Access Point, then
/// `s3:GetObject` on the supporting access point and on the bucket, both with
/// `aws:CalledVia = ["s3-object-lambda.amazonaws.com"]`. A bucket policy usually grants the
/// bucket step by delegating to access points (`s3:DataAccessPointAccount`).
///
/// `identity_policy` is the caller's policy; `None` means the caller has none (nothing is
/// allowed by identity). Pass [`Policy::allow_all`] for an administrator.
///
/// # Example
///
/// ```
/// use object_lambda_policy::{arn, evaluate_chain, Context, Decision, Policy, PolicyKind, Principal, Step};
///
/// let account = "111122223333";
/// let alice = Principal::iam_user(account, "alice");
/// // Alice may use Object Lambda, and may read objects only when S3 Object Lambda reads for her.
/// let identity = Policy::parse(r#"{"Version": "2012-10-17", "Statement": [
///     {"Effect": "Allow", "Action": "s3-object-lambda:GetObject", "Resource": "*"},
///     {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
///      "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "s3-object-lambda.amazonaws.com"}}}
/// ]}"#, PolicyKind::Identity)?;
/// let bucket_policy: Policy = r#"{"Version": "2012-10-17", "Statement": [
///     {"Sid": "DelegateAccessControlToAccessPoints", "Effect": "Allow", "Principal": "*",
///      "Action": "*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
///      "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}
/// ]}"#.parse()?;
///
/// let request_keys = Context::new().with("aws:SecureTransport", "true").with("aws:SourceIp", "192.0.2.10");
/// let ap = arn::access_point("us-east-1", account, "finance-ap");
/// let via_olap = Context::new()
///     .with_values("aws:CalledVia", ["s3-object-lambda.amazonaws.com"])
///     .with("aws:CalledViaFirst", "s3-object-lambda.amazonaws.com")
///     .with("aws:CalledViaLast", "s3-object-lambda.amazonaws.com")
///     .with("s3:DataAccessPointArn", ap.as_str())
///     .with("s3:DataAccessPointAccount", account)
///     .with("s3:AccessPointNetworkOrigin", "Internet");
/// let olap = arn::object_lambda_access_point("us-east-1", account, "finance-olap");
/// let ap_object = arn::access_point_object("us-east-1", account, "finance-ap", "Finance/q1.csv");
/// let bucket_object = arn::object("data", "Finance/q1.csv");
/// let steps = [
///     Step { resource_policy: None, action: "s3-object-lambda:GetObject", resource: &olap, context: None },
///     Step { resource_policy: None, action: "s3:GetObject", resource: &ap_object, context: Some(&via_olap) },
///     Step { resource_policy: Some(&bucket_policy), action: "s3:GetObject", resource: &bucket_object, context: Some(&via_olap) },
/// ];
/// let decision = evaluate_chain(Some(&identity), &alice, &request_keys, &steps);
/// assert_eq!(decision.decision, Decision::Allow);
///
/// // The same GET made directly on the bucket is refused: nothing calls via Object Lambda.
/// let direct = [Step { resource_policy: Some(&bucket_policy), action: "s3:GetObject", resource: &bucket_object, context: None }];
/// assert_eq!(evaluate_chain(Some(&identity), &alice, &request_keys, &direct).decision, Decision::ImplicitDeny);
/// # Ok::<(), object_lambda_policy::PolicyError>(())
/// ```
#[must_use]
pub fn evaluate_chain<'p>(
    identity_policy: Option<&'p Policy>,
    principal: &Principal,
    context: &Context,
    steps: &[Step<'p, '_>],
) -> ChainDecision<'p> {
    let steps: Vec<StepDecision<'p>> = steps
        .iter()
        .map(|step| {
            let request = Request {
                principal,
                action: step.action,
                resource: step.resource,
                context,
            };
            decide(
                identity_policy,
                step.resource_policy,
                &request,
                step.context,
            )
        })
        .collect();
    let decision = if steps.iter().any(|s| s.decision == Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if steps.is_empty() || steps.iter().any(|s| s.decision == Decision::ImplicitDeny) {
        Decision::ImplicitDeny
    } else {
        Decision::Allow
    };
    ChainDecision { decision, steps }
}
