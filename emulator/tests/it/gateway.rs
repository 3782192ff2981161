//! `object-lambda-gateway` as users run it: the real binary with a TOML file, in front of moto's
//! S3 server (a real S3 implementation nobody here wrote), with the workspace's function
//! binaries behind the Runtime API, as webhooks (`--webhook`) and behind Lambda's Invoke API.
//!
//! moto: `MOTO_SERVER` names the `moto_server` executable (`.ci/run` installs it), else it is
//! looked up on PATH. Without it the tests that need it say so and skip; CI always has it.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;

use crate::functions::s3_client;
use crate::runtime::function_binary;
use crate::status_and_code;

const AK: &str = "AKIDGATEWAY";
const SK: &str = "gateway-secret";
const ALL_FEATURES: &str =
    r#"["GetObject-Range", "GetObject-PartNumber", "HeadObject-Range", "HeadObject-PartNumber"]"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM (graceful), then SIGKILL if the process is still there after 10 s.
fn terminate(child: &mut Child) -> Option<std::process::ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
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
        s3_client(&self.url, "moto", "moto-secret")
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
        s3_client(&self.url, AK, SK)
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

fn binary_functions() -> String {
    format!(
        "[functions.passthrough]\nbinary = \"{}\"\n\n[functions.pii-redactor]\nbinary = \"{}\"\n",
        function_binary("passthrough").display(),
        function_binary("pii-redactor").display()
    )
}

const REPORT: &[u8] =
    b"id,name,email\n1,Jane Doe,jane.doe@example.com\n2,John Roe,john@example.org\n";

