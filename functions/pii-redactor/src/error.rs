//! The redactor's errors; each variant maps to one S3 error code.

/// How the runtime should report an [`Error`] to the S3 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400 `InvalidPayload`: the access-point payload is wrong (the message names the key).
    InvalidPayload,
    /// 400 `UnsupportedContentType`: the object is not UTF-8 text and `unsupported_content` is `fail`.
    UnsupportedContentType,
    /// 403 `AccessDenied`: `mode` is `deny` and the object holds a requested entity type.
    AccessDenied,
    /// 500 `InternalError`: a bug (e.g. a built-in pattern failed to compile).
    Internal,
}

/// Everything that can go wrong while configuring or running the redactor.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A payload key has a bad value.
    #[error("invalid value for payload key `{key}`: {message}")]
    InvalidConfig {
        /// The payload key, e.g. `mask_character`.
        key: &'static str,
        /// What is wrong, without echoing object content.
        message: String,
    },
    /// The object is not valid UTF-8 and cannot be redacted as text.
    #[error("object is not UTF-8 text (invalid byte sequence at offset {offset}); {hint}")]
    NotText {
        /// Byte offset of the first invalid sequence.
        offset: u64,
        /// What the client can do about it.
        hint: &'static str,
    },
    /// Deny mode found a requested entity type.
    #[error("Document Contains PII ({entity})")]
    ContainsPii {
        /// The first entity type found (the value itself is never reported).
        entity: String,
    },
    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The S3-facing classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidConfig { .. } => ErrorKind::InvalidPayload,
            Error::NotText { .. } => ErrorKind::UnsupportedContentType,
            Error::ContainsPii { .. } => ErrorKind::AccessDenied,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The payload key at fault, for [`ErrorKind::InvalidPayload`].
    pub fn payload_key(&self) -> Option<&'static str> {
        match self {
            Error::InvalidConfig { key, .. } => Some(key),
            _ => None,
        }
    }
}
