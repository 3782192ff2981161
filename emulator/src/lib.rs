//! A local S3 endpoint with S3 Object Lambda Access Points, for tests and demos.
//!
//! Real clients (aws-sdk-s3, boto3, the aws CLI) talk to it on `127.0.0.1`, path-style:
//!
//! 1. Plain S3 (`/bucket/key`) is served by [`s3s`] over the `s3s-fs` file-system backend
//!    (SigV4 header and presigned auth, S3 XML errors), with conditional GET/HEAD and SSE-C
//!    bookkeeping added.
//! 2. A request whose "bucket" is an Object Lambda Access Point name or alias is
//!    authenticated by s3s, then turned into the Lambda event AWS would send: a real presigned
//!    `inputS3Url` on the supporting bucket signed with the caller's credential, a fresh
//!    single-use `outputRoute`/`outputToken`, `userRequest`, `userIdentity`, `configuration`.
//! 3. The registered [`Function`] is invoked in-process. For GET it fetches the URL and calls
//!    `POST /WriteGetObjectResponse` (routed by `x-amz-request-route` whatever the Host says,
//!    signature checked for `s3-object-lambda`); the body streams through to the caller. HEAD
//!    and LIST are answered from the function's return value.
//! 4. Misbehaving functions give the caller AWS's codes: `LambdaResponseNotReceived`,
//!    `LambdaTimeout`, `LambdaRuntimeError`, `LambdaInvalidResponse`.
//!
//! ```no_run
//! # async fn demo(f: std::sync::Arc<dyn object_lambda_emulator::Function>) -> Result<(), object_lambda_emulator::Error> {
//! use object_lambda_emulator::{Config, Emulator};
//! let emu = Emulator::builder()
//!     .config(Config::default_for(&["passthrough"]))
//!     .listen("127.0.0.1:0".parse().expect("address"))
//!     .function("passthrough", f)
//!     .start()
//!     .await?;
//! println!("{}", emu.endpoint_url()); // GET {endpoint}/passthrough/report.csv
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod accept;
mod accesslog;
mod authz;
mod backend;
mod config;
mod errors;
mod event;
mod function;
pub mod gateway;
mod in_process;
mod intrinsics;
mod invoke;
mod listxml;
mod local_endpoint;
mod olap;
mod precheck;
mod process;
mod runtime_api;
mod seed;
mod server;
mod settings;
mod sigv4;
mod store;
mod template;
mod template_buckets;
#[cfg(feature = "test-util")]
pub mod test_util;
mod tls;
mod wgor;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

pub use backend::RemoteSettings;
pub use config::{
    AccessPointConfig, Action, BucketConfig, Config, ConfigError, Credential,
    DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_POINT, DEFAULT_ACCOUNT_ID, DEFAULT_BUCKET,
    DEFAULT_SECRET_ACCESS_KEY, Feature, OlapConfig, REGION,
};
pub use function::{DirectAnswer, Function, InvokeError};
pub use gateway::{Gateway, GatewayConfig, RunningGateway};
pub use in_process::InProcess;
pub use invoke::{LambdaFunction, WebhookFunction};
pub use process::{DEFAULT_MAX_PROCESSES, ProcessFunction, ProcessFunctionBuilder, locate_binary};
pub use seed::SAMPLES;
pub use settings::{DefaultRetention, Encryption, Logging, ObjectLock};
pub use template::{Template, TemplateError, TemplateFunction};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An Object Lambda Access Point names a function that was not registered.
    #[error("object lambda access point `{olap}`: function `{function}` is not registered")]
    FunctionNotRegistered {
        /// The access point.
        olap: String,
        /// The missing function.
        function: String,
    },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The storage backend refused an operation while seeding.
    #[error("storage: {0}")]
    Storage(String),
}

impl Error {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// Entry point: [`Emulator::builder`].
#[derive(Debug)]
pub struct Emulator(());

impl Emulator {
    /// A builder with the defaults: listen on `127.0.0.1:0`, a fresh temporary data
    /// directory, and [`Config::default_for`] the registered functions.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            config: None,
            data_dir: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            functions: HashMap::new(),
        }
    }
}

