//! The AWS clients the runtime needs, built once per process, on first use.
//!
//! Building the S3 client loads the SDK's configuration chain (region, credentials, retry and
//! timeout settings) and its HTTPS client; none of it is needed to ask the Runtime API for the
//! first event, so [`LazyS3`] builds it when the first request needs it (or in the background,
//! see [`LazyS3::prepare`]) instead of delaying a cold start's first `next`.
//!
//! Local endpoints: for WriteGetObjectResponse every AWS SDK prepends `{RequestRoute}.` to the
//! endpoint host, and aws-sdk-s3 has no setting to turn that off. Against
//! `http://127.0.0.1:9000` that gives `io-1.127.0.0.1:9000`, which no resolver knows. When the
//! configured endpoint is an IP address or `localhost`, [`RouteHostFix`] puts the configured host
//! back before the request is signed; the route still travels in the signed
//! `x-amz-request-route` header, which is what the endpoint routes on. Production (no custom
//! endpoint) is untouched.

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;

use crate::error::TransformError;

/// Settings for the S3 client the runtime uses for WGOR and supporting-object reads ([`s3_client`]).
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// Custom endpoint (also read from `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` when unset).
    pub endpoint_url: Option<String>,
    /// Static credentials (else the default chain: Lambda's environment).
    pub credentials: Option<(String, String)>,
    /// Region (else `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// PEM bundle to verify the endpoint's certificate with, instead of the system's roots
    /// (else `AWS_CA_BUNDLE`, which, as in the AWS CLI, replaces the system roots).
    pub ca_bundle: Option<std::path::PathBuf>,
}

/// The S3 client, built once on first use. Clones share the one client.
#[derive(Clone)]
pub(crate) struct LazyS3 {
    settings: Arc<ClientSettings>,
    client: Arc<tokio::sync::OnceCell<aws_sdk_s3::Client>>,
}

impl LazyS3 {
    /// A client to be built from `settings` when first needed.
    pub(crate) fn new(settings: ClientSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            client: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// The client, building it if this is the first call (concurrent callers wait for the one
    /// build; a failed build is tried again by the next call).
    pub(crate) async fn get(&self) -> Result<aws_sdk_s3::Client, TransformError> {
        self.client
            .get_or_try_init(|| s3_client(&self.settings))
            .await
            .cloned()
    }
}

impl std::fmt::Debug for LazyS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyS3")
            .field("built", &self.client.initialized())
            .finish_non_exhaustive()
    }
}

/// Build the S3 client.
pub async fn s3_client(settings: &ClientSettings) -> Result<aws_sdk_s3::Client, TransformError> {
    let endpoint = settings.endpoint_url.clone().or_else(|| {
        std::env::var("AWS_ENDPOINT_URL_S3")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .ok()
            .filter(|v| !v.is_empty())
    });
    let region = settings
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).region(Region::new(region));
    if let Some((ak, sk)) = &settings.credentials {
        loader = loader.credentials_provider(Credentials::new(
            ak,
            sk,
            None,
            None,
            "object-lambda-static",
        ));
    }
    let http = crate::http::client(settings.ca_bundle.as_deref())?;
    loader = loader.http_client(aws_sdk_s3::config::SharedHttpClient::new(
        crate::http::SdkHttpClient::new(http),
    ));
    let shared = loader.load().await;
    let mut builder = aws_sdk_s3::config::Builder::from(&shared);
    if let Some(endpoint) = &endpoint {
        builder = builder.endpoint_url(endpoint).force_path_style(true);
        if let Some(fix) = RouteHostFix::for_endpoint(endpoint) {
            builder = builder.interceptor(fix);
        }
    }
    Ok(aws_sdk_s3::Client::from_conf(builder.build()))
}

/// Whether an endpoint is local (an IP literal or `localhost`).
pub(crate) fn is_local_endpoint(endpoint: &str) -> bool {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
        .is_some_and(|host| match host {
            url::Host::Domain(d) => d == "localhost",
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
        })
}

/// Restores the configured endpoint authority after the SDK prefixed it with the request route.
#[derive(Debug, Clone)]
pub(crate) struct RouteHostFix {
    authority: Arc<str>,
}

impl RouteHostFix {
    /// An interceptor for `endpoint`, or `None` when the endpoint is not local (or when
    /// `OBJECT_LAMBDA_KEEP_HOST_PREFIX=true` asks for the SDK's behaviour). Any endpoint gets one
    /// with `AWS_DISABLE_HOST_PREFIX_INJECTION=true` (botocore's name for the same switch), as
    /// behind a self-hosted gateway reached by a DNS name.
    pub(crate) fn for_endpoint(endpoint: &str) -> Option<Self> {
        let forced = std::env::var("AWS_DISABLE_HOST_PREFIX_INJECTION")
            .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        if std::env::var("OBJECT_LAMBDA_KEEP_HOST_PREFIX").is_ok_and(|v| v == "true")
            || !(forced || is_local_endpoint(endpoint))
        {
            return None;
        }
        let url = url::Url::parse(endpoint).ok()?;
        let host = url.host_str()?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Some(Self {
            authority: authority.into(),
        })
    }

    /// `scheme://route.authority/path` → `scheme://authority/path`; other URIs unchanged.
    pub(crate) fn rewrite(&self, uri: &str) -> Option<String> {
        let (scheme, rest) = uri.split_once("://")?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let prefix = authority
            .strip_suffix(&*self.authority)?
            .strip_suffix('.')?;
        (!prefix.is_empty() && !prefix.contains('.'))
            .then(|| format!("{scheme}://{}{path}", self.authority))
    }
}

impl Intercept for RouteHostFix {
    fn name(&self) -> &'static str {
        "RouteHostFix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = self.rewrite(request.uri()) {
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_route_prefix_from_local_endpoint() {
        let fix = RouteHostFix::for_endpoint("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            fix.rewrite("http://io-use1-001.127.0.0.1:9000/WriteGetObjectResponse?x-id=WriteGetObjectResponse").as_deref(),
            Some("http://127.0.0.1:9000/WriteGetObjectResponse?x-id=WriteGetObjectResponse")
        );
        // Requests without the prefix (ordinary S3 calls) are left alone.
        assert_eq!(fix.rewrite("http://127.0.0.1:9000/bucket/key"), None);
        assert_eq!(fix.rewrite("http://a.b.127.0.0.1:9000/x"), None);
    }

    #[test]
    fn only_local_endpoints_get_the_fix() {
        assert!(RouteHostFix::for_endpoint("http://localhost:4566").is_some());
        assert!(RouteHostFix::for_endpoint("http://[::1]:9000").is_some());
        assert!(RouteHostFix::for_endpoint("https://s3.example.com").is_none());
    }
}
