//! The operations listener: `GET /metrics` (Prometheus text) and `GET /healthz` (200 `ok`;
//! 503 `draining` once shutdown began, so a load balancer stops sending).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

use crate::Error;

/// The process-wide recorder (installed once, shared by every gateway in the process).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
        }
        metrics::describe_counter!(
            "object_lambda_requests_total",
            "Requests by access point and status"
        );
        metrics::describe_counter!(
            "object_lambda_bytes_out_total",
            "Response body bytes sent, by access point"
        );
        metrics::describe_histogram!(
            "object_lambda_invoke_seconds",
            "Function invocation time (GET: until the answer is streamed)"
        );
        metrics::describe_counter!(
            "object_lambda_wgor_forwards_total",
            "WriteGetObjectResponse requests forwarded to another replica"
        );
        handle
    })
}

/// Binds `addr` and serves until `stop`.
pub(super) async fn start(
    addr: SocketAddr,
    draining: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) -> Result<SocketAddr, Error> {
    let handle = handle().clone();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::io(format!("binding the metrics listener {addr}"), e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::io("reading the metrics address", e))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let (handle, draining) = (handle.clone(), draining.clone());
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                            let (status, body) = match req.uri().path() {
                                "/metrics" => (200, handle.render()),
                                "/healthz" if draining.load(Ordering::SeqCst) => (503, "draining\n".to_owned()),
                                "/healthz" => (200, "ok\n".to_owned()),
                                _ => (404, "not found\n".to_owned()),
                            };
                            let mut resp = http::Response::new(Full::new(Bytes::from(body)));
                            *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
                            std::future::ready(Ok::<_, std::convert::Infallible>(resp))
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            }
        }
    });
    Ok(bound)
}
