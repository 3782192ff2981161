//! # object-lambda: the S3 Object Lambda protocol for Rust transforms
//!
//! An application reads an object through an S3 Object Lambda Access Point; S3 invokes a Lambda
//! function with an event; the function fetches the original, transforms it and streams the
//! result back with `WriteGetObjectResponse`. This crate is everything but the transform:
//!
//! 1. **event** — [`event::Invocation::from_value`] reads the event (`aws_lambda_events`).
//! 2. **fetch** — [`fetch::Fetcher`] GETs the presigned `inputS3Url`, forwarding the signed and
//!    conditional headers, and relays S3's errors.
//! 3. **transform** — your [`Transform`], with its typed payload configuration.
//! 4. **respond** — Range/partNumber cut from the transformed bytes, then `WriteGetObjectResponse`
//!    ([`respond`]) with the headers that still hold; failures map through one table
//!    ([`error`]).
//!
//! The flow lives in [`handler::Handler::handle`]. A function's `main.rs` is one line:
//!
//! ```no_run
//! # use object_lambda::{ObjectInput, ObjectOutput, RequestContext, Transform, TransformError};
//! # struct Passthrough;
//! # impl Transform for Passthrough {
//! #     type Config = object_lambda::NoConfig;
//! #     async fn transform(&self, _: object_lambda::NoConfig, _: RequestContext, input: ObjectInput) -> Result<ObjectOutput, TransformError> {
//! #         Ok(ObjectOutput::unchanged(input))
//! #     }
//! # }
//! fn main() {
//!     object_lambda::run(Passthrough)
//! }
//! ```
//!
//! [`run`] serves Lambda when `AWS_LAMBDA_RUNTIME_API` is set, a MinIO-style webhook with
//! `--webhook HOST:PORT` ([`webhook`]), and otherwise runs the local command-line mode
//! ([`local`]): stdin → transform → stdout.

pub mod clients;
pub mod config;
pub mod context;
pub mod error;
pub mod event;
pub mod fetch;
pub mod handler;
pub mod local;
pub mod passthrough;
pub mod range;
pub mod respond;
pub mod spool;
pub mod transform;
pub mod webhook;

pub use config::NoConfig;
pub use context::{CallerIdentity, RequestContext};
pub use error::{ErrorKind, TransformError};
pub use handler::Handler;
pub use transform::{
    ByteStream, ChunkProcessor, Commit, ObjectInput, ObjectOutput, Transform, blocking, collect,
    map_chunks,
};

use clap::Parser;

/// Run a transform: as a webhook with `--webhook HOST:PORT` ([`webhook`]), as a Lambda function
/// when `AWS_LAMBDA_RUNTIME_API` is set, else in local mode (stdin → stdout). Never returns on
/// failure: it exits the process with status 1.
pub fn run<T: Transform>(transform: T) {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() && webhook::addr_from_args().is_none() {
        // Local mode: one object, no worker threads needed (see `local::run_local_blocking`).
        let args = local::LocalArgs::parse();
        std::process::exit(local::run_local_blocking(transform, args));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("InternalError: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Some(addr) = webhook::addr_from_args() {
        lambda_runtime::tracing::init_default_subscriber();
        if let Err(e) = runtime.block_on(webhook::serve(transform, &addr)) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = runtime.block_on(serve_lambda(transform)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

async fn serve_lambda<T: Transform>(transform: T) -> Result<(), lambda_runtime::Error> {
    // Honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON.
    lambda_runtime::tracing::init_default_subscriber();
    let handler = std::sync::Arc::new(Handler::builder(transform).build().await?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let handler = handler.clone();
            async move { handler.handle(event.payload, event.context).await }
        },
    ))
    .await
}
