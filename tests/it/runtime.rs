//! The runtime's guarantees end to end, with small transforms written for the test: headers of a
//! changed object, ranges over output of unknown length, late failures, the deadline guard.

use std::time::Duration;

use aws_sdk_s3::operation::get_object::GetObjectOutput;

use bytes::Bytes;
use object_lambda::{
    ByteStream, NoConfig, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError,
};
use object_lambda_emulator::test_util::{
    self, TestEmulator, assert_s3_error, body_bytes, get_object, get_range, in_process, put_object,
};

/// Upper-cases the object, streaming, with unknown output length.
#[derive(Clone)]
struct Upper;

impl Transform for Upper {
    type Config = NoConfig;
    fn head(
        &self,
        _: &NoConfig,
        _: &RequestContext,
        mut answer: serde_json::Value,
    ) -> Result<serde_json::Value, TransformError> {
        // Same length, new type: HEAD describes the transformed object.
        if let Some(headers) = answer.get_mut("headers").and_then(|h| h.as_object_mut()) {
            headers.insert("content-type".into(), "text/plain; charset=upper".into());
        }
        Ok(answer)
    }
    async fn transform(
        &self,
        _: NoConfig,
        _: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        use futures::StreamExt;
        let body: ByteStream = Box::pin(
            input
                .body
                .map(|c| c.map(|b| Bytes::from(b.to_ascii_uppercase()))),
        );
        Ok(ObjectOutput::streaming(
            Some("text/plain; charset=upper".into()),
            body,
        ))
    }
}

/// Emits `good` bytes, then fails: the failure comes after the commit window.
#[derive(Clone)]
struct FailLate {
    good: usize,
}

impl Transform for FailLate {
    type Config = NoConfig;
    async fn transform(
        &self,
        _: NoConfig,
        _: RequestContext,
        _: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        let chunks: Vec<Result<Bytes, TransformError>> = (0..self.good / 65536)
            .map(|_| Ok(Bytes::from(vec![b'x'; 65536])))
            .chain(std::iter::once(Err(TransformError::invalid_content(
                "broken near the end",
            ))))
            .collect();
        Ok(ObjectOutput::streaming(
            None,
            Box::pin(futures::stream::iter(chunks)),
        ))
    }
}

/// Never finishes.
#[derive(Clone)]
struct Stuck;

impl Transform for Stuck {
    type Config = NoConfig;
    async fn transform(
        &self,
        _: NoConfig,
        _: RequestContext,
        _: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Err(TransformError::internal("unreachable"))
    }
}

async fn env_with<T: Transform + Clone>(name: &'static str, t: T, timeout_ms: u64) -> TestEmulator {
    let mut config = test_util::config(&[name]);
    config.function_timeout_ms = timeout_ms;
    let env = TestEmulator::start(config, vec![(name, in_process(t))]).await;
    put_object(
        &env.s3,
        "demo",
        "t.txt",
        "text/plain",
        "hello object lambda",
    )
    .await;
    env
}

/// GET `t.txt` through the access point `name`; the result, for tests of failures.
async fn get_t(env: &TestEmulator, name: &str) -> Result<GetObjectOutput, GetError> {
    env.s3.get_object().bucket(name).key("t.txt").send().await
}

type GetError = aws_sdk_s3::error::SdkError<
    aws_sdk_s3::operation::get_object::GetObjectError,
    aws_sdk_s3::config::http::HttpResponse,
>;

#[tokio::test]
async fn changed_objects_get_new_type_and_length_and_no_etag() {
    let env = env_with("upper", Upper, 60_000).await;
    let got = get_object(&env.s3, "upper", "t.txt").await;
    assert_eq!(got.content_type(), Some("text/plain; charset=upper"));
    assert_eq!(got.content_length(), Some(19));
    assert_eq!(got.e_tag(), None, "the original's ETag no longer holds");
    assert_eq!(body_bytes(got).await.as_ref(), b"HELLO OBJECT LAMBDA");

    let got = get_range(&env.s3, "upper", "t.txt", "bytes=-6").await;
    assert_eq!(got.content_range(), Some("bytes 13-18/19"));
    assert_eq!(body_bytes(got).await.as_ref(), b"LAMBDA");
}

#[tokio::test]
async fn an_early_failure_is_a_clean_error() {
    let env = env_with("fail-early", FailLate { good: 65536 }, 60_000).await;
    assert_s3_error(get_t(&env, "fail-early").await, 400, "InvalidObjectContent");
}

#[tokio::test]
async fn a_late_failure_never_looks_like_success() {
    let env = env_with("fail-late", FailLate { good: 3 << 20 }, 60_000).await;
    match get_t(&env, "fail-late").await {
        Ok(out) => assert!(
            out.body.collect().await.is_err(),
            "a failed transform must not end cleanly"
        ),
        Err(e) => assert_ne!(e.raw_response().map(|r| r.status().as_u16()), Some(200)),
    }
}

#[tokio::test]
async fn the_deadline_guard_answers_before_lambda_gives_up() {
    // Lambda timeout 2.5 s, default margin 2 s: the runtime answers after about 0.5 s.
    let env = env_with("stuck", Stuck, 2500).await;
    let started = std::time::Instant::now();
    assert_s3_error(get_t(&env, "stuck").await, 503, "TransformTimeout");
    assert!(
        started.elapsed() < Duration::from_millis(2400),
        "answered in {:?}",
        started.elapsed()
    );
}
