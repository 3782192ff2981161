//! Building the Lambda event for a request through an Object Lambda Access Point, as AWS
//! does (`shared/PROTOCOL.md` §1).

use std::time::Duration;

use http::HeaderMap;
use serde_json::{Value, json};

use crate::backend::InputRequest;
use crate::config::{Action, Config, Credential, OlapConfig, REGION};

/// Query parameters that carry SigV4 query authentication (never shown to the function).
pub(crate) fn is_auth_param(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "x-amz-algorithm"
            | "x-amz-credential"
            | "x-amz-date"
            | "x-amz-expires"
            | "x-amz-signedheaders"
            | "x-amz-signature"
            | "x-amz-security-token"
    )
}

/// Headers that carry authentication (left out of `userRequest.headers`).
fn is_auth_header(name: &str) -> bool {
    matches!(
        name,
        "authorization" | "x-amz-date" | "x-amz-security-token" | "x-amz-content-sha256"
    )
}

/// Decoded query pairs of a URI, auth parameters removed.
pub(crate) fn query_pairs(uri: &http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .filter(|(k, _)| !is_auth_param(k))
                .collect()
        })
        .unwrap_or_default()
}

/// `Accept-Encoding` style: the case the emulator reports header names in. hyper lower-cases
/// names on receipt, so the original case is not available; AWS's examples use this form.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `userRequest.headers`: auth headers removed, repeated headers comma-joined.
fn user_headers(headers: &HeaderMap) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for name in headers.keys() {
        if is_auth_header(name.as_str()) {
            continue;
        }
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        out.insert(title_case(name.as_str()), Value::String(joined));
    }
    out
}

/// A fresh id of `len` characters from `[A-Za-z0-9]`-safe uuid hex.
pub(crate) fn random_id(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(len);
    s
}

/// Inputs of one event.
pub(crate) struct EventInput<'a> {
    pub(crate) config: &'a Config,
    pub(crate) olap: &'a OlapConfig,
    pub(crate) bucket: &'a str,
    pub(crate) action: Action,
    /// Decoded object key (empty for LIST).
    pub(crate) key: &'a str,
    pub(crate) caller: &'a Credential,
    pub(crate) uri: &'a http::Uri,
    pub(crate) headers: &'a HeaderMap,
    /// `http://127.0.0.1:PORT`
    pub(crate) endpoint: &'a str,
    pub(crate) request_id: &'a str,
    /// `(outputRoute, outputToken)` for GET.
    pub(crate) output: Option<(&'a str, &'a str)>,
}

/// What the function's `inputS3Url` asks the supporting bucket for; the backend presigns it.
pub(crate) fn input_request<'a>(inp: &EventInput<'a>) -> InputRequest<'a> {
    let query = query_pairs(inp.uri);
    let kept = match inp.action {
        Action::ListObjects | Action::ListObjectsV2 => query,
        // Never Range or partNumber; versionId identifies the object.
        Action::GetObject | Action::HeadObject => query
            .into_iter()
            .filter(|(k, _)| k == "versionId")
            .collect(),
    };
    let mut signed: Vec<(&str, &str)> = Vec::new();
    let mut names = vec!["x-amz-request-payer", "x-amz-expected-bucket-owner"];
    if inp.action == Action::GetObject || inp.action == Action::HeadObject {
        names.push("x-amz-checksum-mode");
    }
    for name in names {
        if let Some(v) = inp.headers.get(name).and_then(|v| v.to_str().ok()) {
            signed.push((name, v));
        }
    }
    InputRequest {
        action: inp.action,
        bucket: inp.bucket,
        key: match inp.action {
            Action::ListObjects | Action::ListObjectsV2 => "",
            Action::GetObject | Action::HeadObject => inp.key,
        },
        query: kept,
        headers: signed,
        caller: inp.caller,
        expires: Duration::from_secs(inp.config.presign_expiry_secs),
    }
}

/// The decoded original URL without auth query parameters.
fn user_url(inp: &EventInput<'_>) -> String {
    let host = inp
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| inp.endpoint.trim_start_matches("http://"));
    let path = percent_encoding::percent_decode_str(inp.uri.path()).decode_utf8_lossy();
    let query = query_pairs(inp.uri)
        .into_iter()
        .map(|(k, v)| if v.is_empty() { k } else { format!("{k}={v}") })
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() {
        format!("http://{host}{path}")
    } else {
        format!("http://{host}{path}?{query}")
    }
}

