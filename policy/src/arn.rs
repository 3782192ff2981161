//! The ARNs S3 evaluates policies against, built the one way policies expect them.

/// `arn:aws:s3:::BUCKET`: the bucket (ListBucket, bucket-level actions).
#[must_use]
pub fn bucket(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::BUCKET/KEY`: an object reached directly or, for the bucket policy, through an
/// access point.
#[must_use]
pub fn object(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`: an access point (its ListBucket).
#[must_use]
pub fn access_point(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:s3:{region}:{account}:accesspoint/{name}")
}

/// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`: an object through an access point.
#[must_use]
pub fn access_point_object(region: &str, account: &str, name: &str, key: &str) -> String {
    format!("arn:aws:s3:{region}:{account}:accesspoint/{name}/object/{key}")
}

/// `arn:aws:s3-object-lambda:REGION:ACCOUNT:accesspoint/NAME`: an Object Lambda Access Point.
#[must_use]
pub fn object_lambda_access_point(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:s3-object-lambda:{region}:{account}:accesspoint/{name}")
}
