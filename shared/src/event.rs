//! Reading the Object Lambda event.
//!
//! The event is parsed with `aws_lambda_events` (payload kept as a `String`, because AWS sends the
//! access point's payload as opaque text). That crate requires identity fields that AWS omits for
//! some callers (`arn`, `accessKeyId`, `principalId` for anonymous or service principals), so we
//! fill absent ones with empty strings first, and read `userName`, which it does not model, from
//! the raw JSON. Parsing never panics: a bad event is an `Err`.

use aws_lambda_events::s3::object_lambda::S3ObjectLambdaEvent;
use http::HeaderMap;
use serde_json::Value;

/// What S3 asked the function to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// GetObject: transform the object and answer with `WriteGetObjectResponse`.
    Get {
        /// Host prefix for `WriteGetObjectResponse`.
        output_route: String,
        /// Single-use token for `WriteGetObjectResponse`.
        output_token: String,
    },
    /// HeadObject: answer with a JSON return value.
    Head,
    /// ListObjects (V1): answer with a JSON return value.
    List,
    /// ListObjectsV2: answer with a JSON return value.
    ListV2,
}

/// Who made the original request (from `userIdentity`). Absent fields are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerIdentity {
    /// `type`, e.g. `IAMUser` or `AssumedRole`.
    pub kind: String,
    /// `principalId`.
    pub principal_id: String,
    /// `arn`.
    pub arn: String,
    /// `accountId`.
    pub account_id: String,
    /// `accessKeyId`.
    pub access_key_id: String,
    /// `userName`, when AWS sends it (IAM users).
    pub user_name: Option<String>,
}

/// A parsed Object Lambda event: everything the runtime needs, without Lambda types.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `xAmzRequestId`, for logs.
    pub request_id: String,
    /// The operation and its context.
    pub operation: Operation,
    /// Presigned URL of the original on the supporting access point.
    pub input_s3_url: String,
    /// `userRequest.url`: the caller's original URL (no auth parameters).
    pub user_url: String,
    /// `userRequest.headers`, names lower-cased.
    pub user_headers: HeaderMap,
    /// `userIdentity`.
    pub identity: CallerIdentity,
    /// `configuration.accessPointArn`.
    pub access_point_arn: String,
    /// `configuration.supportingAccessPointArn`.
    pub supporting_access_point_arn: String,
    /// `configuration.payload`: the access point's opaque payload text ("" when absent).
    pub payload: String,
    /// `protocolVersion`.
    pub protocol_version: String,
}

/// Why an event could not be read. Without a readable event there is no route to answer on, so
/// this is the one failure that is returned to Lambda instead of sent by WGOR.
#[derive(Debug, thiserror::Error)]
#[error("unreadable S3 Object Lambda event: {0}")]
pub struct EventError(String);

