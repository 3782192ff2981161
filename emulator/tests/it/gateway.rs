//! `object-lambda-gateway` as users run it: the real binary with a TOML file, in front of moto's
//! S3 server (a real S3 implementation nobody here wrote). This file is the harness (moto, the
//! gateway process, its config file); the tests are in `gateway_*.rs`: serving and lifecycle
//! (`gateway_serve`), the invokers (`gateway_invokers`), replicas (`gateway_replicas`), and
//! functions built with cargo lambda or written in Python (`gateway_toolchains`).
//!
//! moto: `MOTO_SERVER` names the `moto_server` executable (`.ci/run` installs it), else it is
//! looked up on PATH. Without it the tests that need it say so and skip; CI always has it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use object_lambda_emulator::test_util;

use crate::runtime::function_binary;

pub(crate) const AK: &str = "AKIDGATEWAY";

pub(crate) const SK: &str = "gateway-secret";

pub(crate) const ALL_FEATURES: &str =
    r#"["GetObject-Range", "GetObject-PartNumber", "HeadObject-Range", "HeadObject-PartNumber"]"#;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM to the process `pid`, through kill(2) itself rather than the `kill` command:
/// procps-ng 4.0.2's (Debian 12) reads a negative pid wrongly (`kill -TERM -12345` became
/// `kill(-1, SIGTERM)`: every process the caller may signal, which ended whole test runs and
/// everything else on the machine whenever a process group's id started with 1).
pub(crate) fn sigterm(pid: u32) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("a pid"));
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
}

/// SIGTERM to the process group `pgid` (see [`sigterm`]).
pub(crate) fn sigterm_group(pgid: u32) {
    let pgid = nix::unistd::Pid::from_raw(i32::try_from(pgid).expect("a pgid"));
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGTERM);
}

/// Sends SIGTERM (graceful), then SIGKILL if the process is still there after 10 s.
///
/// A child that has already been waited for is not signalled again: its pid is free once
/// reaped, and with Linux's default `pid_max` of 32 768 a busy machine hands it to another
/// process soon (a second `terminate` of the same child, e.g. the test's own and then its
/// `Drop`'s, sent SIGTERM to whatever process got the pid next). Until this function reaps
/// the child, its pid stays its own, even after it exits.
pub(crate) fn terminate(child: &mut Child) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    sigterm(child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A moto S3 server on a free port, stopped on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) url: String,
}

impl Moto {
    /// `None` (with a message) when moto is not installed.
    pub(crate) fn start() -> Option<Moto> {
        let program = std::env::var_os("MOTO_SERVER").unwrap_or_else(|| "moto_server".into());
        let port = free_port();
        let child = match Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!(
                    "SKIPPED: moto is not installed ({} : {e}); `pip install 'moto[server]'` or set MOTO_SERVER",
                    PathBuf::from(&program).display()
                );
                return None;
            }
        };
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_for_port(port, "moto_server");
        Some(moto)
    }

    pub(crate) fn client(&self) -> aws_sdk_s3::Client {
        test_util::client(&self.url, "moto", "moto-secret")
    }

    /// Creates `bucket` with `objects`.
    pub(crate) async fn bucket(&self, bucket: &str, objects: &[(&str, &[u8])]) {
        let c = self.client();
        c.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create bucket");
        for (key, body) in objects {
            c.put_object()
                .bucket(bucket)
                .key(*key)
                .body(ByteStream::from(body.to_vec()))
                .content_type("text/plain")
                .send()
                .await
                .expect("put object");
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gateway process started from a TOML file, stopped (SIGTERM) on drop.
pub(crate) struct GatewayProc {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) metrics: Option<String>,
    pub(crate) dir: tempfile::TempDir,
}

impl GatewayProc {
    /// Starts `object-lambda-gateway --config <dir>/gateway.toml`; `None` if it exits.
    pub(crate) fn try_start(toml: &str) -> Result<GatewayProc, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, toml).expect("write config");
        let log = std::fs::File::create(dir.path().join("gateway.log")).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_object-lambda-gateway"))
            .arg("--config")
            .arg(&path)
            .env("AWS_ACCESS_KEY_ID", AK)
            .env("AWS_SECRET_ACCESS_KEY", SK)
            .env("AWS_REGION", "us-east-1")
            .env("RUST_LOG", "info")
            // Functions trust only what the gateway hands them (`function_ca_bundle`).
            .env_remove("AWS_CA_BUNDLE")
            .env_remove("SSL_CERT_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn the gateway");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut url, mut metrics) = (None, None);
        while url.is_none() || (toml.contains("metrics_listen") && metrics.is_none()) {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    if let Some(u) = line.strip_prefix("object-lambda-gateway listening on ") {
                        url = Some(u.trim().to_owned());
                    } else if let Some(m) = line.strip_prefix("metrics on ") {
                        metrics = Some(m.trim().trim_end_matches("/metrics").to_owned());
                    }
                }
                Err(_) => {
                    let status = child.wait().ok();
                    let logs =
                        std::fs::read_to_string(dir.path().join("gateway.log")).unwrap_or_default();
                    return Err(format!("gateway did not start ({status:?}): {logs}"));
                }
            }
        }
        Ok(GatewayProc {
            child,
            url: url.unwrap_or_default(),
            metrics,
            dir,
        })
    }

    pub(crate) fn start(toml: &str) -> GatewayProc {
        Self::try_start(toml).unwrap_or_else(|e| panic!("{e}"))
    }

    pub(crate) fn client(&self) -> aws_sdk_s3::Client {
        test_util::client(&self.url, AK, SK)
    }

    pub(crate) fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.log")).unwrap_or_default()
    }
}

impl Drop for GatewayProc {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// The config file of the issue, with the test's addresses.
pub(crate) fn config(
    backend: &str,
    extra: &str,
    olaps: &[(&str, &str)],
    functions: &str,
) -> String {
    let mut s = format!(
        r#"listen = "127.0.0.1:0"
route_secret = "change-me"
function_timeout_ms = 20000
{extra}

[backend]
endpoint = "{backend}"
region = "us-east-1"
force_path_style = true

[[credentials]]
access_key_id = "{AK}"
secret_access_key = "{SK}"
user_name = "alice"

[[access_points]]
name = "data-ap"
bucket = "data"
"#
    );
    for (name, function) in olaps {
        s.push_str(&format!(
            "\n[[object_lambda_access_points]]\nname = \"{name}\"\nsupporting_access_point = \"data-ap\"\nfunction = \"{function}\"\npayload = '{{}}'\nallowed_features = {ALL_FEATURES}\n"
        ));
    }
    s.push('\n');
    s.push_str(functions);
    s
}

pub(crate) fn binary_functions() -> String {
    format!(
        "[functions.passthrough]\nbinary = \"{}\"\n\n[functions.pii-redactor]\nbinary = \"{}\"\n",
        function_binary("passthrough").display(),
        function_binary("pii-redactor").display()
    )
}

pub(crate) const REPORT: &[u8] =
    b"id,name,email\n1,Jane Doe,jane.doe@example.com\n2,John Roe,john@example.org\n";

pub(crate) fn big_object(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// GET through `olap`, the whole body.
pub(crate) async fn get(client: &aws_sdk_s3::Client, olap: &str, key: &str) -> Vec<u8> {
    test_util::get_bytes(client, olap, key).await.to_vec()
}

pub(crate) async fn scrape(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("{base}{path}")).await.expect("scrape");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
