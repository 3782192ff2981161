//! The production gateway: the Object Lambda Access Point layer in front of a remote
//! S3-compatible store (the remote backend, `src/backend/remote.rs`), with functions as local binaries,
//! on AWS Lambda or behind webhooks, run as any number of replicas.
//!
//! Differences from the emulator: no local store and no sample data; no default credentials
//! (it refuses to start without `[[credentials]]` and `route_secret`); a WriteGetObjectResponse
//! is authenticated by its single-use `outputToken` (a gateway cannot check a Lambda role's
//! signature against IAM), and its `outputRoute` is signed so that any replica can forward it
//! to the one holding the caller (`route.rs`); HTTPS, metrics, health and graceful shutdown.

mod config;
mod ops;
pub(crate) mod route;
mod serve;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use config::{BackendConfig, FunctionConfig, GatewayConfig};

use crate::accesslog::{self, AccessLog, RemoteSink};
use crate::backend::{RemoteBackend, RemoteSettings};
use crate::function::Function;
use crate::server::Shared;
use crate::{Credential, Error, LambdaFunction, ProcessFunction, WebhookFunction};

/// Entry point: [`Gateway::start`].
#[derive(Debug)]
pub struct Gateway(());

/// What functions running as local binaries sign their WGOR with: the gateway does not check
/// WGOR signatures, so they get no real secret.
const FUNCTION_CREDENTIAL: (&str, &str) = (
    "object-lambda-gateway",
    "unused-wgor-is-token-authenticated",
);

