//! `passthrough`: an S3 Object Lambda function that returns objects unchanged.
//! Without `AWS_LAMBDA_RUNTIME_API` it copies stdin to stdout (local mode).

fn main() {
    object_lambda::run(passthrough::function::Passthrough);
}
