//! The Lambda Runtime API, served on loopback for one function process.
//!
//! Each process gets its own listener on `127.0.0.1:0` (its `AWS_LAMBDA_RUNTIME_API`), so
//! whoever calls `next` is that process and nothing else: one invocation per process at a
//! time, as in Lambda. Endpoints (all under `/2018-06-01/runtime`):
//!
//! - `GET invocation/next`: long poll; 200 with the event and `Lambda-Runtime-Aws-Request-Id`,
//!   `-Deadline-Ms`, `-Invoked-Function-Arn`, `-Trace-Id`.
//! - `POST invocation/{id}/response` → 202 (413 over Lambda's 6 MB response limit).
//! - `POST invocation/{id}/error` → 202.
//! - `POST init/error` → 202; the process is then treated as dead.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Lambda's limit on a synchronous response (6 MB).
pub(crate) const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
const PREFIX: &str = "/2018-06-01/runtime/";

/// One event handed to the process.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) request_id: String,
    /// Epoch milliseconds.
    pub(crate) deadline_ms: u64,
    pub(crate) function_arn: String,
    pub(crate) event: Bytes,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// How the process answered an invocation.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `POST .../response` body.
    Response(Bytes),
    /// `POST .../error`, or a protocol violation by the runtime.
    Error { error_type: String, message: String },
}

/// The server of one process.
pub(crate) struct RuntimeApi {
    /// Listening address (`AWS_LAMBDA_RUNTIME_API`).
    pub(crate) addr: SocketAddr,
    /// Queue of invocations (capacity 1: the pool hands a process one at a time).
    pub(crate) queue: mpsc::Sender<Invocation>,
    /// Becomes `Some(message)` on `POST init/error`.
    pub(crate) init_error: watch::Receiver<Option<String>>,
    /// Becomes `Some(time since start)` on the first `next`: the cold start.
    pub(crate) ready: watch::Receiver<Option<Duration>>,
    task: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct State {
    started: Instant,
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    init_error: watch::Sender<Option<String>>,
    ready: watch::Sender<Option<Duration>>,
}

/// Binds `127.0.0.1:0` and serves until dropped. `started` is when the process is (about to
/// be) started, for the cold-start measurement.
pub(crate) async fn serve(started: Instant) -> std::io::Result<RuntimeApi> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let (queue, rx) = mpsc::channel(1);
    let (init_error, init_error_rx) = watch::channel(None);
    let (ready, ready_rx) = watch::channel(None);
    let state = Arc::new(State {
        started,
        queue: tokio::sync::Mutex::new(rx),
        current: Mutex::new(None),
        init_error,
        ready,
    });
    let task = tokio::spawn(accept(listener, state));
    Ok(RuntimeApi {
        addr,
        queue,
        init_error: init_error_rx,
        ready: ready_rx,
        task,
    })
}

async fn accept(listener: TcpListener, state: Arc<State>) {
    // Dropped (aborted) with the server, which ends every connection and pending `next`.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let svc = hyper::service::service_fn(move |req| handle(state.clone(), req));
                conns.spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "runtime API connection ended with an error");
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

type Resp = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn accepted() -> Resp {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorType":"NotFound","errorMessage":"unknown path"}"#,
        ));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    Ok(match (req.method(), segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(&state).await,
        (&Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let id = (*id).to_owned();
            let is_error = *kind == "error";
            let error_type = req
                .headers()
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match Limited::new(req.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
            {
                Ok(body) => {
                    let body = body.to_bytes();
                    let outcome = if is_error {
                        let (error_type, message) = error_parts(&body, error_type);
                        Outcome::Error {
                            error_type,
                            message,
                        }
                    } else {
                        Outcome::Response(body)
                    };
                    finish(&state, &id, outcome)
                }
                Err(_) => {
                    let _ = finish(
                        &state,
                        &id,
                        Outcome::Error {
                            error_type: "Function.ResponseSizeTooLarge".into(),
                            message: format!("response larger than {MAX_RESPONSE_BYTES} bytes"),
                        },
                    );
                    reply(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        r#"{"errorType":"RequestEntityTooLarge","errorMessage":"response too large"}"#,
                    )
                }
            }
        }
        (&Method::POST, ["init", "error"]) => {
            let error_type = req
                .headers()
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = Limited::new(req.into_body(), 64 * 1024)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let (error_type, message) = error_parts(&body, error_type);
            tracing::warn!(%error_type, %message, "function init error");
            let _ = state
                .init_error
                .send(Some(format!("{error_type}: {message}")));
            accepted()
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            r#"{"errorType":"NotFound","errorMessage":"unknown path"}"#,
        ),
    })
}

