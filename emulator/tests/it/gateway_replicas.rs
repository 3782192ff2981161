//! Several gateway replicas: WGOR forwarded between them, forged routes refused, and 200
//! concurrent GETs with bounded memory and no process left behind.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::gateway::{
    GatewayProc, Moto, REPORT, big_object, binary_functions, config, get, scrape,
};
use crate::runtime::function_binary;

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
