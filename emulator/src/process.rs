//! Functions run as their real binaries (the `bootstrap` cargo lambda builds, or
//! `target/release/<name>`), through the Lambda Runtime API.
//!
//! A [`ProcessFunction`] keeps a pool of warm processes. An invocation takes an idle process
//! or, when none is idle and fewer than `max_processes` run, starts one (its own Runtime API
//! listener on `127.0.0.1:0`, see `runtime_api.rs`); with `max_processes` busy it waits.
//! The process gets the event on its `next` long poll and answers with `response` or `error`;
//! it then goes back to the pool. How things end for the caller:
//!
//! | what the process does | the caller gets |
//! |---|---|
//! | `response` | the value (HEAD/LIST); GET is answered by its WriteGetObjectResponse |
//! | `error` | 500 `LambdaRuntimeError` (the process stays warm, as in Lambda) |
//! | `init/error`, exits, or crashes before answering | 500 `LambdaRuntimeError`; the process is discarded |
//! | nothing within `function_timeout_ms` (also: never calls `next`) | 500 `LambdaTimeout`; the process is killed, the next invocation starts a fresh one |
//!
//! The timeout is the emulator's: it drops the invocation at the deadline, and dropping an
//! invocation kills its process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::future::BoxFuture;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{Credential, REGION};
use crate::function::Function;
use crate::in_process::endpoint_of;
use crate::runtime_api::{self, Invocation, Outcome, RuntimeApi};

/// Default cap on the processes of one function.
pub const DEFAULT_MAX_PROCESSES: usize = 4;

/// Finds a function's binary in `dir`: `dir/<name>/bootstrap` (cargo lambda's
/// `target/lambda/<name>/bootstrap`), else `dir/<name>` if it is a file
/// (`target/release/<name>`).
pub fn locate_binary(dir: &Path, name: &str) -> Option<PathBuf> {
    let bootstrap = dir.join(name).join("bootstrap");
    if bootstrap.is_file() {
        return Some(bootstrap);
    }
    let plain = dir.join(name);
    plain.is_file().then_some(plain)
}

/// A [`Function`] that runs a binary through the Lambda Runtime API. Cheap to clone (the pool
/// is shared); dropping the last clone kills its processes.
#[derive(Clone)]
pub struct ProcessFunction {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for ProcessFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessFunction")
            .field("name", &self.pool.spec.name)
            .field("program", &self.pool.spec.program)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ProcessFunction`].
#[derive(Debug, Clone)]
pub struct ProcessFunctionBuilder {
    spec: Spec,
    max_processes: usize,
}

#[derive(Debug, Clone)]
struct Spec {
    name: String,
    program: PathBuf,
    memory_mb: u32,
    credential: Option<Credential>,
    endpoint_url: Option<String>,
    log_format: Option<String>,
    log_level: Option<String>,
    environment: BTreeMap<String, String>,
}

impl ProcessFunction {
    /// A builder for the function `name` (`AWS_LAMBDA_FUNCTION_NAME`) run from `program`.
    pub fn builder(name: impl Into<String>, program: impl Into<PathBuf>) -> ProcessFunctionBuilder {
        ProcessFunctionBuilder {
            spec: Spec {
                name: name.into(),
                program: program.into(),
                memory_mb: 128,
                credential: None,
                endpoint_url: None,
                log_format: None,
                log_level: None,
                environment: BTreeMap::new(),
            },
            max_processes: DEFAULT_MAX_PROCESSES,
        }
    }

    /// How many processes were started so far.
    pub fn processes_started(&self) -> u64 {
        self.pool.stats().started
    }

    /// Cold starts measured so far (process start → its first `next` request), in start order.
    pub fn cold_starts(&self) -> Vec<Duration> {
        self.pool.stats().cold_starts.clone()
    }

    /// Processes currently idle (warm) in the pool.
    pub fn idle_processes(&self) -> usize {
        self.pool
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

impl ProcessFunctionBuilder {
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB; default 128). Informational: memory is not limited.
    #[must_use]
    pub fn memory_mb(mut self, mb: u32) -> Self {
        self.spec.memory_mb = mb;
        self
    }

    /// The credential the process gets as `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (its
    /// WriteGetObjectResponse is signed with it). Default: [`Credential::from_env_or_default`].
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.spec.credential = Some(credential);
        self
    }