impl Gateway {
    /// Validates `config`, binds, and starts serving (and the metrics listener, if any).
    pub async fn start(config: GatewayConfig) -> Result<RunningGateway, Error> {
        config.validate()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
            _ => None,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::io(format!("binding {}", config.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound address", e))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let replica_url = config
            .replica_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{addr}"));
        let replica = url::Url::parse(&replica_url).map_err(|e| {
            Error::Config(crate::ConfigError::Invalid(format!("`replica_url`: {e}")))
        })?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| replica_url.clone())
            .trim_end_matches('/')
            .to_owned();

        let functions = build_functions(&config, &public_url).await?;
        let olap = config.olap_config();
        let concurrency = olap
            .reserved_concurrency
            .iter()
            .map(|(name, n)| {
                let permits = usize::try_from(*n).unwrap_or(usize::MAX);
                (name.clone(), Arc::new(tokio::sync::Semaphore::new(permits)))
            })
            .collect();
        let backend = RemoteBackend::new(&RemoteSettings {
            endpoint: config.backend.endpoint.clone(),
            region: config.backend.region.clone(),
            force_path_style: config.backend.force_path_style,
            connect_timeout: Duration::from_millis(config.backend.connect_timeout_ms),
        })
        .await;
        // Server access logs, delivered into the backend's target buckets; the writer has its
        // own stop, sent once in-flight requests have drained, so their records are written.
        let (log_stop, log_stop_rx) = watch::channel(false);
        let targets = config.log_targets();
        let (access_log, log_task) = if targets.is_empty() {
            (None, None)
        } else {
            let sink = Arc::new(RemoteSink::new(backend.client().clone(), targets));
            let (log, task) = AccessLog::start(
                sink,
                &olap.account_id,
                accesslog::Limits::of(&olap),
                true,
                log_stop_rx,
            );
            (Some(log), Some(task))
        };
        let secret = config.route_secret.clone().unwrap_or_default();
        let policies = Arc::new(crate::authz::Policies::from_config(&olap).map_err(Error::Config)?);
        let shared = Arc::new(Shared {
            policies: policies.clone(),
            functions,
            endpoint: public_url.clone(),
            backend: Arc::new(backend),
            tokens: crate::wgor::Tokens::default(),
            concurrency,
            routes: Some(route::Routes::new(&secret, &replica)),
            verify_wgor_signature: false,
            invoke_api: false,
            access_log,
            config: olap,
        });
        let mut builder = s3s::service::S3ServiceBuilder::new(NoBuckets);
        let mut auth = s3s::auth::SimpleAuth::new();
        for c in &config.credentials {
            auth.register(c.access_key_id.clone(), c.secret_access_key.clone().into());
        }
        builder.set_auth(auth);
        builder.set_access(crate::authz::PolicyAccess(policies));
        builder.set_route(crate::olap::OlapRoute {
            shared: shared.clone(),
        });
        let public = builder.build();

        let (stop_tx, stop_rx) = watch::channel(false);
        let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // The operations listener outlives the drain, so `/healthz` can say `draining`.
        let (ops_stop, ops_stop_rx) = watch::channel(false);
        let metrics = match config.metrics_listen {
            Some(a) => Some(ops::start(a, draining.clone(), ops_stop_rx).await?),
            None => None,
        };
        let grace = Duration::from_secs(config.shutdown_grace_secs);
        let task = tokio::spawn(serve::serve(serve::Serve {
            listener,
            tls,
            shared,
            public,
            stop: stop_rx,
            grace,
        }));
        tracing::info!(%addr, %public_url, %replica_url, "gateway listening");
        Ok(RunningGateway {
            addr,
            endpoint: format!("{scheme}://{addr}"),
            metrics_addr: metrics,
            draining,
            stop: stop_tx,
            ops_stop,
            task: Some(task),
            log_stop,
            log_task,
        })
    }
}

async fn build_functions(
    config: &GatewayConfig,
    public_url: &str,
) -> Result<HashMap<String, Arc<dyn Function>>, Error> {
    let mut out: HashMap<String, Arc<dyn Function>> = HashMap::new();
    for (name, f) in &config.functions {
        let function: Arc<dyn Function> = if let Some(binary) = &f.binary {
            if !binary.is_file() {
                return Err(Error::Config(crate::ConfigError::Invalid(format!(
                    "`[functions.{name}]`: {} is not a file",
                    binary.display()
                ))));
            }
            let mut b = ProcessFunction::builder(name, binary)
                .endpoint_url(public_url)
                .credential(Credential::new(
                    FUNCTION_CREDENTIAL.0,
                    FUNCTION_CREDENTIAL.1,
                ))
                .env("AWS_REGION", &config.backend.region);
            if let Some(n) = f.max_processes {
                b = b.max_processes(n);
            }
            for (k, v) in &f.environment {
                b = b.env(k, v);
            }
            Arc::new(b.build())
        } else if let Some(arn) = &f.lambda {
            Arc::new(
                LambdaFunction::new(arn, &config.backend.region, f.lambda_endpoint.as_deref())
                    .await,
            )
        } else if let Some(url) = &f.webhook {
            let mut w = WebhookFunction::new(url).map_err(|e| {
                Error::Config(crate::ConfigError::Invalid(format!(
                    "`[functions.{name}]`: {e}"
                )))
            })?;
            if let Some(t) = &f.webhook_auth_token {
                w = w.auth_token(t);
            }
            Arc::new(w)
        } else {
            continue;
        };
        out.insert(name.clone(), function);
    }
    if let Some(bundle) = config.functions_ca_bundle() {
        if !bundle.is_file() {
            return Err(Error::Config(crate::ConfigError::Invalid(format!(
                "`function_ca_bundle`/`tls_cert` {} is not a file",
                bundle.display()
            ))));
        }
        let https_backend = config
            .backend
            .endpoint
            .as_deref()
            .is_none_or(|e| e.starts_with("https://"));
        if config.function_ca_bundle.is_none() && https_backend {
            // The bundle replaces the functions' system roots: their inputS3Url fetch from an
            // HTTPS backend fails unless its CA is in the bundle too.
            tracing::warn!(
                bundle = %bundle.display(),
                "process functions get AWS_CA_BUNDLE = tls_cert, which replaces their system roots; the backend is HTTPS: set `function_ca_bundle` to a PEM file holding both this certificate and the backend's CA (or \"\" for none)"
            );
        }
        // Only process functions start with this environment; the others ignore it.
        for f in out.values() {
            f.use_ca_bundle(&bundle);
        }
    }
    Ok(out)
}

/// The gateway's plain S3 surface: none (every bucket request is answered by s3s's default,
/// NotImplemented); only Object Lambda Access Points are served.
struct NoBuckets;

impl s3s::S3 for NoBuckets {}

/// A running gateway; dropping it stops the server.
#[derive(Debug)]
pub struct RunningGateway {
    addr: SocketAddr,
    endpoint: String,
    metrics_addr: Option<SocketAddr>,
    draining: Arc<std::sync::atomic::AtomicBool>,
    stop: watch::Sender<bool>,
    ops_stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Server access logs: stops the writer, which then writes what it holds.
    log_stop: watch::Sender<bool>,
    log_task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningGateway {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http(s)://IP:PORT`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// The metrics listener's bound address.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Graceful shutdown: `/healthz` turns 503, no new connections are accepted, in-flight
    /// requests get up to `shutdown_grace_secs`, then the rest are cut.
    pub async fn shutdown(mut self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let _ = self.log_stop.send(true);
        if let Some(task) = self.log_task.take() {
            let _ = task.await;
        }
        let _ = self.ops_stop.send(true);
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = self.ops_stop.send(true);
        // The writer is not aborted: it writes what it holds if the runtime lives on.
        let _ = self.log_stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