/// `GET next`: waits for the pool to hand this process an invocation.
async fn next(state: &State) -> Resp {
    if state.ready.borrow().is_none() {
        let _ = state.ready.send(Some(state.started.elapsed()));
    }
    let invocation = {
        let mut queue = state.queue.lock().await;
        queue.recv().await
    };
    let Some(inv) = invocation else {
        // The pool is gone: the emulator is stopping.
        return reply(
            StatusCode::GONE,
            r#"{"errorType":"Shutdown","errorMessage":"stopping"}"#,
        );
    };
    let previous = state
        .current
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .replace((inv.request_id.clone(), inv.reply));
    if let Some((_, tx)) = previous {
        let _ = tx.send(Outcome::Error {
            error_type: "Runtime.NoResponse".into(),
            message: "the runtime asked for the next event without answering this one".into(),
        });
    }
    let mut r = Response::new(Full::new(inv.event));
    let h = r.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &inv.request_id);
    set("lambda-runtime-deadline-ms", &inv.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &inv.function_arn);
    set("lambda-runtime-trace-id", &trace_id(&inv.request_id));
    r
}

/// Hands `outcome` to the waiting invocation `id`.
fn finish(state: &State, id: &str, outcome: Outcome) -> Resp {
    let mut current = state
        .current
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match current.take() {
        Some((cur, tx)) if cur == id => {
            let _ = tx.send(outcome);
            accepted()
        }
        other => {
            *current = other;
            reply(
                StatusCode::BAD_REQUEST,
                r#"{"errorType":"InvalidRequestID","errorMessage":"no invocation in progress with this request id"}"#,
            )
        }
    }
}

/// `{errorType, errorMessage}` (or anything else, kept as text).
fn error_parts(body: &[u8], header_type: Option<String>) -> (String, String) {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let error_type = field("errorType")
        .or(header_type)
        .unwrap_or_else(|| "Unhandled".to_owned());
    let message =
        field("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, message)
}

/// An X-Ray-shaped trace header derived from the request id.
fn trace_id(request_id: &str) -> String {
    let hex: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let root = hex.get(..24).unwrap_or("000000000000000000000000");
    let parent = hex
        .get(hex.len().saturating_sub(16)..)
        .unwrap_or("0000000000000000");
    format!("Root=1-{secs:08x}-{root};Parent={parent};Sampled=0")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny HTTP/1.1 client on a raw socket (the library has no HTTP client dependency).
    async fn call(
        addr: SocketAddr,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, String, http::HeaderMap) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut headers = http::HeaderMap::new();
        for l in lines {
            let (k, v) = l.split_once(": ").unwrap();
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        (status, body.to_owned(), headers)
    }

    #[tokio::test]
    async fn next_response_error_and_init_error() {
        let api = serve(Instant::now()).await.unwrap();
        let addr = api.addr;
        let (tx, rx) = oneshot::channel();
        api.queue
            .send(Invocation {
                request_id: "req-1".into(),
                deadline_ms: 42,
                function_arn: "arn:aws:lambda:us-east-1:1:function:f".into(),
                event: Bytes::from_static(b"{\"e\":1}"),
                reply: tx,
            })
            .await
            .unwrap();
        let (status, body, h) = call(addr, "GET", "/2018-06-01/runtime/invocation/next", "").await;
        assert_eq!((status, body.as_str()), (200, "{\"e\":1}"));
        assert_eq!(h["lambda-runtime-aws-request-id"], "req-1");
        assert_eq!(h["lambda-runtime-deadline-ms"], "42");
        assert_eq!(
            h["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert!(
            h["lambda-runtime-trace-id"]
                .to_str()
                .unwrap()
                .starts_with("Root=1-")
        );
        assert!(api.ready.borrow().is_some());
        // Wrong id: 400, the invocation stays open.
        let (status, ..) = call(
            addr,
            "POST",
            "/2018-06-01/runtime/invocation/other/response",
            "1",
        )
        .await;
        assert_eq!(status, 400);
        let (status, ..) = call(
            addr,
            "POST",
            "/2018-06-01/runtime/invocation/req-1/response",
            "{\"ok\":true}",
        )
        .await;
        assert_eq!(status, 202);
        match rx.await.unwrap() {
            Outcome::Response(b) => assert_eq!(&b[..], b"{\"ok\":true}"),
            other @ Outcome::Error { .. } => panic!("{other:?}"),
        }

        let (tx, rx) = oneshot::channel();
        api.queue
            .send(Invocation {
                request_id: "req-2".into(),
                deadline_ms: 1,
                function_arn: String::new(),
                event: Bytes::new(),
                reply: tx,
            })
            .await
            .unwrap();
        call(addr, "GET", "/2018-06-01/runtime/invocation/next", "").await;
        let (status, ..) = call(
            addr,
            "POST",
            "/2018-06-01/runtime/invocation/req-2/error",
            r#"{"errorType":"Boom","errorMessage":"it broke"}"#,
        )
        .await;
        assert_eq!(status, 202);
        match rx.await.unwrap() {
            Outcome::Error {
                error_type,
                message,
            } => assert_eq!(
                (error_type.as_str(), message.as_str()),
                ("Boom", "it broke")
            ),
            other @ Outcome::Response(_) => panic!("{other:?}"),
        }

        let (status, ..) = call(
            addr,
            "POST",
            "/2018-06-01/runtime/init/error",
            r#"{"errorType":"Init","errorMessage":"no config"}"#,
        )
        .await;
        assert_eq!(status, 202);
        assert_eq!(api.init_error.borrow().as_deref(), Some("Init: no config"));
        let (status, ..) = call(addr, "GET", "/nope", "").await;
        assert_eq!(status, 404);
    }
}