fn big_object(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn get(client: &aws_sdk_s3::Client, olap: &str, key: &str) -> Vec<u8> {
    client
        .get_object()
        .bucket(olap)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {olap}/{key}: {e:?}"))
        .body
        .collect()
        .await
        .expect("body")
        .to_vec()
}

async fn scrape(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("{base}{path}")).await.expect("scrape");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[test]
fn gateway_refuses_to_start_without_credentials_or_route_secret() {
    let ok = config("http://127.0.0.1:1", "", &[], "");
    let no_secret = ok.replace("route_secret = \"change-me\"", "");
    let e = GatewayProc::try_start(&no_secret).err().expect("refused");
    assert!(e.contains("route_secret"), "{e}");
    let start = ok.find("[[credentials]]").unwrap();
    let end = ok.find("[[access_points]]").unwrap();
    let no_creds = format!("{}{}", &ok[..start], &ok[end..]);
    let e = GatewayProc::try_start(&no_creds).err().expect("refused");
    assert!(e.contains("credentials"), "{e}");
}

#[tokio::test]
async fn backend_down_gives_503_quickly() {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let gw = GatewayProc::start(&config(
        &dead,
        "",
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let client = gw.client();
    let started = Instant::now();
    let err = client
        .get_object()
        .bucket("pass")
        .key("a.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 503, "{err:?}");
    let err = client
        .head_object()
        .bucket("pass")
        .key("a.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    let err = client
        .list_objects_v2()
        .bucket("pass")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 503, "{err:?}");
    // Not transformed (tagging): passed through to the store, which is down.
    let err = client
        .get_object_tagging()
        .bucket("pass")
        .key("a.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&err).0, 503, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn gateway_in_front_of_moto_with_binaries() {
    let Some(moto) = Moto::start() else { return };
    let big = big_object(300_000);
    moto.bucket("data", &[("report.csv", REPORT), ("big.bin", &big)])
        .await;
    let gw = GatewayProc::start(&config(
        &moto.url,
        "metrics_listen = \"127.0.0.1:0\"",
        &[("pass", "passthrough"), ("redact", "pii-redactor")],
        &binary_functions(),
    ));
    let c = gw.client();
    // GET: byte-exact, as straight from moto.
    assert_eq!(get(&c, "pass", "big.bin").await, big);
    assert_eq!(get(&c, "pass", "report.csv").await, REPORT);
    // pii-redactor: the e-mail addresses are gone.
    let redacted = String::from_utf8(get(&c, "redact", "report.csv").await).unwrap();
    assert!(!redacted.contains("jane.doe@example.com"), "{redacted}");
    assert!(redacted.starts_with("id,name,email"), "{redacted}");
    // Range and partNumber.
    let r = c
        .get_object()
        .bucket("pass")
        .key("big.bin")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_range(), Some("bytes 10-19/300000"));
    assert_eq!(r.body.collect().await.unwrap().to_vec(), &big[10..20]);
    let r = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), REPORT);
    // 404, 304, 412 relayed.
    let e = c
        .get_object()
        .bucket("pass")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&e), (404, "NoSuchKey".to_owned()));
    let etag = moto
        .client()
        .head_object()
        .bucket("data")
        .key("report.csv")
        .send()
        .await
        .unwrap()
        .e_tag
        .unwrap();
    let e = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&e).0, 304);
    let e = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&e), (412, "PreconditionFailed".to_owned()));
    // HEAD and LIST through the function.
    let h = c
        .head_object()
        .bucket("pass")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_length(), Some(300_000));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    let keys: Vec<_> = l.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["big.bin", "report.csv"]);
    let l1 = c
        .list_objects()
        .bucket("pass")
        .prefix("rep")
        .send()
        .await
        .unwrap();
    assert_eq!(l1.contents().len(), 1);
    // Operations: health, metrics.
    let m = gw.metrics.clone().expect("metrics listener");
    assert_eq!(scrape(&m, "/healthz").await.0, 200);
    let (status, text) = scrape(&m, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(r#"object_lambda_requests_total{access_point="pass",status="200"}"#),
        "{text}"
    );
    assert!(text.contains(r#"status="404""#), "{text}");
    assert!(text.contains("object_lambda_invoke_seconds"), "{text}");
    assert!(
        text.contains(r#"object_lambda_bytes_out_total{access_point="pass"}"#),
        "{text}"
    );
    // JSON logs with the request id; never an object's content or a secret.
    let logs = gw.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("\"request_id\""))
        .expect("a request log line");
    let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert!(
        v["request_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{line}"
    );
    assert!(
        !logs.contains("jane.doe") && !logs.contains(SK),
        "logs leak content or secrets"
    );
    // SIGTERM: graceful exit.
    let mut gw = gw;
    let status = terminate(&mut gw.child).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn webhook_invoker_against_function_binaries_in_webhook_mode() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let mut hooks = Vec::new();
    let mut functions = String::new();
    for name in ["passthrough", "pii-redactor"] {
        let port = free_port();
        let child = Command::new(function_binary(name))
            .args(["--webhook", &format!("127.0.0.1:{port}")])
            .env("AWS_ACCESS_KEY_ID", "unused")
            .env("AWS_SECRET_ACCESS_KEY", "unused")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("webhook binary");
        hooks.push(KillOnDrop(child));
        wait_for_port(port, name);
        functions.push_str(&format!(
            "[functions.{name}]\nwebhook = \"http://127.0.0.1:{port}/\"\n\n"
        ));
    }
    let gw = GatewayProc::start(&config(
        &moto.url,
        "",
        &[("pass", "passthrough"), ("redact", "pii-redactor")],
        &functions,
    ));
    let c = gw.client();
    let r = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_type(), Some("text/plain"));
    assert_eq!(r.content_length(), Some(REPORT.len() as i64));
    assert_eq!(r.body.collect().await.unwrap().to_vec(), REPORT);
    let r = c
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .range("bytes=-6")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.content_range(),
        Some(&*format!(
            "bytes {}-{}/{}",
            REPORT.len() - 6,
            REPORT.len() - 1,
            REPORT.len()
        ))
    );
    let redacted = String::from_utf8(get(&c, "redact", "report.csv").await).unwrap();
    assert!(!redacted.contains("jane.doe@example.com"), "{redacted}");
    let e = c
        .get_object()
        .bucket("pass")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&e), (404, "NoSuchKey".to_owned()));
    // HEAD and LIST (our extension of the contract).
    let h = c
        .head_object()
        .bucket("pass")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_length(), Some(REPORT.len() as i64));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    assert_eq!(l.contents().len(), 1);
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two replicas: A's functions are told to send their WGOR to B (`public_url`), so every GET
/// through A is forwarded by B, streaming. Forged routes are refused before any forwarding.
#[tokio::test]
async fn replicas_forward_wgor_and_refuse_forged_routes() {
    let Some(moto) = Moto::start() else { return };
    let big = big_object(2_000_000);
    moto.bucket("data", &[("big.bin", &big), ("report.csv", REPORT)])
        .await;
    let b = GatewayProc::start(&config(
        &moto.url,
        "metrics_listen = \"127.0.0.1:0\"",
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let a = GatewayProc::start(&config(
        &moto.url,
        &format!("public_url = \"{}\"", b.url),
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let ca = a.client();
    for _ in 0..3 {
        assert_eq!(get(&ca, "pass", "big.bin").await, big);
    }
    assert_eq!(get(&ca, "pass", "report.csv").await, REPORT);
    let m = b.metrics.clone().unwrap();
    let text = scrape(&m, "/metrics").await.1;
    assert!(
        text.contains("object_lambda_wgor_forwards_total 4"),
        "{text}"
    );

    // Forged: an unsigned route, a route naming A with a MAC for another token, a foreign route.
    let wgor = |route: &str, token: &str| {
        let (route, token) = (route.to_owned(), token.to_owned());
        let url = format!("{}/WriteGetObjectResponse", b.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-amz-request-route", route)
                .header("x-amz-request-token", token)
                .body("x")
                .send()
                .await
                .unwrap()
        }
    };
    for route in [
        "io-abcdef",
        "io-hgeytoljqgaxdalrqhe3daobqga-aaaaaaaaaaaaaaaa",
        "io-h-",
    ] {
        let r = wgor(route, "token").await;
        assert_eq!(r.status().as_u16(), 400, "{route}");
        assert!(r.text().await.unwrap().contains("ValidationError"));
    }
    let text = scrape(&m, "/metrics").await.1;
    assert!(
        text.contains("object_lambda_wgor_forwards_total 4"),
        "a forged route was forwarded: {text}"
    );
}

/// 200 concurrent GETs spread over two replicas that forward to each other, every byte
/// checked; afterwards no function process is left and the gateways' memory stayed bounded.
#[tokio::test]
async fn two_hundred_concurrent_gets_through_two_replicas() {
    let Some(moto) = Moto::start() else { return };
    let objects: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("obj-{i}"), big_object(20_000 + i * 1000)))
        .collect();
    let refs: Vec<(&str, &[u8])> = objects
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    moto.bucket("data", &refs).await;
    // A private copy of the binary: its processes can be counted without other tests' ones.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("passthrough-200");
    std::fs::copy(function_binary("passthrough"), &bin).unwrap();
    let functions = format!(
        "[functions.passthrough]\nbinary = \"{}\"\nmax_processes = 8\n",
        bin.display()
    );
    let olaps = [("pass", "passthrough")];
    let b = GatewayProc::start(&config(&moto.url, "", &olaps, &functions));
    let a = GatewayProc::start(&config(
        &moto.url,
        &format!("public_url = \"{}\"", b.url),
        &olaps,
        &functions,
    ));
    let clients = [a.client(), b.client()];
    let objects = Arc::new(objects);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = clients[i % 2].clone();
        let objects = objects.clone();
        tasks.spawn(async move {
            let (key, body) = &objects[i % objects.len()];
            assert_eq!(&get(&client, "pass", key).await, body, "GET {i}");
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        r.expect("GET task");
        done += 1;
    }
    assert_eq!(done, 200);
    assert!(count_processes(&bin) > 0, "functions ran as processes");
    for g in [&a, &b] {
        let rss = peak_rss_kib(g.child.id());
        assert!(rss < 300 * 1024, "gateway peak RSS {rss} KiB");
    }
    drop((a, b));
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_processes(&bin) > 0 {
        assert!(Instant::now() < deadline, "function processes left behind");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Processes whose executable is `bin`.
fn count_processes(bin: &Path) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|p| p == bin))
        .count()
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The Lambda invoker against an Invoke API nobody wrote for the gateway: the emulator's
/// (`POST /2015-03-31/functions/{name}/invocations`), running the passthrough binary whose
/// WGOR goes to the gateway.
#[tokio::test]
async fn lambda_invoker_against_the_emulator_invoke_api() {
    use object_lambda_emulator::{Config, Credential, Emulator, ProcessFunction};
    let Some(moto) = Moto::start() else { return };
    let big = big_object(500_000);
    moto.bucket("data", &[("big.bin", &big), ("report.csv", REPORT)])
        .await;
    let port = free_port();
    let passthrough = ProcessFunction::builder("passthrough", function_binary("passthrough"))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let lambda = Emulator::builder()
        .config(Config {
            credentials: vec![Credential::new(AK, SK)],
            ..Config::default()
        })
        .function("passthrough", Arc::new(passthrough))
        .start()
        .await
        .expect("emulator");
    let functions = format!(
        "[functions.passthrough]\nlambda = \"arn:aws:lambda:us-east-1:111122223333:function:passthrough\"\nlambda_endpoint = \"{0}\"\n\n[functions.ghost]\nlambda = \"ghost\"\nlambda_endpoint = \"{0}\"\n",
        lambda.endpoint_url()
    );
    let toml = config(
        &moto.url,
        "",
        &[("pass", "passthrough"), ("ghost", "ghost")],
        &functions,
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let gw = GatewayProc::start(&toml);
    let c = gw.client();
    assert_eq!(get(&c, "pass", "big.bin").await, big);
    let r = c
        .get_object()
        .bucket("pass")
        .key("big.bin")
        .range("bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), &big[100..200]);
    let h = c
        .head_object()
        .bucket("pass")
        .key("report.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_length(), Some(REPORT.len() as i64));
    let l = c.list_objects_v2().bucket("pass").send().await.unwrap();
    assert_eq!(l.contents().len(), 2);
    let e = c
        .get_object()
        .bucket("ghost")
        .key("report.csv")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_and_code(&e), (404, "LambdaNotFound".to_owned()));
    // A caller the emulator does not know is refused by its Invoke API.
    let stranger = aws_sdk_lambda_free_invoke(lambda.endpoint_url()).await;
    assert_eq!(stranger, 403);
}

/// An unsigned Invoke call: 403 from the emulator's Invoke API.
async fn aws_sdk_lambda_free_invoke(endpoint: &str) -> u16 {
    reqwest::Client::new()
        .post(format!(
            "{endpoint}/2015-03-31/functions/passthrough/invocations"
        ))
        .body("{}")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// HTTPS with a generated self-signed certificate: served over TLS only.
#[tokio::test]
async fn gateway_serves_https_only_with_tls_keys() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("certificate");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    // The function trusts the certificate for its WGOR (rustls reads SSL_CERT_FILE).
    let functions = format!(
        "[functions.passthrough]\nbinary = \"{}\"\nenvironment = {{ SSL_CERT_FILE = \"{}\" }}\n",
        function_binary("passthrough").display(),
        cert.display()
    );
    let extra = format!(
        "tls_cert = \"{}\"\ntls_key = \"{}\"",
        cert.display(),
        key.display()
    );
    let gw = GatewayProc::start(&config(
        &moto.url,
        &extra,
        &[("pass", "passthrough")],
        &functions,
    ));
    assert!(gw.url.starts_with("https://"), "{}", gw.url);
    let presigner = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                AK, SK, None, None, "test",
            ))
            .endpoint_url(&gw.url)
            .force_path_style(true)
            .build(),
    );
    let url = presigner
        .get_object()
        .bucket("pass")
        .key("report.csv")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(60)).unwrap(),
        )
        .await
        .unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .build()
        .unwrap();
    let r = https.get(url.uri()).send().await.expect("HTTPS GET");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), REPORT);
    let plain = gw.url.replace("https://", "http://");
    let refused = reqwest::get(format!("{plain}/pass/report.csv")).await;
    assert!(
        refused.is_err() || refused.is_ok_and(|r| !r.status().is_success()),
        "plain HTTP served"
    );
}

