//! ListObjects, ListObjectsV2 and ListObjectVersions over a bucket's key index.

use std::collections::BTreeMap;

use s3s::dto::{CommonPrefix, EncodingType, Object, Owner};
use s3s::{S3Result, s3_error};

use super::model::{KeyRecord, Version};
use super::objects::{etag, ts};
use crate::errors::error;

/// S3's default and largest page.
pub(crate) const MAX_KEYS: i32 = 1000;

/// `encoding-type`: only `url` exists.
pub(crate) fn check_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e.map(EncodingType::as_str) {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(_) => Err(error(
            400,
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
        )),
    }
}

pub(crate) fn page_size(max_keys: Option<i32>) -> S3Result<usize> {
    match max_keys {
        Some(n) if n < 0 => Err(error(
            400,
            "InvalidArgument",
            "max-keys must be non-negative",
        )),
        Some(n) => Ok(usize::try_from(n.min(MAX_KEYS)).unwrap_or(0)),
        None => Ok(MAX_KEYS as usize),
    }
}

/// URL-encodes a key or prefix for `encoding-type=url` (as S3: everything but unreserved
/// characters and `/`).
pub(crate) fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// One entry of a listing walk: a key (with its record) or a common prefix.
#[derive(Debug)]
pub(crate) enum Entry<'a> {
    Key(&'a str, &'a KeyRecord),
    Prefix(String),
}

/// Walks keys after `after` (exclusive) under `prefix`, rolling keys up to common prefixes
/// at `delimiter`, until `limit` entries; `include` filters records (e.g. hide keys whose
/// latest version is a delete marker). Returns the entries and whether more follow.
pub(crate) fn walk<'a>(
    keys: &'a BTreeMap<String, KeyRecord>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    limit: usize,
    include: impl Fn(&KeyRecord) -> bool,
) -> (Vec<Entry<'a>>, bool) {
    use std::ops::Bound;
    let start = match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_owned()),
        _ => Bound::Included(prefix.to_owned()),
    };
    let mut out: Vec<Entry<'a>> = Vec::new();
    for (k, r) in keys.range((start, Bound::Unbounded)) {
        if !k.starts_with(prefix) {
            break;
        }
        if !include(r) {
            continue;
        }
        if let Some(d) = delimiter.filter(|d| !d.is_empty())
            && let Some(pos) = k[prefix.len()..].find(d)
        {
            let cp = k[..prefix.len() + pos + d.len()].to_owned();
            if after.is_some_and(|a| a >= cp.as_str() && a.starts_with(&cp)) {
                continue;
            }
            if matches!(out.last(), Some(Entry::Prefix(p)) if *p == cp) {
                continue;
            }
            if out.len() == limit {
                return (out, true);
            }
            // Skip the rest of this prefix.
            out.push(Entry::Prefix(cp));
            continue;
        }
        if out.len() == limit {
            return (out, true);
        }
        out.push(Entry::Key(k, r));
    }
    (out, false)
}

/// The last key or prefix of a page: where the next page starts.
pub(crate) fn last_marker(entries: &[Entry<'_>]) -> Option<String> {
    entries.last().map(|e| match e {
        Entry::Key(k, _) => (*k).to_owned(),
        Entry::Prefix(p) => p.clone(),
    })
}

pub(crate) fn owner() -> Owner {
    Owner {
        display_name: Some(crate::config::DEFAULT_OWNER_NAME.to_owned()),
        id: Some(crate::config::DEFAULT_CANONICAL_USER_ID.to_owned()),
    }
}

pub(crate) fn object(key: &str, v: &Version, encode: bool, with_owner: bool) -> Object {
    Object {
        key: Some(if encode {
            url_encode(key)
        } else {
            key.to_owned()
        }),
        e_tag: Some(etag(&v.etag)),
        last_modified: Some(ts(v.modified_ns)),
        size: i64::try_from(v.size).ok(),
        storage_class: Some(s3s::dto::ObjectStorageClass::from(
            v.attrs
                .storage_class
                .clone()
                .unwrap_or_else(|| "STANDARD".to_owned()),
        )),
        owner: with_owner.then(owner),
        ..Default::default()
    }
}

pub(crate) fn prefixes(entries: &[Entry<'_>], encode: bool) -> Option<Vec<CommonPrefix>> {
    let v: Vec<CommonPrefix> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Prefix(p) => Some(CommonPrefix {
                prefix: Some(if encode { url_encode(p) } else { p.clone() }),
            }),
            Entry::Key(..) => None,
        })
        .collect();
    (!v.is_empty()).then_some(v)
}

/// The latest version of a listed key, unless it is a delete marker.
pub(crate) fn live(r: &KeyRecord) -> Option<&Version> {
    r.latest().filter(|v| !v.delete_marker)
}

/// Continuation tokens are the last key, base64-encoded (opaque to clients, as in S3).
pub(crate) fn encode_token(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub(crate) fn decode_token(token: &str) -> S3Result<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::{Attrs, Checksums, NULL_VERSION};

    fn index(keys: &[&str]) -> BTreeMap<String, KeyRecord> {
        keys.iter()
            .map(|k| {
                let v = Version {
                    version_id: NULL_VERSION.into(),
                    delete_marker: false,
                    data: Some("d".into()),
                    size: 1,
                    etag: "e".into(),
                    modified_ns: 0,
                    attrs: Attrs::default(),
                    checksums: Checksums::default(),
                    parts: vec![],
                    lock: crate::store::model::Lock::default(),
                };
                (
                    (*k).to_owned(),
                    KeyRecord {
                        key: (*k).to_owned(),
                        versions: vec![v],
                    },
                )
            })
            .collect()
    }

    fn names(e: &[Entry<'_>]) -> Vec<String> {
        e.iter()
            .map(|e| match e {
                Entry::Key(k, _) => (*k).to_owned(),
                Entry::Prefix(p) => format!("P:{p}"),
            })
            .collect()
    }

    #[test]
    fn delimiter_rolls_up_and_pages_continue_after_prefixes() {
        let idx = index(&["a/1", "a/2", "b", "c/x/y", "c/z", "d"]);
        let (e, more) = walk(&idx, "", Some("/"), None, 1000, |_| true);
        assert_eq!(names(&e), ["P:a/", "b", "P:c/", "d"]);
        assert!(!more);
        let (e, more) = walk(&idx, "", Some("/"), None, 2, |_| true);
        assert_eq!(names(&e), ["P:a/", "b"]);
        assert!(more);
        let (e, _) = walk(&idx, "", Some("/"), Some("b"), 2, |_| true);
        assert_eq!(names(&e), ["P:c/", "d"]);
        let (e, _) = walk(&idx, "", Some("/"), Some("a/"), 1, |_| true);
        assert_eq!(names(&e), ["b"]);
        let (e, _) = walk(&idx, "c/", Some("/"), None, 10, |_| true);
        assert_eq!(names(&e), ["P:c/x/", "c/z"]);
    }

    #[test]
    fn tokens_round_trip_any_key() {
        for k in ["", "a/b", "..", "ü\u{0}x"] {
            assert_eq!(decode_token(&encode_token(k)).unwrap(), k);
        }
        assert!(decode_token("***").is_err());
    }
}
