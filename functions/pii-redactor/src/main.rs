//! `pii-redactor`: S3 Object Lambda function that redacts PII from text, JSON, JSON Lines and
//! CSV objects while streaming them. Without `AWS_LAMBDA_RUNTIME_API` it redacts stdin to
//! stdout: `pii-redactor --payload '{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}' < in.txt`.

mod bin_adapter;

fn main() {
    object_lambda::run(bin_adapter::PiiRedactor);
}