/// `cargo lambda` (`CARGO_LAMBDA`, else on PATH; `.ci/run` installs it from pip), or `None` with
/// a message.
fn cargo_lambda() -> Option<std::ffi::OsString> {
    let program = std::env::var_os("CARGO_LAMBDA").unwrap_or_else(|| "cargo-lambda".into());
    match Command::new(&program)
        .args(["lambda", "--version"])
        .output()
    {
        Ok(o) if o.status.success() => Some(program),
        _ => {
            eprintln!(
                "SKIPPED: cargo-lambda is not installed (`pip install cargo-lambda`, or set CARGO_LAMBDA)"
            );
            None
        }
    }
}

/// The Rust Lambda developer's loop: every workspace function under `cargo lambda watch`
/// (whose Runtime API sends a relative `Lambda-Runtime-Deadline-Ms: 600000`), invoked with
/// `cargo lambda invoke` and by the gateway's Lambda invoker through watch's Invoke API.
#[tokio::test]
async fn functions_run_under_cargo_lambda_watch() {
    let Some(moto) = Moto::start() else { return };
    let Some(cl) = cargo_lambda() else { return };
    let samples: Vec<(&str, &[u8])> = object_lambda_emulator::SAMPLES
        .iter()
        .map(|(k, _, b)| (*k, *b))
        .collect();
    moto.bucket("data", &samples).await;
    // The binaries are built once here, so watch's `cargo run` only finds them up to date.
    let _ = function_binary("passthrough");
    let (watch_port, gw_port) = (free_port(), free_port());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let watch = KillOnDrop(
        Command::new(&cl)
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &watch_port.to_string(),
            ])
            .current_dir(workspace)
            .env("AWS_ENDPOINT_URL_S3", format!("http://127.0.0.1:{gw_port}"))
            .env("AWS_ACCESS_KEY_ID", "function")
            .env("AWS_SECRET_ACCESS_KEY", "function-secret")
            .env("AWS_REGION", "us-east-1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch"),
    );
    wait_for_port(watch_port, "cargo lambda watch");

    // cargo lambda invoke, HEAD events with a real presigned URL: answered, not TransformTimeout.
    let dir = tempfile::tempdir().unwrap();
    let moto_client = moto.client();
    for (function, key) in [
        ("passthrough", "report.csv"),
        ("pii-redactor", "report.csv"),
        ("xml-to-json", "catalog.xml"),
        ("image-transform", "photo.jpg"),
    ] {
        let url = moto_client
            .head_object()
            .bucket("data")
            .key(key)
            .presigned(
                aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(300))
                    .unwrap(),
            )
            .await
            .unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../events/{function}/head-object.json"));
        let mut event: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        event["headObjectContext"]["inputS3Url"] = url.uri().into();
        event["configuration"]["payload"] = "{}".into();
        let file = dir.path().join(format!("{function}.json"));
        std::fs::write(&file, event.to_string()).unwrap();
        let out = tokio::time::timeout(
            Duration::from_secs(300),
            tokio::process::Command::new(&cl)
                .args([
                    "lambda",
                    "invoke",
                    "-A",
                    "127.0.0.1",
                    "-P",
                    &watch_port.to_string(),
                    function,
                    "--data-file",
                ])
                .arg(&file)
                .current_dir(workspace)
                .output(),
        )
        .await
        .expect("cargo lambda invoke within 5 minutes")
        .expect("cargo lambda invoke");
        let text = String::from_utf8_lossy(&out.stdout);
        let answer: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|_| {
            panic!(
                "{function}: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(answer["statusCode"], 200, "{function}: {answer}");
    }

    // Through the gateway: GET via watch's Invoke API.
    let endpoint = format!("http://127.0.0.1:{watch_port}");
    let mut functions = String::new();
    for f in ["passthrough", "pii-redactor", "xml-to-json"] {
        functions.push_str(&format!(
            "[functions.{f}]\nlambda = \"{f}\"\nlambda_endpoint = \"{endpoint}\"\n\n"
        ));
    }
    let toml = config(
        &moto.url,
        "",
        &[
            ("pass", "passthrough"),
            ("redact", "pii-redactor"),
            ("json", "xml-to-json"),
        ],
        &functions,
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{gw_port}"));
    let gw = GatewayProc::start(&toml);
    let c = gw.client();
    let report = samples.iter().find(|(k, _)| *k == "report.csv").unwrap().1;
    assert_eq!(get(&c, "pass", "report.csv").await, report);
    let redacted = get(&c, "redact", "report.csv").await;
    assert_ne!(redacted, report);
    let json: serde_json::Value =
        serde_json::from_slice(&get(&c, "json", "catalog.xml").await).expect("JSON");
    assert!(json.is_object(), "{json}");
    drop(gw);
    // watch runs the functions in its process group: stop them all.
    let _ = Command::new("kill")
        .args(["-TERM", &format!("-{}", watch.0.id())])
        .status();
}

/// A Python interpreter with `awslambdaric` and `boto3` (`OBJECT_LAMBDA_PYTHON`, which `.ci/run`
/// sets; else `python3`), or `None` with a message.
fn python_with_ric() -> Option<std::ffi::OsString> {
    let python = std::env::var_os("OBJECT_LAMBDA_PYTHON").unwrap_or_else(|| "python3".into());
    match Command::new(&python)
        .args(["-c", "import awslambdaric, boto3"])
        .output()
    {
        Ok(o) if o.status.success() => Some(python),
        _ => {
            eprintln!(
                "SKIPPED: no Python with awslambdaric and boto3 (`pip install awslambdaric boto3`, or set OBJECT_LAMBDA_PYTHON)"
            );
            None
        }
    }
}

/// AWS's way of writing an Object Lambda function in Python: uppercase the object.
const PYTHON_FUNCTION: &str = r#"
import urllib.parse, urllib.request
import boto3, botocore.config

# botocore would send WGOR to {route}.<host>: switch the host prefix off.
s3 = boto3.client("s3", config=botocore.config.Config(inject_host_prefix=False))

def handler(event, context):
    ctx = event["getObjectContext"]
    url = ctx["inputS3Url"]
    # Resend the headers the URL is signed with (x-amz-checksum-mode, ...).
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed = query.get("X-Amz-SignedHeaders", [""])[0].split(";")
    user = {k.lower(): v for k, v in event["userRequest"]["headers"].items()}
    headers = {h: user[h] for h in signed if h != "host" and h in user}
    body = urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()
    s3.write_get_object_response(
        Body=body.upper(), RequestRoute=ctx["outputRoute"], RequestToken=ctx["outputToken"]
    )
    return {"status_code": 200}
"#;

/// The Python function as an executable in its own folder (`bootstrap` runs awslambdaric).
fn python_function(dir: &Path, python: &std::ffi::OsStr) -> PathBuf {
    std::fs::write(dir.join("upper.py"), PYTHON_FUNCTION).unwrap();
    let bootstrap = dir.join("bootstrap");
    std::fs::write(
        &bootstrap,
        format!(
            "#!/bin/sh\nexec \"{}\" -m awslambdaric upper.handler\n",
            python.to_string_lossy()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    bootstrap
}

/// A Python function written against AWS's own libraries (awslambdaric, boto3's
/// `write_get_object_response`) runs unchanged as a `binary` of the gateway and under the emulator.
#[tokio::test]
async fn python_awslambdaric_function_under_gateway_and_emulator() {
    use object_lambda_emulator::{Config, Credential, Emulator, ProcessFunction};
    let Some(python) = python_with_ric() else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.bucket("data", &[("report.csv", REPORT)]).await;
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = python_function(dir.path(), &python);
    let upper = REPORT.to_ascii_uppercase();

    let functions = format!("[functions.upper]\nbinary = \"{}\"\n", bootstrap.display());
    let gw = GatewayProc::start(&config(&moto.url, "", &[("upper", "upper")], &functions));
    assert_eq!(get(&gw.client(), "upper", "report.csv").await, upper);
    // A boto3-like caller sends x-amz-checksum-mode: the function resends it.
    let r = gw
        .client()
        .get_object()
        .bucket("upper")
        .key("report.csv")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(r.body.collect().await.unwrap().to_vec(), upper);

    let mut config = Config::default_for(&["upper"]);
    config.credentials = vec![Credential::new(AK, SK)];
    let emu = Emulator::builder()
        .config(config)
        .function(
            "upper",
            Arc::new(
                ProcessFunction::builder("upper", &bootstrap)
                    .credential(Credential::new(AK, SK))
                    .build(),
            ),
        )
        .start()
        .await
        .unwrap();
    let c = s3_client(emu.endpoint_url(), AK, SK);
    let report = object_lambda_emulator::SAMPLES
        .iter()
        .find(|(k, _, _)| *k == "report.csv")
        .unwrap()
        .2;
    let r = c
        .get_object()
        .bucket("upper")
        .key("report.csv")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.body.collect().await.unwrap().to_vec(),
        report.to_ascii_uppercase()
    );
}

/// SIGTERM while a GET streams: the GET completes byte-exact, new connections are refused, and
/// the process exits 0.
#[tokio::test]
async fn sigterm_lets_in_flight_gets_finish() {
    let Some(moto) = Moto::start() else { return };
    let big = big_object(20_000_000);
    moto.bucket("data", &[("big.bin", &big)]).await;
    let mut gw = GatewayProc::start(&config(
        &moto.url,
        "metrics_listen = \"127.0.0.1:0\"",
        &[("pass", "passthrough")],
        &binary_functions(),
    ));
    let c = gw.client();
    let resp = c
        .get_object()
        .bucket("pass")
        .key("big.bin")
        .send()
        .await
        .expect("GET starts");
    let _ = Command::new("kill")
        .args(["-TERM", &gw.child.id().to_string()])
        .status();
    // Draining: health says so, and no new connection is taken.
    let m = gw.metrics.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = scrape(&m, "/healthz").await;
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "healthz never said draining");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let late = reqwest::Client::new()
        .get(format!("{}/pass/big.bin", gw.url))
        .send()
        .await;
    assert!(late.is_err(), "a new connection was served while draining");
    let body = resp
        .body
        .collect()
        .await
        .expect("the in-flight body completes")
        .to_vec();
    assert!(
        body == big,
        "in-flight GET cut short ({} of {} bytes)",
        body.len(),
        big.len()
    );
    let status = terminate(&mut gw.child).expect("exits");
    assert!(status.success(), "{status:?}");
}
