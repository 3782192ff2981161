//! Failures found while handling events ([`Problem`]: no position yet) and how they
//! become the crate's [`Error`] once the caller knows where they are.

use crate::config::Config;
use crate::error::Error;
use crate::ns::NsError;
use crate::position::Position;
use crate::tree::BuildError;
/// A failure inside event handling; the caller adds the position.
#[derive(Clone, Copy)]
pub(crate) enum Problem {
    Malformed(&'static str),
    Limit(&'static str),
    Entities,
    /// The output sink failed.
    Sink,
    /// A bug of ours, reported instead of a panic.
    Internal(&'static str),
}

impl From<BuildError> for Problem {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::InvalidChar => Problem::Malformed("character not allowed in XML"),
            BuildError::TextTooLong => Problem::Limit("max_text_bytes"),
            BuildError::OutputTooLarge => Problem::Limit("max_output_bytes"),
            BuildError::Sink => Problem::Sink,
        }
    }
}

impl From<NsError> for Problem {
    fn from(e: NsError) -> Self {
        Problem::Malformed(match e {
            NsError::UnboundPrefix => "unbound namespace prefix",
            NsError::BadName => "name is not a valid qualified name",
        })
    }
}

/// The error for `limit` (at most `max`) exceeded at `p`.
pub(crate) fn limit_error(limit: &'static str, max: u64, p: Position) -> Error {
    Error::LimitExceeded {
        limit,
        max,
        line: p.line,
        column: p.column,
    }
}

/// The error for `problem` found at `p`, with the configured maximum of a limit.
pub(crate) fn to_error(problem: Problem, p: Position, c: &Config) -> Error {
    match problem {
        Problem::Malformed(message) => Error::Malformed {
            line: p.line,
            column: p.column,
            message,
        },
        Problem::Sink => Error::Internal("output sink failed"),
        Problem::Internal(message) => Error::Internal(message),
        Problem::Entities => Error::EntitiesForbidden {
            line: p.line,
            column: p.column,
        },
        Problem::Limit(key) => {
            let max = match key {
                "max_depth" => u64::from(c.max_depth),
                "max_attributes" => u64::from(c.max_attributes),
                "max_namespace_declarations" => u64::from(c.max_namespace_declarations),
                "max_text_bytes" => c.max_text_bytes,
                _ => c.max_output_bytes,
            };
            limit_error(key, max, p)
        }
    }
}
