//! LIST return values (`shared/PROTOCOL.md` §2): `listResultXml` is relayed as is; `listBucketResult`
//! is type-checked and serialised to S3's `ListBucketResult` XML.

use std::fmt::Write as _;

use s3s::{Body, S3Response, S3Result};
use serde_json::{Map, Value};

use crate::errors::{self, error_of, status_of};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Writes `<Tag>value</Tag>` for a JSON field; `required` fields must be present.
fn field(
    out: &mut String,
    obj: &Map<String, Value>,
    key: &str,
    tag: &str,
    required: bool,
) -> Result<(), String> {
    match obj.get(key) {
        None | Some(Value::Null) if required => {
            Err(format!("listBucketResult: `{key}` is required"))
        }
        None | Some(Value::Null) => Ok(()),
        Some(v) => {
            let text =
                scalar(v).ok_or_else(|| format!("listBucketResult: `{key}` must be a scalar"))?;
            let _ = write!(out, "<{tag}>{}</{tag}>", escape(&text));
            Ok(())
        }
    }
}

fn number(obj: &Map<String, Value>, key: &str) -> Result<(), String> {
    match obj.get(key) {
        Some(Value::Number(_)) | None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(()),
        _ => Err(format!("listBucketResult: `{key}` must be a number")),
    }
}

fn objects<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_object()
                    .ok_or_else(|| format!("listBucketResult: `{key}` entries must be objects"))
            })
            .collect(),
        Some(_) => Err(format!("listBucketResult: `{key}` must be an array")),
    }
}

/// Serialises a `listBucketResult` object (V1 or V2).
pub(crate) fn list_bucket_result_xml(r: &Value, v2: bool) -> Result<String, String> {
    let r = r.as_object().ok_or("listBucketResult must be an object")?;
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    field(&mut x, r, "name", "Name", true)?;
    field(&mut x, r, "prefix", "Prefix", false)?;
    if v2 {
        field(&mut x, r, "startAfter", "StartAfter", false)?;
        field(&mut x, r, "continuationToken", "ContinuationToken", false)?;
        field(
            &mut x,
            r,
            "nextContinuationToken",
            "NextContinuationToken",
            false,
        )?;
        number(r, "keyCount")?;
        field(&mut x, r, "keyCount", "KeyCount", true)?;
    } else {
        field(&mut x, r, "marker", "Marker", false)?;
        field(&mut x, r, "nextMarker", "NextMarker", false)?;
    }
    number(r, "maxKeys")?;
    field(&mut x, r, "maxKeys", "MaxKeys", true)?;
    field(&mut x, r, "delimiter", "Delimiter", false)?;
    field(&mut x, r, "encodingType", "EncodingType", false)?;
    match r.get("isTruncated") {
        Some(Value::Bool(_)) => field(&mut x, r, "isTruncated", "IsTruncated", true)?,
        _ => return Err("listBucketResult: `isTruncated` (boolean) is required".to_owned()),
    }
    for c in objects(r, "contents")? {
        x.push_str("<Contents>");
        field(&mut x, c, "key", "Key", true)?;
        field(&mut x, c, "lastModified", "LastModified", false)?;
        field(&mut x, c, "eTag", "ETag", false)?;
        if let Some(alg) = c.get("checksumAlgorithm").and_then(Value::as_str) {
            if !["CRC32", "CRC32C", "SHA1", "SHA256"].contains(&alg) {
                return Err(format!(
                    "listBucketResult: unknown checksumAlgorithm `{alg}`"
                ));
            }
            let _ = write!(x, "<ChecksumAlgorithm>{alg}</ChecksumAlgorithm>");
        }
        number(c, "size")?;
        field(&mut x, c, "size", "Size", true)?;
        if let Some(o) = c.get("owner").filter(|o| !o.is_null()) {
            let o = o
                .as_object()
                .ok_or("listBucketResult: `owner` must be an object")?;
            x.push_str("<Owner>");
            field(&mut x, o, "displayName", "DisplayName", true)?;
            field(&mut x, o, "id", "ID", true)?;
            x.push_str("</Owner>");
        }
        field(&mut x, c, "storageClass", "StorageClass", false)?;
        x.push_str("</Contents>");
    }
    for p in objects(r, "commonPrefixes")? {
        x.push_str("<CommonPrefixes>");
        field(&mut x, p, "prefix", "Prefix", true)?;
        x.push_str("</CommonPrefixes>");
    }
    x.push_str("</ListBucketResult>");
    Ok(x)
}

/// Answers a LIST from the function's return value.
pub(crate) fn respond_list(v: &Value, v2: bool) -> S3Result<S3Response<Body>> {
    let status = status_of(v)?;
    let xml = v.get("listResultXml").filter(|x| !x.is_null());
    let typed = v.get("listBucketResult").filter(|x| !x.is_null());
    let body = match (xml, typed) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_response(
                "listResultXml and listBucketResult are mutually exclusive",
            ));
        }
        (Some(x), None) => x
            .as_str()
            .ok_or_else(|| errors::invalid_response("listResultXml must be a string"))?
            .to_owned(),
        (None, Some(r)) => {
            list_bucket_result_xml(r, v2).map_err(|e| errors::invalid_response(&e))?
        }
        (None, None) => {
            if let Some(e) = error_of(v, status) {
                return Err(e);
            }
            return Err(errors::invalid_response(
                "listResultXml or listBucketResult is required",
            ));
        }
    };
    let mut resp = S3Response::new(Body::from(body));
    resp.status = Some(status);
    resp.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_v2() {
        let r = json!({"name": "b", "keyCount": 1, "maxKeys": 1000, "isTruncated": false,
            "contents": [{"key": "a&b", "size": 3, "eTag": "\"e\"", "owner": {"displayName": "d", "id": "i"}}],
            "commonPrefixes": [{"prefix": "p/"}]});
        let x = list_bucket_result_xml(&r, true).unwrap();
        assert!(x.contains("<Name>b</Name>"));
        assert!(x.contains("<KeyCount>1</KeyCount>"));
        assert!(x.contains("<Key>a&amp;b</Key>"));
        assert!(x.contains("<Owner><DisplayName>d</DisplayName><ID>i</ID></Owner>"));
        assert!(x.contains("<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>"));
    }

    #[test]
    fn rejects_missing_required_fields() {
        assert!(
            list_bucket_result_xml(
                &json!({"name": "b", "maxKeys": 1, "isTruncated": false}),
                true
            )
            .is_err()
        );
        assert!(
            list_bucket_result_xml(
                &json!({"name": "b", "maxKeys": 1, "isTruncated": false}),
                false
            )
            .is_ok()
        );
        assert!(
            list_bucket_result_xml(
                &json!({"name": "b", "maxKeys": "x", "isTruncated": false}),
                false
            )
            .is_err()
        );
        let no_size =
            json!({"name": "b", "maxKeys": 1, "isTruncated": false, "contents": [{"key": "k"}]});
        assert!(list_bucket_result_xml(&no_size, false).is_err());
    }

    #[test]
    fn both_shapes_are_refused() {
        let v = json!({"statusCode": 200, "listResultXml": "<x/>", "listBucketResult": {}});
        assert!(respond_list(&v, true).is_err());
        let ok = respond_list(&json!({"statusCode": 200, "listResultXml": "<x/>"}), true).unwrap();
        assert_eq!(ok.status, Some(http::StatusCode::OK));
    }
}
