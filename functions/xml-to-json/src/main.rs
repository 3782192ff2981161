//! `xml-to-json`: S3 Object Lambda function converting XML objects to JSON (xmltodict
//! mapping) or NDJSON records. Without `AWS_LAMBDA_RUNTIME_API` it converts stdin to
//! stdout (local mode: `--payload JSON`).

fn main() {
    object_lambda::run(xml_to_json::function::XmlToJson);
}