impl Invocation {
    /// Parse a raw event.
    pub fn from_value(mut raw: Value) -> Result<Self, EventError> {
        let user_name = raw
            .pointer("/userIdentity/userName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        fill_optional_fields(&mut raw);
        let event: S3ObjectLambdaEvent<String> =
            serde_json::from_value(raw).map_err(|e| EventError(e.to_string()))?;

        let (operation, input_s3_url) = if let Some(ctx) = event.get_object_context {
            (
                Operation::Get {
                    output_route: ctx.output_route,
                    output_token: ctx.output_token,
                },
                ctx.input_s3_url,
            )
        } else if let Some(ctx) = event.head_object_context {
            (Operation::Head, ctx.input_s3_url)
        } else if let Some(ctx) = event.list_objects_v2_context {
            (Operation::ListV2, ctx.input_s3_url)
        } else if let Some(ctx) = event.list_objects_context {
            (Operation::List, ctx.input_s3_url)
        } else {
            return Err(EventError(
                "no getObjectContext, headObjectContext, listObjectsContext or listObjectsV2Context"
                    .into(),
            ));
        };
        let identity = event.user_identity;
        Ok(Self {
            request_id: event.x_amz_request_id,
            operation,
            input_s3_url,
            user_url: event.user_request.url,
            user_headers: event.user_request.headers,
            identity: CallerIdentity {
                kind: identity.r#type,
                principal_id: identity.principal_id,
                arn: identity.arn,
                account_id: identity.account_id,
                access_key_id: identity.access_key_id,
                user_name,
            },
            access_point_arn: event.configuration.access_point_arn,
            supporting_access_point_arn: event.configuration.supporting_access_point_arn,
            payload: event.configuration.payload,
            protocol_version: event.protocol_version,
        })
    }

    /// The object key, decoded from `userRequest.url` (empty for LIST).
    pub fn key(&self) -> String {
        let Ok(url) = url::Url::parse(&self.user_url) else {
            return String::new();
        };
        let path = url.path().trim_start_matches('/');
        // Virtual-hosted URLs (AWS) carry only the key; path-style URLs (local endpoints) start
        // with the access point name, which is the last segment of the access point ARN.
        let ap_name = self.access_point_arn.rsplit('/').next().unwrap_or_default();
        let path = match path.split_once('/') {
            Some((first, rest))
                if !ap_name.is_empty() && is_access_point_segment(first, ap_name) =>
            {
                rest
            }
            _ => path,
        };
        percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// Query parameters of `userRequest.url`, decoded, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        url::Url::parse(&self.user_url)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default()
    }
}

/// Path-style local URLs use the access point name or an alias that starts with it.
fn is_access_point_segment(segment: &str, ap_name: &str) -> bool {
    segment == ap_name || segment.starts_with(&format!("{ap_name}-"))
}

/// Give the fields AWS may omit the empty value `aws_lambda_events` insists on.
fn fill_optional_fields(raw: &mut Value) {
    let Some(obj) = raw.as_object_mut() else {
        return;
    };
    let identity = obj
        .entry("userIdentity")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(identity) = identity.as_object_mut() {
        for field in ["type", "principalId", "arn", "accountId", "accessKeyId"] {
            if identity.get(field).is_none_or(Value::is_null) {
                identity.insert(field.into(), Value::String(String::new()));
            }
        }
    }
    for field in ["xAmzRequestId", "protocolVersion"] {
        if obj.get(field).is_none_or(Value::is_null) {
            obj.insert(field.into(), Value::String(String::new()));
        }
    }
    if let Some(config) = obj.get_mut("configuration").and_then(Value::as_object_mut) {
        for field in ["accessPointArn", "supportingAccessPointArn", "payload"] {
            if config.get(field).is_none_or(Value::is_null) {
                config.insert(field.into(), Value::String(String::new()));
            }
        }
    }
    let request = obj
        .entry("userRequest")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(request) = request.as_object_mut()
        && request.get("url").is_none_or(Value::is_null)
    {
        request.insert("url".into(), Value::String(String::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get_event() -> Value {
        json!({
            "xAmzRequestId": "req-1",
            "getObjectContext": {"inputS3Url": "https://ap.example/k?X-Amz-SignedHeaders=host", "outputRoute": "io-1", "outputToken": "tok"},
            "configuration": {"accessPointArn": "arn:aws:s3-object-lambda:us-east-1:1:accesspoint/olap", "supportingAccessPointArn": "arn:aws:s3:us-east-1:1:accesspoint/ap", "payload": "{\"a\":1}"},
            "userRequest": {"url": "https://olap-1.s3-object-lambda.us-east-1.amazonaws.com/dir/my%20file.txt?partNumber=2", "headers": {"Host": "h", "Range": "bytes=0-1"}},
            "userIdentity": {"type": "IAMUser", "principalId": "p", "arn": "arn:aws:iam::1:user/u", "accountId": "1", "accessKeyId": "AK", "userName": "u"},
            "protocolVersion": "1.00"
        })
    }

    #[test]
    fn parses_get_event() {
        let inv = Invocation::from_value(get_event()).unwrap();
        assert_eq!(
            inv.operation,
            Operation::Get {
                output_route: "io-1".into(),
                output_token: "tok".into()
            }
        );
        assert_eq!(inv.payload, "{\"a\":1}");
        assert_eq!(inv.identity.user_name.as_deref(), Some("u"));
        assert_eq!(inv.key(), "dir/my file.txt");
        assert_eq!(inv.query(), vec![("partNumber".into(), "2".into())]);
        // Header names are case-insensitive.
        assert_eq!(inv.user_headers.get("range").unwrap(), "bytes=0-1");
    }

    #[test]
    fn path_style_url_strips_access_point_name() {
        let mut ev = get_event();
        ev["userRequest"]["url"] = json!("http://127.0.0.1:9000/olap/a/b.csv");
        assert_eq!(Invocation::from_value(ev).unwrap().key(), "a/b.csv");
    }

    #[test]
    fn tolerates_missing_identity_fields_and_payload() {
        let mut ev = get_event();
        ev["userIdentity"] = json!({"type": "AWSAccount", "accountId": "1"});
        ev["configuration"]
            .as_object_mut()
            .unwrap()
            .remove("payload");
        let inv = Invocation::from_value(ev).unwrap();
        assert_eq!(inv.identity.arn, "");
        assert_eq!(inv.identity.user_name, None);
        assert_eq!(inv.payload, "");
    }

    #[test]
    fn dispatches_every_context() {
        for (ctx, op) in [
            ("headObjectContext", Operation::Head),
            ("listObjectsContext", Operation::List),
            ("listObjectsV2Context", Operation::ListV2),
        ] {
            let mut ev = get_event();
            let obj = ev.as_object_mut().unwrap();
            obj.remove("getObjectContext");
            obj.insert(ctx.into(), json!({"inputS3Url": "https://x/"}));
            assert_eq!(Invocation::from_value(ev).unwrap().operation, op);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for ev in [
            json!(null),
            json!([]),
            json!({}),
            json!({"getObjectContext": 5}),
        ] {
            assert!(Invocation::from_value(ev).is_err());
        }
    }
}
