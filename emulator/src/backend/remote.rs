//! A remote S3-compatible store (AWS S3, MinIO, Ceph, R2, moto, ...) through `aws-sdk-s3`.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use s3s::service::S3Service;
use s3s::{Body, S3Request, S3Response, S3Result};

use super::{Backend, InputRequest};
use crate::config::Action;
use crate::errors;

/// Where the remote store is. Credentials come from AWS's default chain (environment,
/// profile, web identity, ECS task role, EC2 instance role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// Endpoint URL; `None`: AWS S3 in `region`.
    pub endpoint: Option<String>,
    /// Region to sign for.
    pub region: String,
    /// Path-style addressing (`endpoint/bucket/key`), which most self-hosted stores need.
    pub force_path_style: bool,
    /// How long connecting to the store may take before a request fails (503).
    pub connect_timeout: Duration,
}

/// The remote store: passthrough requests go through `s3s-aws`'s proxy (each S3 operation
/// re-issued with the gateway's credentials); `inputS3Url` is presigned against the store.
pub(crate) struct RemoteBackend {
    client: aws_sdk_s3::Client,
    /// The default chain, for LIST URLs (which the SDK cannot presign).
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The last credentials the chain gave for LIST URLs: resolving the chain may be a network
    /// call (instance/task role, web identity), which the SDK's own clients cache too.
    cached: tokio::sync::Mutex<Option<aws_credential_types::Credentials>>,
    region: String,
    internal: S3Service,
}

impl RemoteBackend {
    pub(crate) async fn new(settings: &RemoteSettings) -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(settings.region.clone()))
            .load()
            .await;
        let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(Duration::from_secs(30))
            .build();
        // One quick retry: a store that is down must give the caller 503 quickly, not after
        // the default backoff.
        let retry = aws_sdk_s3::config::retry::RetryConfig::standard()
            .with_max_attempts(2)
            .with_initial_backoff(Duration::from_millis(50));
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .timeout_config(timeouts)
            .retry_config(retry)
            .force_path_style(settings.force_path_style);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let client = aws_sdk_s3::Client::from_conf(builder.build());
        Self {
            internal: super::internal_service(s3s_aws::Proxy::from(client.clone())),
            client,
            credentials: shared.credentials_provider(),
            cached: tokio::sync::Mutex::new(None),
            region: settings.region.clone(),
        }
    }
}

impl RemoteBackend {
    /// The S3 client with the gateway's backend credentials (server access log delivery).
    pub(crate) fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// aws-sdk-s3 cannot presign a LIST: the bucket's URL comes from a presigned GetObject of a
    /// placeholder key (so the SDK's endpoint rules, path or virtual style, still decide it),
    /// and the LIST request is signed here with the same credentials.
    async fn presign_list(
        &self,
        input: &InputRequest<'_>,
        config: PresigningConfig,
    ) -> S3Result<String> {
        let expires = config.expires();
        let probe = self
            .client
            .get_object()
            .bucket(input.bucket)
            .key("k")
            .presigned(config)
            .await
            .map_err(presign_error)?;
        let mut url = url::Url::parse(probe.uri()).map_err(presign_error)?;
        let path = url.path().strip_suffix("/k").unwrap_or("/").to_owned();
        url.set_path(if path.is_empty() { "/" } else { &path });
        url.set_query(None);
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &input.query {
                q.append_pair(k, v);
            }
        }
        let credentials = self.list_credentials().await?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::NoHeader;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(presign_error)?
            .into();
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let signable = SignableRequest::new(
            "GET",
            url.as_str(),
            std::iter::once(("host", host.as_str())),
            SignableBody::UnsignedPayload,
        )
        .map_err(presign_error)?;
        let (instructions, _) = sign(signable, &params).map_err(presign_error)?.into_parts();
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in instructions.params() {
                q.append_pair(k, v);
            }
        }
        Ok(url.to_string())
    }
}

impl RemoteBackend {
    /// Credentials for signing LIST URLs: cached until five minutes before they expire, so that
    /// a LIST does not resolve the credential chain each time.
    async fn list_credentials(&self) -> S3Result<aws_credential_types::Credentials> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached
            .as_ref()
            .filter(|c| still_fresh(c, SystemTime::now()))
        {
            return Ok(c.clone());
        }
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| presign_error("no credentials provider"))?;
        let fresh =
            aws_credential_types::provider::ProvideCredentials::provide_credentials(provider)
                .await
                .map_err(presign_error)?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }
}

/// Whether cached credentials may still sign a URL: long-lived keys always, temporary ones until
/// five minutes before they expire (a presigned URL must outlive the function's fetch).
fn still_fresh(c: &aws_credential_types::Credentials, now: SystemTime) -> bool {
    c.expiry()
        .is_none_or(|expiry| expiry > now + Duration::from_secs(300))
}

fn param<'a>(input: &'a InputRequest<'_>, name: &str) -> Option<&'a str> {
    input
        .query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn presign_error(e: impl std::fmt::Display) -> s3s::S3Error {
    errors::error(
        500,
        "InternalError",
        format!("presigning inputS3Url failed: {e}"),
    )
}

#[async_trait::async_trait]
impl Backend for RemoteBackend {
    async fn passthrough(
        &self,
        req: S3Request<Body>,
        bucket: &str,
        raw_rest: &str,
    ) -> S3Result<S3Response<Body>> {
        let mut resp = super::forward(&self.internal, req, bucket, raw_rest).await?;
        // s3s-aws reports a store it cannot reach as 500 InternalError; S3 Object Lambda
        // answers 503 for any failure of the store.
        if resp.status.is_some_and(|s| s.is_server_error()) {
            tracing::warn!(status = ?resp.status, "the backend failed a passthrough request");
            return Err(errors::error(
                503,
                "ServiceUnavailable",
                "The backend store is unavailable.",
            ));
        }
        resp.headers.remove(http::header::CONNECTION);
        Ok(resp)
    }

    async fn presign(&self, input: &InputRequest<'_>) -> S3Result<String> {
        let config = PresigningConfig::expires_in(input.expires).map_err(presign_error)?;
        let c = &self.client;
        let presigned = match input.action {
            Action::GetObject => c
                .get_object()
                .bucket(input.bucket)
                .key(input.key)
                .set_version_id(param(input, "versionId").map(str::to_owned))
                .presigned(config)
                .await
                .map_err(presign_error)?,
            Action::HeadObject => c
                .head_object()
                .bucket(input.bucket)
                .key(input.key)
                .set_version_id(param(input, "versionId").map(str::to_owned))
                .presigned(config)
                .await
                .map_err(presign_error)?,
            Action::ListObjects | Action::ListObjectsV2 => {
                return self.presign_list(input, config).await;
            }
        };
        Ok(presigned.uri().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(expiry: Option<SystemTime>) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new("AKID", "secret", None, expiry, "test")
    }

    #[test]
    fn cached_credentials_are_renewed_before_they_expire() {
        let now = SystemTime::now();
        assert!(still_fresh(&creds(None), now));
        assert!(still_fresh(
            &creds(Some(now + Duration::from_secs(3600))),
            now
        ));
        assert!(!still_fresh(
            &creds(Some(now + Duration::from_secs(120))),
            now
        ));
        assert!(!still_fresh(
            &creds(Some(now - Duration::from_secs(1))),
            now
        ));
    }
}
