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
