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
use futures::future::BoxFuture;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
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
        Some(reply) => crate::local_endpoint::as_wgor(reply, &route, &token),
        None => {
            capture.lock().remove(&token);
            full(500, "the function ended without an answer")
        }
    }
}
