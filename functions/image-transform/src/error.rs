//! The error type of the transform and its S3 classification.

use thiserror::Error;

/// How the runtime should answer an [`Error`](enum@Error) (maps 1:1 onto S3 `ErrorCode`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400 `InvalidObjectContent`: the object is not a well-formed image.
    InvalidObjectContent,
    /// 400 `UnsupportedContentType`: not an image format this function reads.
    UnsupportedContentType,
    /// 400 `EntityTooLarge`: over `max_input_bytes` or `max_input_pixels`.
    EntityTooLarge,
    /// 400 `InvalidPayload`: bad access-point configuration or request override.
    InvalidPayload,
    /// 500 `InternalError`: a bug.
    InternalError,
}

/// Everything that can go wrong in [`crate::transform`] and [`crate::probe`].
///
/// Messages are generic: they never contain object content.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The object could not be decoded (truncated, corrupt, inconsistent header).
    #[error("invalid image: {0}")]
    InvalidContent(String),
    /// The object is not in a supported image format.
    #[error("unsupported image format: {0}")]
    Unsupported(String),
    /// The object is over a configured limit.
    #[error("image too large: {0}")]
    TooLarge(String),
    /// A payload key (or request override) has a bad value.
    #[error("invalid payload key `{key}`: {message}")]
    InvalidPayload {
        /// The payload key, dotted for nested keys (`watermark.opacity`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A bug: an invariant did not hold.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The S3-facing classification of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidContent(_) => ErrorKind::InvalidObjectContent,
            Self::Unsupported(_) => ErrorKind::UnsupportedContentType,
            Self::TooLarge(_) => ErrorKind::EntityTooLarge,
            Self::InvalidPayload { .. } => ErrorKind::InvalidPayload,
            Self::Internal(_) => ErrorKind::InternalError,
        }
    }

    pub(crate) fn payload(key: &str, message: impl Into<String>) -> Self {
        Self::InvalidPayload {
            key: key.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidContent(message.into())
    }

    pub(crate) fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }
}
