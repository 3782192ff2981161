//! `pii-redactor`: S3 Object Lambda function that redacts PII from text, JSON, JSON Lines and
//! CSV objects while streaming them. Without `AWS_LAMBDA_RUNTIME_API` it redacts stdin to
//! stdout: `pii-redactor --payload '{"mask_mode":"REPLACE_WITH_PII_ENTITY_TYPE"}' < in.txt`.

fn main() {
    object_lambda::run(pii_redactor::function::PiiRedactor);
}
