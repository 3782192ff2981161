//! Range and partNumber, applied to the *transformed* bytes.
//!
//! S3 Object Lambda never applies a range itself: the function finds `Range` in the caller's
//! headers or query and `partNumber` in the query, and answers as S3 GetObject would. Parts are
//! fixed 5 MiB slices of the transformed output, as AWS's default-configuration sample does.

use crate::error::{ErrorKind, TransformError};

/// Size of one part for `partNumber` requests.
pub(crate) const PART_SIZE: u64 = 5 * 1024 * 1024;
/// Highest part number S3 accepts.
pub(crate) const MAX_PART_NUMBER: u64 = 10_000;

/// What slice of the transformed object the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Selection {
    /// The whole object (200).
    All,
    /// `bytes=a-b` or `bytes=a-` (`end` inclusive, `None` = to the end).
    FromTo {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: Option<u64>,
    },
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
    /// `partNumber=n` (1-based).
    Part(u64),
}

/// A selection resolved against the total length of the transformed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// First byte to send.
    pub start: u64,
    /// Number of bytes to send.
    pub len: u64,
    /// Total length of the transformed object.
    pub total: u64,
    /// Whether the answer is 206 with `Content-Range`.
    pub partial: bool,
    /// `x-amz-mp-parts-count`, for partNumber requests.
    pub parts_count: Option<u64>,
}

impl Resolved {
    /// `Content-Range` value for a partial answer.
    pub(crate) fn content_range(&self) -> Option<String> {
        (self.partial && self.len > 0).then(|| {
            format!(
                "bytes {}-{}/{}",
                self.start,
                self.start + self.len - 1,
                self.total
            )
        })
    }
}

impl Selection {
    /// Read the selection from the caller's `Range` header (any case), or the `Range` query
    /// parameter, and the `partNumber` query parameter.
    ///
    /// A syntactically invalid or multi-range `Range` is ignored (the whole object is sent), as
    /// S3 GetObject does. Range together with partNumber is `InvalidRequest`.
    pub(crate) fn from_request(
        range_header: Option<&str>,
        query: &[(String, String)],
    ) -> Result<Self, TransformError> {
        let range = range_header.or_else(|| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("range"))
                .map(|(_, v)| v.as_str())
        });
        let part = query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("partNumber"))
            .map(|(_, v)| v.as_str());
        match (range, part) {
            (Some(_), Some(_)) => Err(TransformError::new(
                ErrorKind::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter",
            )),
            (None, Some(part)) => parse_part(part),
            (Some(range), None) => Ok(parse_range(range).unwrap_or(Self::All)),
            (None, None) => Ok(Self::All),
        }
    }

    /// Whether bytes must be dropped from the output.
    pub(crate) fn is_all(&self) -> bool {
        matches!(self, Self::All)
    }

    /// Resolve against the transformed length, or fail as S3 does (416 / 400 InvalidPart).
    pub(crate) fn resolve(&self, total: u64) -> Result<Resolved, TransformError> {
        let whole = Resolved {
            start: 0,
            len: total,
            total,
            partial: false,
            parts_count: None,
        };
        let unsatisfiable = || {
            TransformError::new(
                ErrorKind::InvalidRange,
                format!("The requested range is not satisfiable (object size {total})"),
            )
        };
        match *self {
            Self::All => Ok(whole),
            Self::FromTo { start, end } => {
                if start >= total {
                    return Err(unsatisfiable());
                }
                let last = end.map_or(total - 1, |e| e.min(total - 1));
                Ok(Resolved {
                    start,
                    len: last - start + 1,
                    partial: true,
                    ..whole
                })
            }
            Self::Suffix(n) => {
                if n == 0 || total == 0 {
                    return Err(unsatisfiable());
                }
                let len = n.min(total);
                Ok(Resolved {
                    start: total - len,
                    len,
                    partial: true,
                    ..whole
                })
            }
            Self::Part(n) => {
                let parts = total.div_ceil(PART_SIZE).max(1);
                if n > parts {
                    return Err(TransformError::new(
                        ErrorKind::InvalidPart,
                        format!("Part number {n} is out of range: the object has {parts} part(s)"),
                    ));
                }
                let start = (n - 1) * PART_SIZE;
                let len = PART_SIZE.min(total - start);
                Ok(Resolved {
                    start,
                    len,
                    partial: true,
                    parts_count: Some(parts),
                    ..whole
                })
            }
        }
    }
}

