//! # object-lambda: the S3 Object Lambda protocol for Rust transforms
//!
//! An application reads an object through an S3 Object Lambda Access Point; S3 invokes a Lambda
//! function with an event; the function fetches the original, transforms it and streams the
//! result back with `WriteGetObjectResponse`. This crate is everything but the transform:
//!
//! 1. **event** — [`Invocation::from_value`] reads the event (`aws_lambda_events`).
//! 2. **fetch** — the presigned `inputS3Url` is fetched, forwarding the signed and conditional
//!    headers; S3's errors are relayed.
//! 3. **transform** — your [`Transform`], with its typed payload configuration
//!    ([`parse_payload`]).
//! 4. **respond** — Range/partNumber cut from the transformed bytes, then `WriteGetObjectResponse`
//!    with the headers that still hold; failures map through one table ([`ErrorKind`]).
//!
//! The flow lives in [`Handler::handle`]. A function's `main.rs` is one line:
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
//! `--webhook HOST:PORT`, and otherwise runs the local command-line mode: stdin → transform →
//! stdout.

// Modules are private: the API is what is re-exported below. `Handler` and `RuntimeSettings`
// are for hosts that run a transform in-process (the emulator, tests); everything else is for
// function authors.
mod ca_bundle;
mod clients;
mod config;
mod context;
mod cpu;
mod defaults;
mod error;
mod event;
mod fetch;
mod handler;
mod http;
mod local;
mod local_endpoint;
mod logging;
mod range;
mod respond;
mod spool;
mod transform;
mod webhook;

pub use clients::{ClientSettings, s3_client};
pub use config::{NoConfig, RuntimeSettings, parse_payload};
pub use context::{CallerIdentity, RequestContext, SupportingObjects};
pub use cpu::{TWO_VCPUS_MB, second_vcpu};
pub use error::{ErrorKind, ObjectLambdaError, TransformError};
pub use event::{EventError, Invocation, Operation};
pub use handler::{Handler, HandlerBuilder};
pub use local_endpoint::{BoxError, LocalBody, LocalEndpoint};
pub use transform::{
    BlockingInput, BlockingOutput, ByteStream, ChunkProcessor, Commit, ObjectInput, ObjectOutput,
    Transform, blocking, collect, map_chunks,
};

/// Run a transform: as a webhook with `--webhook HOST:PORT`, as a Lambda function
/// when `AWS_LAMBDA_RUNTIME_API` is set, else in local mode (stdin → stdout). Never returns on
/// failure: it exits the process with status 1.
pub fn run<T: Transform>(transform: T) {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() && webhook::addr_from_args().is_none() {
        // Local mode: one object, no worker threads needed (see `local::run_local_blocking`).
        let code = match local::LocalArgs::from_env() {
            local::Parsed::Run(args) => local::run_local_blocking(transform, args),
            local::Parsed::Help(text) => {
                print!("{text}");
                0
            }
            local::Parsed::Usage(text) => {
                eprint!("{text}");
                2
            }
        };
        std::process::exit(code);
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
        logging::init();
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
    logging::init();
    let handler = std::sync::Arc::new(Handler::builder(transform).build().await?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let handler = handler.clone();
            async move { handler.handle(event.payload, event.context).await }
        },
    ))
    .await
}
