//! Invokers that reach a function over the network (the other implementations of
//! [`crate::Function`] are `in_process.rs` and `process.rs`), and Lambda's Invoke API served by
//! the emulator for its own functions.

pub(crate) mod api;
mod lambda;
mod webhook;

pub use lambda::LambdaFunction;
pub use webhook::WebhookFunction;