    /// `AWS_ENDPOINT_URL_S3`. Default: the origin of the event's `inputS3Url`, i.e. the
    /// emulator that invokes the function.
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.spec.endpoint_url = Some(url.into());
        self
    }

    /// `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`), as SAM's `LoggingConfig.LogFormat`.
    #[must_use]
    pub fn log_format(mut self, format: impl Into<String>) -> Self {
        self.spec.log_format = Some(format.into());
        self
    }

    /// `AWS_LAMBDA_LOG_LEVEL`, as SAM's `LoggingConfig.ApplicationLogLevel`.
    #[must_use]
    pub fn log_level(mut self, level: impl Into<String>) -> Self {
        self.spec.log_level = Some(level.into());
        self
    }

    /// An extra environment variable (the function's `Environment.Variables`).
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.environment.insert(key.into(), value.into());
        self
    }

    /// At most this many processes at once (default [`DEFAULT_MAX_PROCESSES`]; at least 1).
    /// More concurrent invocations wait for a free process (within their timeout).
    #[must_use]
    pub fn max_processes(mut self, n: usize) -> Self {
        self.max_processes = n.max(1);
        self
    }

    /// The function. No process starts before the first invocation.
    pub fn build(mut self) -> ProcessFunction {
        // The process runs in its binary's folder (as in /var/task): a relative path would no
        // longer resolve there.
        if let Ok(abs) = std::path::absolute(&self.spec.program) {
            self.spec.program = abs;
        }
        ProcessFunction {
            pool: Arc::new(Pool {
                spec: self.spec,
                permits: Arc::new(Semaphore::new(self.max_processes)),
                idle: Mutex::new(Vec::new()),
                stats: Mutex::new(Stats::default()),
                ca_bundle: std::sync::OnceLock::new(),
            }),
        }
    }
}

struct Pool {
    spec: Spec,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Worker>>,
    stats: Mutex<Stats>,
    /// `AWS_CA_BUNDLE` for the processes: set by the emulator when it serves HTTPS
    /// ([`Function::use_ca_bundle`]); the function's own `environment` wins.
    ca_bundle: std::sync::OnceLock<PathBuf>,
}

#[derive(Default)]
struct Stats {
    started: u64,
    cold_starts: Vec<Duration>,
}

/// One running process with its Runtime API. Dropping it kills the process.
struct Worker {
    api: RuntimeApi,
    /// `Some(why)` once the process has exited (or reported an init error).
    dead: watch::Receiver<Option<String>>,
    /// Asks the monitor to end the process group (see `Drop`); the monitor owns the child.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    monitor: JoinHandle<()>,
    cold_start_recorded: bool,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The monitor owns the child and kills its whole group, so that processes the function
        // started do not outlive it. Only the monitor may signal the group: it does so before
        // it reaps the child, while the pid (the group id) cannot have been reused. Signalling
        // from here after the child was reaped could hit an unrelated process group (pids
        // wrap, at 32 768 on many systems). With no monitor left (runtime shutting down), the
        // child still gets SIGKILL from `kill_on_drop`.
        if let Some(stop) = self.stop.take()
            && stop.send(()).is_ok()
        {
            return;
        }
        self.monitor.abort();
    }
}

impl Worker {
    fn is_dead(&self) -> bool {
        self.dead.borrow().is_some() || self.api.init_error.borrow().is_some()
    }

    /// Resolves with the reason once the process is gone or reported an init error.
    async fn died(&self) -> String {
        let mut init = self.api.init_error.clone();
        let mut dead = self.dead.clone();
        tokio::select! {
            r = init.wait_for(Option::is_some) => match r {
                Ok(v) => format!("init error: {}", v.as_deref().unwrap_or_default()),
                Err(_) => "the runtime API stopped".to_owned(),
            },
            r = dead.wait_for(Option::is_some) => {
                let why = r.map(|v| v.clone().unwrap_or_default()).unwrap_or_else(|_| "the process monitor stopped".to_owned());
                // An init error posted just before exiting says more than the exit status.
                match self.api.init_error.borrow().as_deref() {
                    Some(init) => format!("init error: {init} ({why})"),
                    None => why,
                }
            }
        }
    }
}

