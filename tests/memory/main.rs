//! Memory of the whole process (emulator, function and client): a 200 MB object streamed
//! through `passthrough` stays far below the object size, and downloads the client abandons
//! leave neither memory nor file descriptors behind. Alone in their own test binary, and one
//! at a time ([`ALONE`]), so that nothing else moves the figures.

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::start_passthrough;
use object_lambda_emulator::test_util;

const SIZE: u64 = 200 * 1024 * 1024;

/// The tests of this binary measure the whole process: they run one after the other.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Resident set size now (VmRSS), in bytes.
fn rss() -> u64 {
    status_bytes("VmRSS")
}

/// A size field of `/proc/self/status` (given in kB there), in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field}"));
    kb * 1024
}

/// Open file descriptors of this process.
fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_downloads_leave_no_memory_or_descriptors() {
    let _alone = ALONE.lock().await;
    let env = start_passthrough(test_util::config(&["passthrough"])).await;
    let object: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    env.s3
        .put_object()
        .bucket("demo")
        .key("abandoned.bin")
        .body(ByteStream::from(object))
        .send()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = |bucket: &str| {
        let s3 = env.s3.clone();
        let bucket = bucket.to_owned();
        async move {
            s3.get_object()
                .bucket(bucket)
                .key("abandoned.bin")
                .presigned(
                    aws_sdk_s3::presigning::PresigningConfig::expires_in(
                        std::time::Duration::from_secs(300),
                    )
                    .unwrap(),
                )
                .await
                .unwrap()
                .uri()
                .to_owned()
        }
    };
    let (direct, olap) = (url("demo").await, url("passthrough").await);
    // Warm up (thread pools, connection caches), then take the baseline.
    let abandon = |u: String| {
        let http = http.clone();
        async move {
            let mut resp = http.get(&u).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            // Read a little, then walk away mid-stream.
            let _ = resp.chunk().await.unwrap();
            drop(resp);
        }
    };
    for _ in 0..4 {
        abandon(direct.clone()).await;
        abandon(olap.clone()).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (rss0, fds0) = (rss(), fds());
    for _ in 0..60 {
        abandon(direct.clone()).await;
        abandon(olap.clone()).await;
    }
    // Give the server a moment to notice the closed connections.
    let mut settled = (rss(), fds());
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        settled = (rss(), fds());
        if settled.1 <= fds0 + 4 && settled.0 <= rss0 + 48 * 1024 * 1024 {
            break;
        }
    }
    println!(
        "after 120 abandoned 20 MiB downloads: RSS {} -> {} MiB, fds {fds0} -> {}",
        rss0 >> 20,
        settled.0 >> 20,
        settled.1
    );
    assert!(
        settled.1 <= fds0 + 4,
        "file descriptors grew: {fds0} -> {}",
        settled.1
    );
    assert!(
        settled.0 <= rss0 + 48 * 1024 * 1024,
        "RSS grew: {} -> {} MiB",
        rss0 >> 20,
        settled.0 >> 20
    );
    // Still serving.
    let full = http.get(&olap).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(full.len(), 20 * 1024 * 1024);
}

/// Peak resident set size of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    status_bytes("VmHWM")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_object_streams_in_bounded_memory() {
    let _alone = ALONE.lock().await;
    let env = start_passthrough(test_util::config(&["passthrough"])).await;
    // Write the object to a file and upload it streaming, so the test itself holds no copy.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..SIZE / block.len() as u64 {
            f.write_all(&block).unwrap();
        }
    }
    env.s3
        .put_object()
        .bucket("demo")
        .key("big.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap_or_else(|e| {
            // The emulator keeps objects on disk, so a full disk (this test needs about
            // 400 MB: the file above and the stored copy) shows here as a dropped upload.
            panic!(
                "uploading the {} MiB object failed (is the disk full?): {e:?}",
                SIZE >> 20
            )
        });
    let before = peak_rss();
    // Reset the peak so that what follows measures the GET alone (Linux: clear_refs "5").
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    // What the process holds before the GET (the other test of this binary may have run
    // first and left memory with the allocator): the GET is judged by what it adds.
    let resident = rss();

    let got = env
        .s3
        .get_object()
        .bucket("passthrough")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(SIZE as i64));
    let mut body = got.body;
    let (mut n, mut sum) = (0u64, 0u64);
    while let Some(chunk) = body.try_next().await.unwrap() {
        n += chunk.len() as u64;
        sum = chunk.iter().fold(sum, |s, b| s.wrapping_add(u64::from(*b)));
    }
    assert_eq!(n, SIZE);
    let expected: u64 = (0..1024u64 * 1024).map(|i| i % 251).sum::<u64>() * (SIZE / (1024 * 1024));
    assert_eq!(sum, expected, "content changed on the way");

    let peak = peak_rss();
    println!(
        "peak RSS during upload {} MiB; before the GET {} MiB, peak during it {} MiB",
        before >> 20,
        resident >> 20,
        peak >> 20
    );
    assert!(
        peak.saturating_sub(resident) < 48 * 1024 * 1024,
        "the GET of a {} MiB object raised RSS from {} to {} MiB",
        SIZE >> 20,
        resident >> 20,
        peak >> 20
    );
}
