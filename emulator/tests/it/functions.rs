//! Test functions implementing the emulator's `Function` trait directly: a small
//! uppercase transform that does its own HTTP like a Lambda, and misbehaving variants.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use futures::future::BoxFuture;
use object_lambda_emulator::Function;
use serde_json::{Value, json};

/// How the function behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Fetch, uppercase, WGOR.
    Upper,
    /// Return without WGOR.
    NoWgor,
    /// Sleep far past the timeout.
    Sleep,
    /// Return an error.
    Fail,
    /// WGOR with an invalid error code.
    BadCode,
    /// WGOR twice with the same token.
    ReuseToken,
    /// WGOR whose body breaks mid-way.
    BrokenStream,
}

#[derive(Clone)]
pub(crate) struct TestFunction {
    mode: Mode,
    ak: String,
    sk: String,
    /// Outcome of the second WGOR in `ReuseToken` mode (status code).
    pub(crate) second_wgor_status: Arc<Mutex<Option<u16>>>,
    /// The last event received.
    pub(crate) last_event: Arc<Mutex<Option<Value>>>,
}

impl TestFunction {
    pub(crate) fn new(mode: Mode, ak: &str, sk: &str) -> Self {
        Self {
            mode,
            ak: ak.to_owned(),
            sk: sk.to_owned(),
            second_wgor_status: Arc::default(),
            last_event: Arc::default(),
        }
    }
}

impl Function for TestFunction {
    fn invoke(
        &self,
        event: Value,
        _ctx: lambda_runtime::Context,
    ) -> BoxFuture<'static, Result<Value, lambda_runtime::Error>> {
        let this = self.clone();
        Box::pin(async move { this.run(event).await })
    }
}

/// `http://host:port` of a presigned URL.
fn endpoint_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split('/').next().unwrap();
    format!("{scheme}://{host}")
}

// The test files' name for the harness's client.
pub(crate) use object_lambda_emulator::test_util::client as s3_client;

/// Header value from `userRequest.headers`, case-insensitively.
fn user_header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event["userRequest"]["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// Fetches `inputS3Url` forwarding the signed headers (except host) and If-* headers.
async fn fetch(event: &Value, url: &str, head: bool) -> reqwest::Response {
    let parsed = url::Url::parse(url).unwrap();
    let signed = parsed
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-SignedHeaders")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let client = reqwest::Client::new();
    let mut req = if head {
        client.head(url)
    } else {
        client.get(url)
    };
    let conditional = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
    ];
    for name in signed
        .split(';')
        .filter(|n| *n != "host")
        .chain(conditional)
    {
        if let Some(v) = user_header(event, name) {
            req = req.header(name, v);
        }
    }
    req.send().await.unwrap()
}

fn xml_code(body: &str) -> String {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("InternalError")
        .to_owned()
}

impl TestFunction {
    async fn run(&self, event: Value) -> Result<Value, lambda_runtime::Error> {
        *self.last_event.lock().unwrap() = Some(event.clone());
        match self.mode {
            Mode::NoWgor => return Ok(json!({"ok": true})),
            Mode::Sleep => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return Ok(json!({}));
            }
            Mode::Fail => return Err("boom".into()),
            _ => {}
        }
        if let Some(ctx) = event.get("headObjectContext") {
            let url = ctx["inputS3Url"].as_str().unwrap();
            let resp = fetch(&event, url, true).await;
            let h = resp.headers();
            let get = |n: &str| {
                h.get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            return Ok(json!({"statusCode": resp.status().as_u16(), "headers": {
                "Content-Length": get("content-length").parse::<u64>().unwrap_or(0),
                "Content-Type": get("content-type"),
                "x-amz-meta-transformed": "upper",
            }}));
        }
        for list in ["listObjectsContext", "listObjectsV2Context"] {
            if let Some(ctx) = event.get(list) {
                let resp = fetch(&event, ctx["inputS3Url"].as_str().unwrap(), false).await;
                let status = resp.status().as_u16();
                let xml = resp.text().await.unwrap();
                return Ok(json!({"statusCode": status, "listResultXml": xml}));
            }
        }
        let ctx = &event["getObjectContext"];
        let (url, route, token) = (
            ctx["inputS3Url"].as_str().unwrap(),
            ctx["outputRoute"].as_str().unwrap(),
            ctx["outputToken"].as_str().unwrap(),
        );
        let client = s3_client(&endpoint_of(url), &self.ak, &self.sk);
        let wgor = || {
            client
                .write_get_object_response()
                .request_route(route)
                .request_token(token)
        };
        if self.mode == Mode::BadCode {
            let _ = wgor()
                .status_code(400)
                .error_code("bad-code")
                .error_message("x")
                .send()
                .await;
            return Ok(json!({}));
        }
        let resp = fetch(&event, url, false).await;
        let status = resp.status().as_u16();
        if status >= 300 {
            let body = resp.text().await.unwrap_or_default();
            let mut w = wgor().status_code(i32::from(status));
            if status != 304 {
                w = w
                    .error_code(xml_code(&body))
                    .error_message("from supporting access point");
            }
            w.send().await?;
            return Ok(json!({}));
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = resp.bytes().await?;
        let upper = bytes.to_ascii_uppercase();
        if self.mode == Mode::BrokenStream {
            let (tx, rx) = tokio::sync::mpsc::channel::<
                Result<http_body::Frame<bytes::Bytes>, std::io::Error>,
            >(4);
            let body =
                http_body_util::StreamBody::new(tokio_stream::wrappers::ReceiverStream::new(rx));
            tokio::spawn(async move {
                let _ = tx
                    .send(Ok(http_body::Frame::data(bytes::Bytes::from(
                        vec![b'a'; 64 * 1024],
                    ))))
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx.send(Err(std::io::Error::other("stream broke"))).await;
            });
            let _ = wgor()
                .status_code(200)
                .body(ByteStream::from_body_1_x(body))
                .send()
                .await;
            return Ok(json!({}));
        }
        let mut w = wgor()
            .status_code(200)
            .metadata("transformed", "upper")
            .content_length(i64::try_from(upper.len()).unwrap())
            .body(ByteStream::from(upper.clone()));
        if let Some(ct) = content_type {
            w = w.content_type(ct);
        }
        w.send().await?;
        if self.mode == Mode::ReuseToken {
            let second = wgor()
                .status_code(200)
                .body(ByteStream::from(upper))
                .send()
                .await;
            let status = match second {
                Ok(_) => 200,
                Err(e) => e.raw_response().map_or(0, |r| r.status().as_u16()),
            };
            *self.second_wgor_status.lock().unwrap() = Some(status);
        }
        Ok(json!({}))
    }
}