impl Pool {
    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take_idle(&self) -> Option<Worker> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(w) = idle.pop() {
            if !w.is_dead() {
                return Some(w);
            }
        }
        None
    }

    fn put_back(&self, mut worker: Worker) {
        self.record_cold_start(&mut worker);
        if !worker.is_dead() {
            self.idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(worker);
        }
    }

    fn record_cold_start(&self, worker: &mut Worker) {
        if worker.cold_start_recorded {
            return;
        }
        if let Some(d) = *worker.api.ready.borrow() {
            worker.cold_start_recorded = true;
            tracing::info!(function = %self.spec.name, cold_start_ms = d.as_secs_f64() * 1000.0, "process start → first `next`");
            self.stats().cold_starts.push(d);
        }
    }

    async fn spawn(&self, event: &Value) -> Result<Worker, String> {
        let spec = &self.spec;
        let endpoint = spec
            .endpoint_url
            .clone()
            .or_else(|| endpoint_of(event))
            .ok_or("no endpoint: the event has no inputS3Url and none was configured")?;
        let credential = spec
            .credential
            .clone()
            .unwrap_or_else(Credential::from_env_or_default);
        let started = Instant::now();
        let api = runtime_api::serve(started)
            .await
            .map_err(|e| format!("cannot bind the runtime API: {e}"))?;
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group, so that ending it also ends what it started.
            .process_group(0);
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        if let Some(dir) = spec.program.parent().filter(|d| !d.as_os_str().is_empty()) {
            cmd.current_dir(dir).env("LAMBDA_TASK_ROOT", dir);
        }
        let stream = format!(
            "{}/[$LATEST]{}",
            time::OffsetDateTime::now_utc().date(),
            uuid::Uuid::new_v4().simple()
        );
        cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                spec.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", stream)
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("_HANDLER", "bootstrap")
            .env("TZ", ":UTC")
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_ENDPOINT_URL_S3", &endpoint)
            .env("AWS_ACCESS_KEY_ID", &credential.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &credential.secret_access_key);
        if let Some(f) = &spec.log_format {
            cmd.env("AWS_LAMBDA_LOG_FORMAT", f);
        }
        if let Some(l) = &spec.log_level {
            cmd.env("AWS_LAMBDA_LOG_LEVEL", l);
        }
        if let Some(bundle) = self.ca_bundle.get() {
            cmd.env("AWS_CA_BUNDLE", bundle);
        }
        cmd.envs(&spec.environment);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.program.display()))?;
        self.stats().started += 1;
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        tracing::debug!(function = %spec.name, pid = child.id(), runtime_api = %api.addr, "function process started");
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward_logs(spec.name.clone(), out));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward_logs(spec.name.clone(), err));
        }
        let (dead_tx, dead) = watch::channel(None);
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let name = spec.name.clone();
        let monitor = tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = stop_rx => {
                    // Not reaped yet (`wait` has not returned), so the group id is still ours.
                    if let Some(pgid) = group {
                        let _ = nix::sys::signal::killpg(
                            nix::unistd::Pid::from_raw(pgid),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let why = match status {
                Ok(status) => format!("the process exited ({status})"),
                Err(e) => format!("waiting for the process failed: {e}"),
            };
            tracing::debug!(function = %name, %why, "function process ended");
            let _ = dead_tx.send(Some(why));
        });
        Ok(Worker {
            api,
            dead,
            stop: Some(stop),
            monitor,
            cold_start_recorded: false,
        })
    }

    async fn invoke(
        self: Arc<Self>,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> Result<Value, String> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "the function is shutting down".to_owned())?;
        let mut worker = match self.take_idle() {
            Some(w) => w,
            None => self.spawn(&event).await?,
        };
        let body = Bytes::from(
            serde_json::to_vec(&event).map_err(|e| format!("cannot encode the event: {e}"))?,
        );
        let (reply, outcome) = oneshot::channel();
        let invocation = Invocation {
            request_id: ctx.request_id.clone(),
            deadline_ms: ctx.deadline,
            function_arn: ctx.invoked_function_arn.clone(),
            event: body,
            reply,
        };
        // If this future is dropped from here on (the emulator's timeout), `worker` is dropped
        // with it, which kills the process: the next invocation starts a fresh one.
        if worker.api.queue.send(invocation).await.is_err() {
            return Err("the runtime API stopped".to_owned());
        }
        let mut outcome = outcome;
        let result = tokio::select! {
            biased;
            r = &mut outcome => r.ok(),
            why = worker.died() => {
                // An answer sent just before the process went away still counts.
                match outcome.try_recv() {
                    Ok(o) => Some(o),
                    Err(_) => {
                        tracing::warn!(function = %self.spec.name, %why, "function process failed");
                        return Err(why);
                    }
                }
            }
        };
        self.record_cold_start(&mut worker);
        match result {
            Some(Outcome::Response(bytes)) => {
                self.put_back(worker);
                Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(&bytes).into_owned())
                }))
            }
            Some(Outcome::Error {
                error_type,
                message,
            }) => {
                self.put_back(worker);
                Err(format!("{error_type}: {message}"))
            }
            None => Err("the runtime dropped the invocation".to_owned()),
        }
    }
}

impl Function for ProcessFunction {
    fn use_ca_bundle(&self, path: &std::path::Path) {
        let _ = self.pool.ca_bundle.set(path.to_owned());
    }

    fn invoke(
        &self,
        event: Value,
        ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            pool.invoke(event, ctx)
                .await
                .map_err(lambda_runtime::Error::from)
        })
    }
}

/// Forwards a process's output, line by line, to the emulator's log (target `function`).
async fn forward_logs(name: String, out: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "function", function = %name, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_cargo_lambda_and_plain_layouts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/bootstrap"), "").unwrap();
        std::fs::write(dir.path().join("b"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("c")).unwrap();
        assert_eq!(
            locate_binary(dir.path(), "a"),
            Some(dir.path().join("a/bootstrap"))
        );
        assert_eq!(locate_binary(dir.path(), "b"), Some(dir.path().join("b")));
        assert_eq!(locate_binary(dir.path(), "c"), None);
        assert_eq!(locate_binary(dir.path(), "d"), None);
    }

    #[test]
    fn endpoint_from_event() {
        let ev = serde_json::json!({"headObjectContext": {"inputS3Url": "http://127.0.0.1:9000/b/k?X-Amz-Signature=x"}});
        assert_eq!(endpoint_of(&ev).as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(endpoint_of(&serde_json::json!({})), None);
    }

    #[tokio::test]
    async fn a_missing_binary_is_an_error() {
        let f = ProcessFunction::builder("nope", "/nonexistent/bootstrap")
            .endpoint_url("http://127.0.0.1:1")
            .build();
        let err = f
            .invoke(serde_json::json!({}), lambda_runtime::Context::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot start"), "{err}");
        assert_eq!(f.processes_started(), 0);
    }
}
