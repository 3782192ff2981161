//! `--webhook HOST:PORT`: the function serves MinIO's Object Lambda webhook contract, so MinIO
//! (and the gateway's webhook invoker) can run it unchanged.
//!
//! Each `POST` carries the event JSON. For GetObject the transform runs exactly as under
//! Lambda (fetch `inputS3Url`, transform, Range/partNumber, the error table); what would have
//! been the WriteGetObjectResponse becomes the HTTP answer: the transformed body, the status
//! (also in `x-amz-fwd-status`), the object's headers as `x-amz-fwd-header-<Name>`, errors as
//! `x-amz-fwd-error-code` / `-message`, and `x-amz-request-route` / `x-amz-request-token`
//! echoed. HEAD and LIST events (which MinIO never sends) are answered 200 with the JSON value
//! a Lambda function returns. Any other method (MinIO's `HEAD` liveness probe) gets 200.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::TransformError;
use crate::handler::Handler;
use crate::respond::{Reply, ResponseSink};
use crate::transform::Transform;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

/// The value of `--webhook HOST:PORT` (or `--webhook=HOST:PORT`) among the process arguments.
pub(crate) fn addr_from_args() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--webhook" {
            return args.next();
        }
        if let Some(v) = a.strip_prefix("--webhook=") {
            return Some(v.to_owned());
        }
    }
    None
}

/// Replies waiting for their HTTP answer, by output token.
#[derive(Default)]
struct Capture {
    waiting: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
}

impl Capture {
    fn expect(&self, token: &str) -> oneshot::Receiver<Reply> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(token.to_owned(), tx);
        rx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Reply>>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ResponseSink for Capture {
    fn send(
        &self,
        _route: &str,
        token: &str,
        reply: Reply,
    ) -> BoxFuture<'static, Result<(), TransformError>> {
        let sent = self.lock().remove(token).map(|tx| tx.send(reply).is_ok());
        Box::pin(async move {
            match sent {
                Some(true) => Ok(()),
                _ => Err(TransformError::internal("the webhook caller is gone")),
            }
        })
    }
}

/// Serves `transform` as a webhook on `addr` until the process is stopped.
pub(crate) async fn serve<T: Transform>(transform: T, addr: &str) -> Result<(), BoxError> {
    let capture = Arc::new(Capture::default());
    let handler = Arc::new(
        Handler::builder(transform)
            .sink(capture.clone())
            .build()
            .await?,
    );
    let addr: SocketAddr = addr.parse().map_err(|e| format!("--webhook {addr}: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "serving as a webhook (MinIO Object Lambda contract)");
    println!("webhook listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (handler, capture) = (handler.clone(), capture.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let (handler, capture) = (handler.clone(), capture.clone());
                async move { Ok::<_, std::convert::Infallible>(answer(&handler, &capture, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn full(status: u16, body: impl Into<Bytes>) -> http::Response<Body> {
    let mut r = http::Response::new(
        Full::new(body.into())
            .map_err(|e| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r
}

async fn answer<T: Transform>(
    handler: &Handler<T>,
    capture: &Capture,
    req: http::Request<hyper::body::Incoming>,
) -> http::Response<Body> {
    if req.method() != http::Method::POST {
        return full(200, "");
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return full(400, "unreadable body"),
    };
    let event: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return full(400, "the body is not an event"),
    };
    let output = event.get("getObjectContext").map(|c| {
        let s = |k: &str| {
            c.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        (s("outputRoute"), s("outputToken"))
    });
    let Some((route, token)) = output else {
        // HEAD / LIST: the return value is the answer.
        return match handler
            .handle(event, lambda_runtime::Context::default())
            .await
        {
            Ok(v) => {
                let mut r = full(200, v.to_string());
                r.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                r
            }
            Err(e) => full(500, e.to_string()),
        };
    };
    let mut reply = capture.expect(&token);
    let handled = handler.handle(event, lambda_runtime::Context::default());
    let reply = tokio::select! {
        biased;
        r = &mut reply => r.ok(),
        // The handler hands its reply over just before it returns.
        _ = handled => reply.try_recv().ok(),
    };
    match reply {
        Some(reply) => http_reply(reply, &route, &token),
        None => {
            capture.lock().remove(&token);
            full(500, "the function ended without an answer")
        }
    }
}

/// A [`Reply`] as MinIO's webhook answer.
fn http_reply(reply: Reply, route: &str, token: &str) -> http::Response<Body> {
    let mut headers: Vec<(String, String)> = vec![
        ("x-amz-request-route".into(), route.to_owned()),
        ("x-amz-request-token".into(), token.to_owned()),
        ("x-amz-fwd-status".into(), reply.status.to_string()),
    ];
    if let Some((code, message)) = &reply.error {
        headers.push(("x-amz-fwd-error-code".into(), code.clone()));
        headers.push(("x-amz-fwd-error-message".into(), message.clone()));
    }
    let h = &reply.headers;
    let fwd = |name: &str| format!("x-amz-fwd-header-{name}");
    if let Some(v) = &h.content_type {
        headers.push((fwd("Content-Type"), v.clone()));
    }
    if let Some(v) = &h.content_range {
        headers.push((fwd("Content-Range"), v.clone()));
    }
    if let Some(v) = h.parts_count {
        headers.push((fwd("x-amz-mp-parts-count"), v.to_string()));
    }
    if reply.body.is_some() {
        headers.push((fwd("Accept-Ranges"), "bytes".into()));
        if let Some(v) = h.content_length {
            headers.push(("content-length".into(), v.to_string()));
        }
    }
    for (name, value) in &h.forwarded {
        headers.push((fwd(name), value.clone()));
    }
    let body: Body = match reply.body {
        Some(stream) => BodyExt::boxed_unsync(StreamBody::new(stream.map(|chunk| {
            chunk
                .map(http_body::Frame::data)
                .map_err(|e| Box::new(e) as BoxError)
        }))),
        None => Full::new(Bytes::new())
            .map_err(|e| match e {})
            .boxed_unsync(),
    };
    let mut resp = http::Response::new(body);
    *resp.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
