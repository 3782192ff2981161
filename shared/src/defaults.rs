//! Default answers for HeadObject and ListObjects(V2): relay the supporting access point's answer
//! in the JSON shapes S3 Object Lambda expects from the function's return value.

use http::Method;
use serde_json::{Map, Value, json};

use crate::error::TransformError;
use crate::event::Invocation;
use crate::fetch::{Fetcher, default_code, read_text, upstream_error};
use crate::range::Selection;

/// Response headers a HEAD answer may carry (wire names; `x-amz-meta-*` too).
const HEAD_HEADERS: [&str; 22] = [
    "accept-ranges",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-type",
    "etag",
    "expires",
    "last-modified",
    "x-amz-archive-status",
    "x-amz-delete-marker",
    "x-amz-expiration",
    "x-amz-missing-meta",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-legal-hold",
    "x-amz-object-lock-retain-until-date",
    "x-amz-replication-status",
    "x-amz-restore",
    "x-amz-server-side-encryption",
    "x-amz-storage-class",
    "x-amz-tagging-count",
    "x-amz-version-id",
];

/// The largest JSON return value Lambda accepts synchronously.
const MAX_LIST_BYTES: usize = 6 * 1000 * 1000 - 64 * 1024;

/// The JSON answer for a failed HEAD/LIST.
pub(crate) fn error_value(e: &TransformError) -> Value {
    json!({"statusCode": e.status(), "errorCode": e.code(), "errorMessage": e.message()})
}

/// HeadObject: the original's metadata, with Range/partNumber applied to Content-Length.
pub(crate) async fn head(fetcher: &Fetcher, inv: &Invocation) -> Value {
    let range_header = inv.user_headers.get("range").and_then(|v| v.to_str().ok());
    let selection = match Selection::from_request(range_header, &inv.query()) {
        Ok(s) => s,
        Err(e) => return error_value(&e),
    };
    let resp = match fetcher
        .send(Method::HEAD, &inv.input_s3_url, &inv.user_headers)
        .await
    {
        Ok(r) => r,
        Err(e) => return error_value(&e),
    };
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        // A HEAD answer has no body, so the code comes from the status.
        return json!({"statusCode": status, "errorCode": default_code(status), "errorMessage": format!("Received {status} from the supporting access point")});
    }
    let mut headers = Map::new();
    for (name, value) in resp.headers() {
        let name = name.as_str();
        if (HEAD_HEADERS.contains(&name)
            || name.starts_with("x-amz-meta-")
            || name.starts_with("x-amz-server-side-encryption"))
            && let Ok(v) = value.to_str()
        {
            headers.insert(name.to_owned(), Value::String(v.to_owned()));
        }
    }
    // Not `resp.content_length()`: for HEAD that is the (empty) body's length.
    let total = resp
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let resolved = match selection.resolve(total) {
        Ok(r) => r,
        Err(e) => return error_value(&e),
    };
    headers.insert("Content-Length".into(), json!(resolved.len));
    if let Some(parts) = resolved.parts_count {
        headers.insert("x-amz-mp-parts-count".into(), json!(parts.to_string()));
    }
    json!({"statusCode": if resolved.partial { 206 } else { 200 }, "headers": headers})
}

/// ListObjects / ListObjectsV2: the supporting access point's XML, forwarded.
pub(crate) async fn list(fetcher: &Fetcher, inv: &Invocation) -> Value {
    let resp = match fetcher
        .send(Method::GET, &inv.input_s3_url, &inv.user_headers)
        .await
    {
        Ok(r) => r,
        Err(e) => return error_value(&e),
    };
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return error_value(&upstream_error(resp).await);
    }
    match read_text(resp, MAX_LIST_BYTES).await {
        Ok(xml) => json!({"statusCode": status, "listResultXml": xml}),
        Err(e) => error_value(&e),
    }
}
