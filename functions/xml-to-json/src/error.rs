//! Error type of the converter and its classification for the S3 mapping.

/// Everything that can go wrong while converting.
///
/// Messages never quote the document: they name the rule that failed and where (line and
/// column, 1-based, counted in characters of the decoded text).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not well-formed XML (or is truncated).
    #[error("malformed XML at line {line}, column {column}: {message}")]
    Malformed {
        /// 1-based line of the problem.
        line: u64,
        /// 1-based column (characters) of the problem.
        column: u64,
        /// What is wrong, without document content.
        message: &'static str,
    },
    /// The document declares entities in its DOCTYPE (billion laughs, XXE, ...).
    #[error("entity declarations are not allowed (DOCTYPE at line {line}, column {column})")]
    EntitiesForbidden {
        /// 1-based line of the DOCTYPE.
        line: u64,
        /// 1-based column of the DOCTYPE.
        column: u64,
    },
    /// The document declares a character encoding that is not supported.
    #[error("unsupported character encoding: {0}")]
    UnsupportedEncoding(String),
    /// A configured limit was exceeded.
    #[error("limit `{limit}` ({max}) exceeded at line {line}, column {column}")]
    LimitExceeded {
        /// Name of the payload key holding the limit.
        limit: &'static str,
        /// The configured value.
        max: u64,
        /// 1-based line where the limit was crossed (0 if not tied to a position).
        line: u64,
        /// 1-based column where the limit was crossed (0 if not tied to a position).
        column: u64,
    },
    /// The payload (configuration) is invalid; `key` names the offending payload key.
    #[error("invalid payload key `{key}`: {message}")]
    InvalidConfig {
        /// Payload key at fault.
        key: &'static str,
        /// Why it is rejected.
        message: String,
    },
    /// The converter was used after it failed or finished (a bug in the caller).
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Coarse classification of [`Error`], one variant per S3 error code the runtime returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400 `InvalidObjectContent`: malformed XML, forbidden entities.
    InvalidContent,
    /// 400 `UnsupportedContentType`: an encoding we cannot decode.
    UnsupportedContentType,
    /// 400 `EntityTooLarge`: a configured limit was exceeded.
    TooLarge,
    /// 400 `InvalidPayload`: bad configuration.
    InvalidPayload,
    /// 500 `InternalError`.
    Internal,
}

impl Error {
    /// Which S3 error this maps to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed { .. } | Error::EntitiesForbidden { .. } => ErrorKind::InvalidContent,
            Error::UnsupportedEncoding(_) => ErrorKind::UnsupportedContentType,
            Error::LimitExceeded { .. } => ErrorKind::TooLarge,
            Error::InvalidConfig { .. } => ErrorKind::InvalidPayload,
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

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