/// Configures and starts an emulator.
pub struct EmulatorBuilder {
    config: Option<Config>,
    data_dir: Option<PathBuf>,
    listen: SocketAddr,
    functions: HashMap<String, Arc<dyn Function>>,
}

impl std::fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("config", &self.config)
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl EmulatorBuilder {
    /// The configuration (default: [`Config::default_for`] the registered functions).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Where buckets and objects are stored (created if missing). Default: a temporary
    /// directory removed when the emulator stops.
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Listen address; port 0 picks a free port (see [`RunningEmulator::addr`]).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Registers a function under `name` (the `function` of an Object Lambda Access Point).
    #[must_use]
    pub fn function(mut self, name: impl Into<String>, function: Arc<dyn Function>) -> Self {
        self.functions.insert(name.into(), function);
        self
    }

    /// Validates the configuration, prepares storage, binds and starts serving.
    pub async fn start(self) -> Result<RunningEmulator, Error> {
        let config = match self.config {
            Some(c) => c,
            None => {
                let mut names: Vec<&str> = self.functions.keys().map(String::as_str).collect();
                names.sort_unstable();
                Config::default_for(&names)
            }
        };
        config.validate()?;
        for o in &config.object_lambda_access_points {
            if !self.functions.contains_key(&o.function) {
                return Err(Error::FunctionNotRegistered {
                    olap: o.name.clone(),
                    function: o.function.clone(),
                });
            }
        }
        let (data_dir, temp) = match self.data_dir {
            Some(d) => (d, None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("object-lambda-emulator-")
                    .tempdir()
                    .map_err(|e| Error::io("creating a temporary data directory", e))?;
                (t.path().to_owned(), Some(t))
            }
        };
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
        let store = open_store(&data_dir, &config.account_id)?;
        for bucket in &config.buckets {
            settings::apply(&store, bucket).await?;
            seed::seed_bucket(&store, bucket).await?;
        }
        for bucket in &config.buckets {
            settings::apply_logging(&store, bucket).await?;
        }

        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|e| Error::io(format!("binding {}", self.listen), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound address", e))?;
        let tls = match config.tls_listen {
            Some(tls_addr) => Some(TlsListener::bind(&config, tls_addr, &data_dir).await?),
            None => None,
        };
        // Functions get the HTTPS endpoint when there is one (as AWS's `inputS3Url` is), and
        // the bundle to verify it with.
        let endpoint = match &tls {
            Some(t) => format!("https://{}", t.addr),
            None => format!("http://{addr}"),
        };
        // The served certificate file, not this process's own `AWS_CA_BUNDLE`: that one is
        // usually the system's bundle, for AWS, which cannot verify a local certificate.
        if let Some(t) = &tls {
            for f in self.functions.values() {
                f.use_ca_bundle(&t.cert);
            }
        }
        let credentials = config.credentials.clone();

        let concurrency = config
            .reserved_concurrency
            .iter()
            .map(|(name, n)| {
                let permits = usize::try_from(*n).unwrap_or(usize::MAX);
                (name.clone(), Arc::new(tokio::sync::Semaphore::new(permits)))
            })
            .collect();
        let policies = Arc::new(authz::Policies::from_config(&config)?);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (access_log, log_task) = accesslog::AccessLog::start(
            Arc::new(store.clone()),
            &config.account_id,
            accesslog::Limits::of(&config),
            false,
            stop_rx.clone(),
        );
        let shared = Arc::new(server::Shared {
            access_log: Some(access_log),
            policies: policies.clone(),
            backend: Arc::new(backend::LocalBackend::new(store.clone(), endpoint.clone())),
            concurrency,
            config,
            functions: self.functions,
            endpoint,
            tokens: wgor::Tokens::default(),
            routes: None,
            verify_wgor_signature: true,
            invoke_api: true,
        });
        let mut builder = s3s::service::S3ServiceBuilder::new(store);
        let mut auth = s3s::auth::SimpleAuth::new();
        for c in &credentials {
            auth.register(c.access_key_id.clone(), c.secret_access_key.clone().into());
        }
        builder.set_auth(auth);
        builder.set_access(authz::PolicyAccess(policies));
        builder.set_route(olap::OlapRoute {
            shared: shared.clone(),
        });
        let public = builder.build();

        // In-process functions hand their requests to this emulator directly.
        let served = Arc::new(local_endpoint::Served {
            shared: shared.clone(),
            public: public.clone(),
        });
        if shared.config.in_process_direct {
            for f in shared.functions.values() {
                f.use_local_endpoint(Arc::new(local_endpoint::InProcessEndpoint::new(&served)));
            }
        }
        let limits = accept::Limits::new(
            shared.config.max_connections,
            shared.config.header_read_timeout_ms,
            std::time::Duration::ZERO,
        );
        let mut tasks = vec![tokio::spawn(server::serve(
            listener,
            None,
            limits.clone(),
            shared.clone(),
            public.clone(),
            stop_rx.clone(),
        ))];
        let tls_info = tls.map(|t| {
            tasks.push(tokio::spawn(server::serve(
                t.listener,
                Some(t.acceptor),
                limits,
                shared,
                public,
                stop_rx,
            )));
            tracing::info!(addr = %t.addr, cert = %t.cert.display(), "emulator listening (HTTPS)");
            (t.addr, format!("https://{}", t.addr), t.cert)
        });
        tracing::info!(%addr, data_dir = %data_dir.display(), "emulator listening");
        Ok(RunningEmulator {
            addr,
            endpoint: format!("http://{addr}"),
            tls: tls_info,
            credentials,
            data_dir,
            stop: stop_tx,
            tasks,
            log_task: Some(log_task),
            _temp: temp,
            _served: served,
        })
    }
}

/// The HTTPS listener: its socket, acceptor, bound address and certificate file.
struct TlsListener {
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    addr: SocketAddr,
    cert: PathBuf,
}

impl TlsListener {
    /// Binds `addr` with the configured certificate, or the one generated into
    /// `<data_dir>/tls/`.
    async fn bind(config: &Config, addr: SocketAddr, data_dir: &Path) -> Result<Self, Error> {
        let (cert, key) = match (&config.tls_cert, &config.tls_key) {
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            _ => tls::self_signed(&data_dir.join("tls"), addr)?,
        };
        let acceptor = tls::acceptor(&cert, &key)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io(format!("binding {addr} (TLS)"), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound TLS address", e))?;
        Ok(Self {
            listener,
            acceptor,
            addr,
            cert,
        })
    }
}

fn open_store(data_dir: &Path, account: &str) -> Result<store::Store, Error> {
    store::Store::open(data_dir, account).map_err(|e| {
        Error::io(
            format!("opening the data directory {}", data_dir.display()),
            e,
        )
    })
}

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    endpoint: String,
    /// HTTPS: bound address, `https://IP:PORT`, certificate file.
    tls: Option<(SocketAddr, String, PathBuf)>,
    credentials: Vec<Credential>,
    data_dir: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The access log writer: writes what it holds when stopped.
    log_task: Option<tokio::task::JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
    /// What in-process functions' requests are served with (they hold it weakly).
    _served: Arc<local_endpoint::Served>,
}

impl RunningEmulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, for `endpoint_url` of an S3 client (path-style).
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    /// The HTTPS address, when `tls_listen` is configured.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(|t| t.0)
    }

    /// `https://IP:PORT`, when `tls_listen` is configured.
    pub fn tls_endpoint_url(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.1.as_str())
    }

    /// The certificate served over HTTPS (PEM): the configured `tls_cert`, or the generated
    /// self-signed one, which clients trust as their CA bundle.
    pub fn tls_cert(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.2.as_path())
    }

    /// The accepted credentials; the first is the default one.
    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops accepting connections, drops open ones and waits for the server task, then for
    /// the pending server access log records to be written.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
        if let Some(task) = self.log_task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            task.abort();
        }
        // The log writer sees `stop` and writes what it holds on its own.
    }
}
