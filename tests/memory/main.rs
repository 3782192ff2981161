//! A 200 MB object streamed through `passthrough`: peak memory of the whole process (emulator,
//! function and client) must stay far below the object size. Alone in its own test binary so
//! that no other test inflates the process's peak.

use aws_sdk_s3::primitives::ByteStream;
use integration_tests::{start_passthrough, test_config};

const SIZE: u64 = 200 * 1024 * 1024;

/// Peak resident set size of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_object_streams_in_bounded_memory() {
    let env = start_passthrough(test_config(&["passthrough"])).await;
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
        "peak RSS during upload {} MiB, during the GET {} MiB",
        before >> 20,
        peak >> 20
    );
    assert!(
        peak < 64 * 1024 * 1024,
        "peak RSS {} MiB for a {} MiB object",
        peak >> 20,
        SIZE >> 20
    );
}
