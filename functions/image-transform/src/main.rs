//! `image-transform`: S3 Object Lambda function that resizes images and stamps them with a
//! caller-aware watermark. Without `AWS_LAMBDA_RUNTIME_API` it transforms stdin to stdout:
//! `image-transform --payload '{"width":1024,"watermark":{"text":"{user_name}"}}'
//! --principal arn:aws:iam::123456789012:user/alice < in.jpg > out.jpg`.

fn main() {
    object_lambda::run(image_transform::function::ImageTransform);
}
