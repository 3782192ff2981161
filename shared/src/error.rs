//! The one error table: every failure after the event is parsed maps to an HTTP status and an S3
//! error code here, and nowhere else.
//!
//! The caller of an Object Lambda Access Point sees these as ordinary S3 XML errors, because the
//! runtime hands status + code + message to `WriteGetObjectResponse`. Deterministic failures are
//! 4xx so that SDKs do not retry them; only transient trouble is 5xx.

use std::fmt;

/// What went wrong, in terms a caller of S3 understands.
///
/// Each kind has exactly one row in [`ErrorKind::status`] / [`ErrorKind::code`]; the upstream
/// variants carry the status and code that S3 itself returned for the original object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object cannot be parsed or decoded by the transform.
    InvalidObjectContent,
    /// The transform does not handle this kind of object.
    UnsupportedContentType,
    /// The object (or the transformed output) is over a configured limit.
    EntityTooLarge,
    /// The transform refuses to release the object (e.g. it contains PII in deny mode).
    AccessDenied,
    /// The access point's payload is not valid for this function; the message names the key.
    InvalidPayload,
    /// The request itself is invalid (e.g. Range together with partNumber).
    InvalidRequest,
    /// A malformed request argument (e.g. a non-numeric partNumber).
    InvalidArgument,
    /// The requested range cannot be satisfied by the transformed object.
    InvalidRange,
    /// partNumber is beyond the parts of the transformed object.
    InvalidPart,
    /// The supporting access point answered 304 Not Modified.
    NotModified,
    /// The supporting access point answered with an error status and S3 code; relayed as is.
    Upstream {
        /// HTTP status from the supporting access point.
        status: u16,
        /// S3 error code from the supporting access point's XML.
        code: String,
    },
    /// The supporting access point was unreachable or answered 5xx.
    ServiceUnavailable,
    /// The supporting access point asked us to slow down (503 SlowDown).
    SlowDown,
    /// The work did not finish before the Lambda deadline.
    Timeout,
    /// A bug or an unexpected failure inside the function.
    Internal,
}

impl ErrorKind {
    /// HTTP status sent as `x-amz-fwd-status`.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidObjectContent
            | Self::UnsupportedContentType
            | Self::EntityTooLarge
            | Self::InvalidPayload
            | Self::InvalidRequest
            | Self::InvalidArgument
            | Self::InvalidPart => 400,
            Self::AccessDenied => 403,
            Self::InvalidRange => 416,
            Self::NotModified => 304,
            Self::Upstream { status, .. } => *status,
            Self::ServiceUnavailable | Self::SlowDown | Self::Timeout => 503,
            Self::Internal => 500,
        }
    }

    /// S3 error code sent as `x-amz-fwd-error-code`; always matches `^[A-Z][a-zA-Z]+$`.
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidObjectContent => "InvalidObjectContent",
            Self::UnsupportedContentType => "UnsupportedContentType",
            Self::EntityTooLarge => "EntityTooLarge",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidPayload => "InvalidFunctionPayload",
            Self::InvalidRequest => "InvalidRequest",
            Self::InvalidArgument => "InvalidArgument",
            Self::InvalidRange => "InvalidRange",
            Self::InvalidPart => "InvalidPart",
            Self::NotModified => "NotModified",
            Self::Upstream { code, .. } => code,
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::SlowDown => "SlowDown",
            Self::Timeout => "TransformTimeout",
            Self::Internal => "InternalError",
        }
    }
}

/// A failure with a safe, human-readable message (never object contents, never secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformError {
    kind: ErrorKind,
    message: String,
}

/// The error type of the whole crate: transforms and the runtime share it.
pub type ObjectLambdaError = TransformError;

impl TransformError {
    /// An error of any kind with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    /// The object cannot be parsed or decoded (400 `InvalidObjectContent`).
    pub fn invalid_content(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidObjectContent, message)
    }
    /// The transform does not handle this kind of object (400 `UnsupportedContentType`).
    pub fn unsupported_content_type(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnsupportedContentType, message)
    }
    /// The object is over a configured limit (400 `EntityTooLarge`).
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::EntityTooLarge, message)
    }
    /// The transform refuses to release the object (403 `AccessDenied`).
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AccessDenied, message)
    }
    /// The payload key `key` is invalid (400 `InvalidFunctionPayload`).
    pub fn invalid_payload(key: &str, message: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::InvalidPayload,
            format!("invalid function payload: `{key}`: {message}"),
        )
    }
    /// A bug or unexpected failure (500 `InternalError`).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
    /// HTTP status for the caller.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }
    /// S3 error code for the caller.
    pub fn code(&self) -> &str {
        self.kind.code()
    }
    /// Safe message for the caller.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message)
    }
}

