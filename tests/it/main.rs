//! End-to-end tests: the real aws-sdk-s3 client against the emulator on 127.0.0.1, with the real
//! functions running in-process through `object_lambda::Handler`.

mod events;
mod image;
mod in_process;
mod passthrough;
mod pii;
mod runtime;
mod xml;
