//! `passthrough`: the object, unchanged — and the template for a new function.
//!
//! Every function here has the same shape; copy this crate and rename it:
//!
//! - `src/lib.rs` (this file) and its modules: the pure logic — bytes in, bytes out, typed
//!   options, the crate's own `Error`. No Lambda, SDK or async types, so unit tests, property
//!   tests, fuzzers and benches call it directly and build without the AWS SDK
//!   (`--no-default-features`). Passthrough has no logic of its own, so it has none.
//! - `src/function.rs` (feature `lambda`, on by default): the [`object_lambda::Transform`] —
//!   the typed `Config` (the access point's payload, parsed for you), the one async method
//!   from the original to the output, and `impl From<Error> for TransformError` so that the
//!   library's errors become S3 error codes with `?`.
//! - `src/main.rs`: one line, `object_lambda::run(...)`.
//!
//! Everything else — the event, fetching the original with the right headers, Range/partNumber,
//! conditional requests, `WriteGetObjectResponse`, error codes, local mode — is the runtime's
//! job.

#[cfg(feature = "lambda")]
pub mod function;