/// Builds the event JSON.
pub(crate) fn build(inp: &EventInput<'_>, input_s3_url: &str) -> Value {
    let url = input_s3_url;
    let (context_name, context) = match (inp.action, inp.output) {
        (Action::GetObject, Some((route, token))) => (
            "getObjectContext",
            json!({"inputS3Url": url, "outputRoute": route, "outputToken": token}),
        ),
        (Action::GetObject | Action::HeadObject, _) => {
            ("headObjectContext", json!({"inputS3Url": url}))
        }
        (Action::ListObjects, _) => ("listObjectsContext", json!({"inputS3Url": url})),
        (Action::ListObjectsV2, _) => ("listObjectsV2Context", json!({"inputS3Url": url})),
    };
    let acct = &inp.config.account_id;
    let c = inp.caller;
    let mut event = json!({
        "xAmzRequestId": inp.request_id,
        "configuration": {
            "accessPointArn": format!("arn:aws:s3-object-lambda:{REGION}:{acct}:accesspoint/{}", inp.olap.name),
            "supportingAccessPointArn": format!("arn:aws:s3:{REGION}:{acct}:accesspoint/{}", inp.olap.supporting_access_point),
            "payload": inp.olap.payload,
        },
        "userRequest": {"url": user_url(inp), "headers": user_headers(inp.headers)},
        "userIdentity": {
            "type": "IAMUser",
            "principalId": c.principal_id(),
            "arn": c.arn(),
            "accountId": c.account_id,
            "accessKeyId": c.access_key_id,
            "userName": c.user_name,
        },
        "protocolVersion": "1.00",
    });
    if let Some(obj) = event.as_object_mut() {
        obj.insert(context_name.to_owned(), context);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_event_has_aws_shape() {
        let config = Config::default_for(&["passthrough"]);
        let olap = config.olap("passthrough").unwrap();
        let uri: http::Uri = "/passthrough/dir/a%20b.csv?partNumber=1&X-Amz-Signature=abc"
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("host", "127.0.0.1:9000".parse().unwrap());
        headers.insert("range", "bytes=0-1".parse().unwrap());
        headers.insert("authorization", "secret".parse().unwrap());
        headers.insert("x-amz-checksum-mode", "ENABLED".parse().unwrap());
        headers.append("x-custom", "a".parse().unwrap());
        headers.append("x-custom", "b".parse().unwrap());
        let inp = EventInput {
            config: &config,
            olap,
            bucket: "demo",
            action: Action::GetObject,
            key: "dir/a b.csv",
            caller: &config.credentials[0],
            uri: &uri,
            headers: &headers,
            endpoint: "http://127.0.0.1:9000",
            request_id: "RID",
            output: Some(("io-route", "tok")),
        };
        let url =
            crate::backend::presign_with_caller("http://127.0.0.1:9000", &input_request(&inp));
        let ev = build(&inp, &url);
        let g = &ev["getObjectContext"];
        let url = g["inputS3Url"].as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9000/demo/dir/a%20b.csv?"),
            "{url}"
        );
        assert!(
            url.contains("X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=300"));
        assert!(!url.contains("partNumber"));
        assert_eq!(g["outputRoute"], "io-route");
        assert_eq!(
            ev["userRequest"]["url"],
            "http://127.0.0.1:9000/passthrough/dir/a b.csv?partNumber=1"
        );
        let h = &ev["userRequest"]["headers"];
        assert_eq!(h["Range"], "bytes=0-1");
        assert_eq!(h["X-Custom"], "a,b");
        assert!(h.get("Authorization").is_none());
        assert_eq!(ev["userIdentity"]["type"], "IAMUser");
        assert_eq!(
            ev["configuration"]["accessPointArn"],
            "arn:aws:s3-object-lambda:us-east-1:111122223333:accesspoint/passthrough"
        );
        assert_eq!(
            ev["configuration"]["supportingAccessPointArn"],
            "arn:aws:s3:us-east-1:111122223333:accesspoint/demo-ap"
        );
        assert_eq!(ev["protocolVersion"], "1.00");
    }

    #[test]
    fn title_cases_names() {
        assert_eq!(title_case("accept-encoding"), "Accept-Encoding");
        assert_eq!(title_case("x-amz-meta-a"), "X-Amz-Meta-A");
    }
}