fn parse_part(value: &str) -> Result<Selection, TransformError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => Ok(Selection::Part(n)),
        _ => Err(TransformError::new(
            ErrorKind::InvalidArgument,
            format!("Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"),
        )),
    }
}

/// Parse a single `bytes=` range; `None` when it is not one S3 would honour.
fn parse_range(value: &str) -> Option<Selection> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if first.is_empty() {
        return number(last).map(Selection::Suffix);
    }
    let start = number(first)?;
    if last.is_empty() {
        return Some(Selection::FromTo { start, end: None });
    }
    let end = number(last)?;
    (end >= start).then_some(Selection::FromTo {
        start,
        end: Some(end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sel(range: &str) -> Selection {
        Selection::from_request(Some(range), &[]).unwrap()
    }
    fn q(k: &str, v: &str) -> Vec<(String, String)> {
        vec![(k.into(), v.into())]
    }

    #[test]
    fn range_forms() {
        let r = sel("bytes=2-5").resolve(10).unwrap();
        assert_eq!(
            (r.start, r.len, r.content_range().unwrap()),
            (2, 4, "bytes 2-5/10".into())
        );
        let r = sel("bytes=7-").resolve(10).unwrap();
        assert_eq!(r.content_range().unwrap(), "bytes 7-9/10");
        let r = sel("bytes=-3").resolve(10).unwrap();
        assert_eq!(r.content_range().unwrap(), "bytes 7-9/10");
        // End past the object is clamped; a suffix longer than the object is the whole object.
        assert_eq!(sel("bytes=8-100").resolve(10).unwrap().len, 2);
        assert_eq!(sel("bytes=-100").resolve(10).unwrap().len, 10);
    }

    #[test]
    fn unsatisfiable_ranges() {
        for r in ["bytes=10-", "bytes=10-20", "bytes=-0"] {
            let err = sel(r).resolve(10).unwrap_err();
            assert_eq!((err.status(), err.code()), (416, "InvalidRange"), "{r}");
        }
        assert_eq!(
            sel("bytes=0-").resolve(0).unwrap_err().code(),
            "InvalidRange"
        );
    }

    #[test]
    fn invalid_syntax_is_ignored_like_s3() {
        for r in [
            "bytes=5-2",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,4-5",
            "bytes=-",
            "",
        ] {
            assert_eq!(sel(r), Selection::All, "{r}");
        }
    }

    #[test]
    fn range_from_query_and_case_insensitive() {
        let s = Selection::from_request(None, &q("Range", "bytes=0-0")).unwrap();
        assert_eq!(
            s,
            Selection::FromTo {
                start: 0,
                end: Some(0)
            }
        );
    }

    #[test]
    fn range_with_part_number_is_invalid_request() {
        let err = Selection::from_request(Some("bytes=0-1"), &q("partNumber", "1")).unwrap_err();
        assert_eq!((err.status(), err.code()), (400, "InvalidRequest"));
    }

    #[test]
    fn part_numbers() {
        let total = 2 * PART_SIZE + 10;
        let p = |n: &str| Selection::from_request(None, &q("partNumber", n));
        let r = p("2").unwrap().resolve(total).unwrap();
        assert_eq!(
            (r.start, r.len, r.parts_count),
            (PART_SIZE, PART_SIZE, Some(3))
        );
        let r = p("3").unwrap().resolve(total).unwrap();
        assert_eq!(r.len, 10);
        assert_eq!(
            p("4").unwrap().resolve(total).unwrap_err().code(),
            "InvalidPart"
        );
        // A small object is one part.
        let r = p("1").unwrap().resolve(10).unwrap();
        assert_eq!((r.len, r.parts_count), (10, Some(1)));
        for bad in ["0", "10001", "x", "-1"] {
            assert_eq!(p(bad).unwrap_err().code(), "InvalidArgument", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn resolved_range_is_inside_object(total in 1u64..10_000, a in 0u64..12_000, b in 0u64..12_000) {
            let s = Selection::FromTo { start: a.min(b), end: Some(a.max(b)) };
            match s.resolve(total) {
                Ok(r) => prop_assert!(r.len >= 1 && r.start + r.len <= total),
                Err(e) => prop_assert!(a.min(b) >= total && e.code() == "InvalidRange"),
            }
        }
    }
}
