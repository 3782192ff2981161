//! Request helpers of the emulator's own suite, beside the shared ones in
//! `object_lambda_emulator::test_util`: versioned reads and deletes, multipart uploads, and the
//! repository's four functions in-process (the emulator's library does not depend on them, so
//! they cannot live in `test_util`).

use std::sync::Arc;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::complete_multipart_upload::{
    CompleteMultipartUploadError, CompleteMultipartUploadOutput,
};
use aws_sdk_s3::operation::delete_object::{DeleteObjectError, DeleteObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, CompletedMultipartUpload, CompletedPart};
use object_lambda_emulator::Function;
use object_lambda_emulator::test_util::{body_bytes, in_process, status_and_code};

/// The body of `bucket`/`key` (of `version` when given); panics on any failure.
pub(crate) async fn get_version(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Vec<u8> {
    let get = c.get_object().bucket(bucket).key(key);
    let out = get.set_version_id(version.map(str::to_owned)).send().await;
    let out =
        out.unwrap_or_else(|e| panic!("GET {bucket}/{key} {version:?}: {:?}", status_and_code(&e)));
    body_bytes(out).await.to_vec()
}

/// The versioning status of `bucket` (`None`: never enabled).
pub(crate) async fn versioning(
    c: &aws_sdk_s3::Client,
    bucket: &str,
) -> Option<BucketVersioningStatus> {
    let got = c.get_bucket_versioning().bucket(bucket).send().await;
    got.unwrap().status().cloned()
}

/// DELETE `bucket`/`key` (`version` when given); the result, for tests of refused deletes.
pub(crate) async fn delete(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<DeleteObjectOutput, SdkError<DeleteObjectError, HttpResponse>> {
    c.delete_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
}

/// Start a multipart upload of `bucket`/`key` and upload `parts` as parts 1, 2, …; the upload
/// id and each part's number and ETag.
pub(crate) async fn upload_parts(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    parts: Vec<Vec<u8>>,
) -> (String, Vec<(i32, String)>) {
    let up = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_owned();
    let mut etags = Vec::new();
    for (n, body) in (1..).zip(parts) {
        let r = c
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        etags.push((n, r.e_tag().unwrap().to_owned()));
    }
    (id, etags)
}

/// Complete upload `id` of `bucket`/`key` with these part numbers and ETags; the result, for
/// tests of refused completes. (The request is built before the future, which borrows none of
/// the arguments, so a closure can hand it back.)
pub(crate) fn complete_upload(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    id: &str,
    parts: &[(i32, String)],
) -> impl Future<
    Output = Result<
        CompleteMultipartUploadOutput,
        SdkError<CompleteMultipartUploadError, HttpResponse>,
    >,
> + use<> {
    let parts = parts
        .iter()
        .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build())
        .collect();
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
}

/// The repository's four functions, in-process under the names `template.yaml` gives them.
pub(crate) fn real_functions() -> [(&'static str, Arc<dyn Function>); 4] {
    [
        (
            "passthrough",
            in_process(passthrough::function::Passthrough),
        ),
        (
            "pii-redactor",
            in_process(pii_redactor::function::PiiRedactor),
        ),
        ("xml-to-json", in_process(xml_to_json::function::XmlToJson)),
        (
            "image-transform",
            in_process(image_transform::function::ImageTransform),
        ),
    ]
}
