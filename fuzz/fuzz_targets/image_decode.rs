//! Decode arbitrary bytes through the image transform with tight limits: any input must give
//! `Ok` or a 4xx-class error, never a panic, an InternalError or an unbounded allocation.
#![no_main]

use image_transform::{CallerInfo, Config, ErrorKind, probe, transform};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = probe(data);
    let config = Config {
        width: Some(64),
        height: Some(64),
        max_input_pixels: 4_000_000,
        max_input_bytes: 1 << 20,
        ..Config::default()
    };
    if let Err(e) = transform(data, &config, &CallerInfo::default(), None) {
        assert_ne!(e.kind(), ErrorKind::InternalError, "{e}");
    }
});
