//! In-process functions under load: concurrency per function is bounded (so is the memory
//! their transforms hold in the emulator), and an invocation whose caller left is stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use object_lambda::{
    NoConfig, ObjectInput, ObjectOutput, RequestContext, Transform, TransformError,
};
use object_lambda_emulator::test_util::{self, TestEmulator, in_process};

/// Holds each invocation for a while and records how many run at once and how many finish.
#[derive(Clone, Default)]
struct Slow {
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

impl Transform for Slow {
    type Config = NoConfig;

    async fn transform(
        &self,
        _config: NoConfig,
        _ctx: RequestContext,
        input: ObjectInput,
    ) -> Result<ObjectOutput, TransformError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(400)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(ObjectOutput::unchanged(input))
    }
}

#[tokio::test]
async fn in_process_invocations_are_bounded_and_stopped_when_the_caller_leaves() {
    let slow = Slow::default();
    let env = TestEmulator::start(
        test_util::config(&["slow"]),
        vec![("slow", in_process(slow.clone()))],
    )
    .await;
    let gets = (0..12).map(|_| {
        let s3 = env.s3.clone();
        async move {
            s3.get_object()
                .bucket("slow")
                .key("report.csv")
                .send()
                .await
                .map(|_| ())
        }
    });
    for r in futures::future::join_all(gets).await {
        r.unwrap();
    }
    let most = slow.most.load(Ordering::SeqCst);
    assert!(
        (1..=object_lambda_emulator::DEFAULT_MAX_PROCESSES).contains(&most),
        "{most} invocations ran at once"
    );
    assert_eq!(slow.finished.load(Ordering::SeqCst), 12);

    // A caller that gives up before the response starts: its invocation does not run on.
    let before = slow.finished.load(Ordering::SeqCst);
    let abandoned = tokio::time::timeout(
        Duration::from_millis(100),
        env.s3.get_object().bucket("slow").key("report.csv").send(),
    )
    .await;
    assert!(abandoned.is_err(), "the GET should still be waiting");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        slow.finished.load(Ordering::SeqCst),
        before,
        "the abandoned invocation ran to the end"
    );
}

/// What a caller sees of one GET through the access point: status, error code, the headers
/// that must survive the trip, and the body.
async fn seen(
    env: &TestEmulator,
    key: &str,
    range: Option<&str>,
    if_none_match: Option<&str>,
) -> (u16, String, Vec<Option<String>>, Vec<u8>) {
    let mut get = env.s3.get_object().bucket("identity").key(key);
    if let Some(r) = range {
        get = get.range(r);
    }
    if let Some(e) = if_none_match {
        get = get.if_none_match(e);
    }
    match get.send().await {
        Ok(out) => {
            let headers = vec![
                out.content_type().map(str::to_owned),
                out.content_length().map(|n| n.to_string()),
                out.content_range().map(str::to_owned),
                out.e_tag().map(str::to_owned),
                out.metadata().and_then(|m| m.get("origin").cloned()),
            ];
            (
                200,
                String::new(),
                headers,
                test_util::body_bytes(out).await.to_vec(),
            )
        }
        Err(e) => {
            let (status, code) = test_util::status_and_code(&e);
            (status, code, Vec::new(), Vec::new())
        }
    }
}

/// An in-process function hands its fetch and its WriteGetObjectResponse to the emulator
/// directly (`in_process_direct`, the default) or over the emulator's socket (here the real
/// `passthrough`, on an access point named `identity`); the caller
/// cannot tell the two apart: same bytes, headers, ranges, errors and conditional answers.
#[tokio::test]
async fn in_process_functions_answer_alike_with_and_without_the_wire() {
    // Several MiB of non-repeating bytes: many chunks on every hop.
    let body: Vec<u8> = (0..5_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut answers = Vec::new();
    for direct in [true, false] {
        let mut config = test_util::config(&["identity"]);
        config.in_process_direct = direct;
        let env = TestEmulator::start(
            config,
            vec![("identity", in_process(passthrough::function::Passthrough))],
        )
        .await;
        env.s3
            .put_object()
            .bucket(object_lambda_emulator::DEFAULT_BUCKET)
            .key("big.bin")
            .content_type("application/x-test")
            .metadata("origin", "direct-test")
            .body(body.clone().into())
            .send()
            .await
            .expect("PUT");
        let whole = seen(&env, "big.bin", None, None).await;
        assert_eq!(whole.0, 200, "direct: {direct}");
        assert!(whole.3 == body, "direct: {direct}: the body differs");
        let etag = whole.2[3].clone().expect("an ETag");
        let answer = vec![
            whole,
            seen(&env, "big.bin", Some("bytes=1000000-1000099"), None).await,
            seen(&env, "big.bin", Some("bytes=-10"), None).await,
            seen(&env, "big.bin", None, Some(&etag)).await,
            seen(&env, "missing.bin", None, None).await,
        ];
        assert_eq!(answer[1].3, body[1_000_000..1_000_100], "direct: {direct}");
        assert_eq!(answer[3].0, 304, "direct: {direct}");
        assert_eq!((answer[4].0, answer[4].1.as_str()), (404, "NoSuchKey"));
        answers.push(answer);
        env.stop().await;
    }
    assert_eq!(answers[0], answers[1]);
}