impl std::error::Error for TransformError {}

impl From<std::io::Error> for TransformError {
    fn from(err: std::io::Error) -> Self {
        // A transform's stream error that already is a TransformError travels inside io::Error.
        match err
            .get_ref()
            .and_then(|e| e.downcast_ref::<TransformError>())
        {
            Some(inner) => inner.clone(),
            None => Self::internal(format!("I/O error: {err}")),
        }
    }
}

/// Whether `code` is acceptable to `WriteGetObjectResponse` (`^[A-Z][a-zA-Z]+$`).
pub(crate) fn is_valid_error_code(code: &str) -> bool {
    let mut chars = code.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && code.len() > 1
        && chars.all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_kinds() -> Vec<ErrorKind> {
        vec![
            ErrorKind::InvalidObjectContent,
            ErrorKind::UnsupportedContentType,
            ErrorKind::EntityTooLarge,
            ErrorKind::AccessDenied,
            ErrorKind::InvalidPayload,
            ErrorKind::InvalidRequest,
            ErrorKind::InvalidArgument,
            ErrorKind::InvalidRange,
            ErrorKind::InvalidPart,
            ErrorKind::NotModified,
            ErrorKind::Upstream {
                status: 404,
                code: "NoSuchKey".into(),
            },
            ErrorKind::ServiceUnavailable,
            ErrorKind::SlowDown,
            ErrorKind::Timeout,
            ErrorKind::Internal,
        ]
    }

    #[test]
    fn every_code_is_accepted_by_wgor() {
        for kind in all_kinds() {
            assert!(
                is_valid_error_code(kind.code()),
                "{kind:?} -> {}",
                kind.code()
            );
        }
    }

    #[test]
    fn deterministic_failures_are_client_errors() {
        let table: Vec<(ErrorKind, u16, &str)> = vec![
            (ErrorKind::InvalidObjectContent, 400, "InvalidObjectContent"),
            (
                ErrorKind::UnsupportedContentType,
                400,
                "UnsupportedContentType",
            ),
            (ErrorKind::EntityTooLarge, 400, "EntityTooLarge"),
            (ErrorKind::AccessDenied, 403, "AccessDenied"),
            (ErrorKind::InvalidPayload, 400, "InvalidFunctionPayload"),
            (ErrorKind::InvalidRange, 416, "InvalidRange"),
            (ErrorKind::InvalidPart, 400, "InvalidPart"),
            (ErrorKind::InvalidRequest, 400, "InvalidRequest"),
            (ErrorKind::NotModified, 304, "NotModified"),
            (ErrorKind::ServiceUnavailable, 503, "ServiceUnavailable"),
            (ErrorKind::SlowDown, 503, "SlowDown"),
            (ErrorKind::Timeout, 503, "TransformTimeout"),
            (ErrorKind::Internal, 500, "InternalError"),
        ];
        for (kind, status, code) in table {
            assert_eq!((kind.status(), kind.code()), (status, code));
        }
    }

    #[test]
    fn upstream_errors_are_relayed_verbatim() {
        let e = TransformError::new(
            ErrorKind::Upstream {
                status: 412,
                code: "PreconditionFailed".into(),
            },
            "m",
        );
        assert_eq!((e.status(), e.code()), (412, "PreconditionFailed"));
    }

    #[test]
    fn error_code_validation() {
        assert!(is_valid_error_code("NoSuchKey"));
        for bad in ["", "A", "noSuchKey", "No-Such", "Code1", "Bad Code"] {
            assert!(!is_valid_error_code(bad), "{bad}");
        }
    }

    #[test]
    fn payload_errors_name_the_key() {
        let e = TransformError::invalid_payload("quality", "must be 1..=100");
        assert!(e.message().contains("`quality`"));
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn transform_error_survives_io_error_wrapping() {
        let inner = TransformError::too_large("big");
        let io = std::io::Error::other(inner.clone());
        assert_eq!(TransformError::from(io), inner);
    }
}
