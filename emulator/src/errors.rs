//! S3 Object Lambda error responses (S3 XML `<Error>` bodies via s3s).

use http::StatusCode;
use s3s::{S3Error, S3ErrorCode, S3Result};
use serde_json::Value;

/// An S3 error with any code (including Object Lambda's own) and status.
pub(crate) fn error(status: u16, code: &str, message: impl Into<String>) -> S3Error {
    let code = S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(S3ErrorCode::InternalError);
    let mut e = S3Error::with_message(code, message.into());
    e.set_status_code(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    e
}

pub(crate) fn response_not_received() -> S3Error {
    error(
        500,
        "LambdaResponseNotReceived",
        "The Lambda exited without successfully calling WriteGetObjectResponse.",
    )
}

pub(crate) fn timeout() -> S3Error {
    error(
        500,
        "LambdaTimeout",
        "The Lambda function did not respond in time.",
    )
}

pub(crate) fn runtime_error(detail: &str) -> S3Error {
    error(
        500,
        "LambdaRuntimeError",
        format!("The Lambda function failed: {detail}"),
    )
}

pub(crate) fn invalid_response(detail: &str) -> S3Error {
    error(
        400,
        "LambdaInvalidResponse",
        format!("The Lambda function sent an invalid response: {detail}"),
    )
}

pub(crate) fn validation(detail: impl Into<String>) -> S3Error {
    error(400, "ValidationError", detail)
}

/// `^[A-Z][a-zA-Z]+$`: the only error codes WriteGetObjectResponse accepts.
pub(crate) fn valid_error_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() >= 2 && b[0].is_ascii_uppercase() && b.iter().all(u8::is_ascii_alphabetic)
}

/// The `statusCode` of a HEAD/LIST return value.
pub(crate) fn status_of(v: &Value) -> S3Result<StatusCode> {
    v.get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| invalid_response("statusCode is missing or not a valid HTTP status"))
}

/// An error return value (`errorCode`/`errorMessage`), if the status is an error.
pub(crate) fn error_of(v: &Value, status: StatusCode) -> Option<S3Error> {
    if status.as_u16() < 400 {
        return None;
    }
    let code = v
        .get("errorCode")
        .and_then(Value::as_str)
        .unwrap_or("InternalError");
    let message = v
        .get("errorMessage")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(error(status.as_u16(), code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_regex() {
        assert!(valid_error_code("NoSuchKey"));
        assert!(valid_error_code("Ab"));
        assert!(!valid_error_code("A"));
        assert!(!valid_error_code("noSuchKey"));
        assert!(!valid_error_code("Error404"));
        assert!(!valid_error_code("Bad-Code"));
        assert!(!valid_error_code(""));
    }

    #[test]
    fn custom_codes_keep_status() {
        let e = response_not_received();
        assert_eq!(e.code().as_str(), "LambdaResponseNotReceived");
        assert_eq!(e.status_code(), Some(StatusCode::INTERNAL_SERVER_ERROR));
        assert_eq!(validation("x").status_code(), Some(StatusCode::BAD_REQUEST));
    }
}
