//! Requests through Object Lambda Access Points.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::primitives::ByteStream;

use object_lambda_emulator::test_util::{
    assert_s3_error, assert_s3_status, body_bytes, get_object, get_range, head_object, list_v2,
    status_and_code,
};

use crate::{AK, start};

const SSE_KEY: &str = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

/// GET `report.csv` through `olap`, as a future that borrows nothing (to run several at once
/// or spawn one) and answers with the result (for failures).
fn get_report(
    c: &aws_sdk_s3::Client,
    olap: &str,
) -> impl Future<Output = Result<GetObjectOutput, SdkError<GetObjectError, HttpResponse>>> + use<> {
    c.get_object().bucket(olap).key("report.csv").send()
}

#[tokio::test]
async fn get_head_list_through_an_access_point() {
    let env = start().await;
    let c = &env.s3;
    let got = get_object(c, "upper", "report.csv").await;
    assert_eq!(got.content_type(), Some("text/csv"));
    assert_eq!(got.metadata().unwrap()["transformed"], "upper");
    let body = body_bytes(got).await;
    assert!(body.starts_with(b"ORDER_ID,DATE,CUSTOMER"));

    // The event is AWS's shape.
    let ev = env.upper.last_event.lock().unwrap().clone().unwrap();
    let ctx = &ev["getObjectContext"];
    let url = ctx["inputS3Url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/data/report.csv?", env.endpoint_url())),
        "{url}"
    );
    assert!(
        url.contains("X-Amz-SignedHeaders=host") && url.contains("X-Amz-Expires=300"),
        "{url}"
    );
    let route = ctx["outputRoute"].as_str().unwrap();
    assert!(route.len() <= 63 && route.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    assert_eq!(ev["userIdentity"]["accessKeyId"], AK);
    assert_eq!(ev["userIdentity"]["type"], "IAMUser");
    assert_eq!(ev["configuration"]["payload"], r#"{"k":"v"}"#);
    assert!(
        ev["userRequest"]["url"]
            .as_str()
            .unwrap()
            .contains("/upper/report.csv")
    );
    assert!(ev["userRequest"]["headers"].get("Authorization").is_none());
    assert_eq!(ev["protocolVersion"], "1.00");

    // By alias, with Range (allowed: the function sees it in userRequest.headers).
    let by_alias = get_range(c, "upper-abc123--ol-s3", "notes.txt", "bytes=0-3").await;
    assert!(body_bytes(by_alias).await.starts_with(b"QUARTERLY"));
    let ev = env.upper.last_event.lock().unwrap().clone().unwrap();
    assert_eq!(ev["userRequest"]["headers"]["Range"], "bytes=0-3");
    assert!(
        !ev["getObjectContext"]["inputS3Url"]
            .as_str()
            .unwrap()
            .contains("Range")
    );

    let head = head_object(c, "upper", "report.csv").await;
    assert!(head.content_length().unwrap() > 100);
    assert_eq!(head.metadata().unwrap()["transformed"], "upper");
    assert!(
        env.upper
            .last_event
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .get("headObjectContext")
            .is_some()
    );
    // HEAD not routed on `get-only`: passes through to the bucket.
    let plain_head = head_object(c, "get-only", "report.csv").await;
    assert!(
        plain_head
            .metadata()
            .is_none_or(|m| !m.contains_key("transformed"))
    );

    let list = list_v2(c, "upper", "re").await;
    let keys: Vec<_> = list.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["report.csv"]);
    let ev = env.upper.last_event.lock().unwrap().clone().unwrap();
    let list_url = ev["listObjectsV2Context"]["inputS3Url"].as_str().unwrap();
    assert!(
        list_url.contains("list-type=2") && list_url.contains("prefix=re"),
        "{list_url}"
    );
    let v1 = c.list_objects().bucket("upper").send().await.unwrap();
    assert_eq!(v1.contents().len(), object_lambda_emulator::SAMPLES.len());

    // Errors from the supporting bucket are relayed by the function.
    assert_s3_error(
        c.get_object().bucket("upper").key("nope.csv").send().await,
        404,
        "NoSuchKey",
    );
    assert_s3_error(
        c.get_object()
            .bucket("upper")
            .key("report.csv")
            .if_match("\"other\"")
            .send()
            .await,
        412,
        "PreconditionFailed",
    );

    // WGOR token reuse: the first answers the caller, the second is refused.
    let reused = get_object(c, "reuse", "data.json").await;
    assert!(body_bytes(reused).await.starts_with(b"{"));
    // The function sends its second WGOR after the caller has the whole body.
    for _ in 0..100 {
        if env.reuse.second_wgor_status.lock().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(*env.reuse.second_wgor_status.lock().unwrap(), Some(400));
    env.stop().await;
}

#[tokio::test]
async fn features_and_sse_c_are_enforced() {
    let env = start().await;
    let c = &env.s3;
    let no_range = || c.get_object().bucket("no-range").key("report.csv");
    let ranged = no_range().range("bytes=0-1").send().await;
    assert_s3_error(ranged, 501, "NotImplemented");
    assert_s3_status(no_range().part_number(1).send().await, 501);
    assert_s3_status(
        c.head_object()
            .bucket("no-range")
            .key("report.csv")
            .range("bytes=0-1")
            .send()
            .await,
        501,
    );

    // SSE-C needs TLS (this emulator serves plain HTTP): refused before anything is stored,
    // directly and through the access point. An SSE-C object read through an Object Lambda
    // Access Point (400) is in `tls::sse_c_needs_https`.
    assert_s3_error(
        c.put_object()
            .bucket("data")
            .key("secret.txt")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(SSE_KEY)
            .body(ByteStream::from_static(b"top secret"))
            .send()
            .await,
        400,
        "InvalidRequest",
    );
    assert_s3_status(
        c.get_object().bucket("data").key("secret.txt").send().await,
        404,
    );
    assert_s3_error(
        c.get_object()
            .bucket("upper")
            .key("report.csv")
            .sse_customer_algorithm("AES256")
            .sse_customer_key(SSE_KEY)
            .send()
            .await,
        400,
        "InvalidRequest",
    );
    env.stop().await;
}

#[tokio::test]
async fn misbehaving_functions_get_aws_codes() {
    let env = start().await;
    let c = &env.s3;
    let (no_wgor, slow, failing, bad) = tokio::join!(
        get_report(c, "no-wgor"),
        get_report(c, "sleeper"),
        get_report(c, "failing"),
        get_report(c, "bad-code")
    );
    assert_s3_error(no_wgor, 500, "LambdaResponseNotReceived");
    assert_s3_error(slow, 500, "LambdaTimeout");
    assert_s3_error(failing, 500, "LambdaRuntimeError");
    assert_s3_error(bad, 400, "LambdaInvalidResponse");

    // HEAD/LIST: the return value is the answer; an error is LambdaRuntimeError.
    assert_s3_status(
        c.head_object()
            .bucket("failing")
            .key("report.csv")
            .send()
            .await,
        500,
    );
    assert_s3_error(
        c.list_objects_v2().bucket("failing").send().await,
        500,
        "LambdaRuntimeError",
    );

    // A WGOR body that breaks mid-way aborts the caller's response.
    match get_report(c, "broken").await {
        Ok(out) => assert!(
            out.body.collect().await.is_err(),
            "a broken stream must not end cleanly"
        ),
        Err(e) => assert_ne!(status_and_code(&e).0, 200),
    }
    env.stop().await;
}

#[tokio::test]
async fn write_get_object_response_is_authenticated() {
    let env = start().await;
    let url = format!(
        "{}/WriteGetObjectResponse?x-id=WriteGetObjectResponse",
        env.endpoint_url()
    );
    let resp = reqwest::Client::new()
        .post(&url)
        .header("x-amz-request-route", "io-x")
        .header("x-amz-request-token", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let wrong = env.client_as(AK, "wrong");
    assert_s3_error(
        wrong
            .write_get_object_response()
            .request_route("io-x")
            .request_token("t")
            .send()
            .await,
        403,
        "SignatureDoesNotMatch",
    );
    let wgor = env.s3.write_get_object_response().request_route("io-x");
    let unknown = wgor.request_token("unknown").send().await;
    assert_s3_error(unknown, 400, "ValidationError");
    env.stop().await;
}

/// Reserved concurrency: an invocation past the limit is throttled at once with 503 SlowDown
/// (without reaching the function), and a finished invocation frees its slot.
#[tokio::test]
async fn reserved_concurrency_throttles_with_slow_down() {
    let env = start().await;
    let c = &env.s3;
    let get = |olap| get_report(c, olap);

    // Limit 0: every invocation is throttled.
    assert_s3_error(get("closed").await, 503, "SlowDown");

    // Limit 1: the sleeper holds the slot until its timeout (1.5 s); a second call meanwhile is
    // throttled immediately, long before that timeout.
    let first = tokio::spawn(get("one-at-a-time"));
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let started = std::time::Instant::now();
    assert_s3_error(get("one-at-a-time").await, 503, "SlowDown");
    assert!(started.elapsed() < std::time::Duration::from_millis(1000));
    assert_s3_error(first.await.unwrap(), 500, "LambdaTimeout");

    // The slot is free again: the next call runs (and times out) instead of being throttled.
    assert_s3_error(get("one-at-a-time").await, 500, "LambdaTimeout");
    env.stop().await;
}
