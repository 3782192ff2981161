//! Listing: ListObjects, ListObjectsV2 and ListObjectVersions.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::Store;
use super::list::{self, Entry};
use super::model::KeyRecord;
use super::objects::{etag, ts};
use super::protect;

pub(super) async fn list_objects(
    store: &Store,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let encode = list::check_encoding(input.encoding_type.as_ref())?;
    let limit = list::page_size(input.max_keys)?;
    let bucket = store.index.bucket(&input.bucket)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let out = bucket.with_keys(|keys| {
        let (entries, truncated) = list::walk(
            keys,
            &prefix,
            input.delimiter.as_deref(),
            input.marker.as_deref(),
            limit,
            |r| list::live(r).is_some(),
        );
        ListObjectsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(maybe_encode(&prefix, encode)),
            marker: Some(maybe_encode(
                input.marker.as_deref().unwrap_or_default(),
                encode,
            )),
            delimiter: input.delimiter.as_deref().map(|d| maybe_encode(d, encode)),
            max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
            is_truncated: Some(truncated),
            next_marker: (truncated && input.delimiter.is_some())
                .then(|| list::last_marker(&entries))
                .flatten()
                .map(|m| maybe_encode(&m, encode)),
            contents: Some(contents(&entries, encode, true)),
            common_prefixes: list::prefixes(&entries, encode),
            encoding_type: input.encoding_type.clone(),
            ..Default::default()
        }
    });
    Ok(S3Response::new(out))
}

pub(super) async fn list_objects_v2(
    store: &Store,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let encode = list::check_encoding(input.encoding_type.as_ref())?;
    let limit = list::page_size(input.max_keys)?;
    let bucket = store.index.bucket(&input.bucket)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let after = match &input.continuation_token {
        Some(t) => Some(list::decode_token(t)?),
        None => input.start_after.clone(),
    };
    let with_owner = input.fetch_owner.unwrap_or(false);
    let out = bucket.with_keys(|keys| {
        let (entries, truncated) = list::walk(
            keys,
            &prefix,
            input.delimiter.as_deref(),
            after.as_deref(),
            limit,
            |r| list::live(r).is_some(),
        );
        let contents = contents(&entries, encode, with_owner);
        ListObjectsV2Output {
            name: Some(input.bucket.clone()),
            prefix: Some(maybe_encode(&prefix, encode)),
            delimiter: input.delimiter.as_deref().map(|d| maybe_encode(d, encode)),
            max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
            key_count: i32::try_from(entries.len()).ok(),
            is_truncated: Some(truncated),
            continuation_token: input.continuation_token.clone(),
            next_continuation_token: truncated
                .then(|| list::last_marker(&entries))
                .flatten()
                .map(|m| list::encode_token(&m)),
            start_after: input
                .start_after
                .as_deref()
                .map(|s| maybe_encode(s, encode)),
            contents: Some(contents),
            common_prefixes: list::prefixes(&entries, encode),
            encoding_type: input.encoding_type.clone(),
            ..Default::default()
        }
    });
    Ok(S3Response::new(out))
}

pub(super) async fn list_object_versions(
    store: &Store,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let input = req.input;
    protect::check_owner(&store.account, input.expected_bucket_owner.as_ref())?;
    let encode = list::check_encoding(input.encoding_type.as_ref())?;
    let limit = list::page_size(input.max_keys)?;
    let bucket = store.index.bucket(&input.bucket)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let out = bucket.with_keys(|keys| {
        // Versions are counted against max-keys one by one; a key is walked whole, then
        // the page is cut at the limit (the next page resumes at the key/version marker).
        let (entries, _) = list::walk(
            keys,
            &prefix,
            input.delimiter.as_deref(),
            input.key_marker.as_deref(),
            usize::MAX,
            |_| true,
        );
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut prefixes = Vec::new();
        let mut count = 0_usize;
        let mut next: Option<(String, String)> = None;
        let mut skip_until = input
            .version_id_marker
            .clone()
            .filter(|_| input.key_marker.is_some());
        // With a version-id marker the marker key itself continues after that version.
        let resume: Vec<(&str, &KeyRecord)> = match (&input.key_marker, &skip_until) {
            (Some(k), Some(_)) => keys.get(k).map(|r| (k.as_str(), r)).into_iter().collect(),
            _ => Vec::new(),
        };
        let walk = resume
            .into_iter()
            .map(|(k, r)| Entry::Key(k, r))
            .chain(entries);
        'outer: for e in walk {
            match e {
                Entry::Prefix(p) => {
                    if count == limit {
                        next = Some((p, String::new()));
                        break;
                    }
                    prefixes.push(CommonPrefix {
                        prefix: Some(maybe_encode(&p, encode)),
                    });
                    count += 1;
                }
                Entry::Key(k, r) => {
                    for (i, v) in r.versions.iter().enumerate() {
                        if let Some(m) = &skip_until {
                            if v.version_id == *m {
                                skip_until = None;
                            }
                            continue;
                        }
                        if count == limit {
                            next = Some((k.to_owned(), v.version_id.clone()));
                            break 'outer;
                        }
                        count += 1;
                        let key = Some(maybe_encode(k, encode));
                        if v.delete_marker {
                            markers.push(DeleteMarkerEntry {
                                key,
                                version_id: Some(v.version_id.clone()),
                                is_latest: Some(i == 0),
                                last_modified: Some(ts(v.modified_ns)),
                                owner: Some(list::owner()),
                            });
                        } else {
                            versions.push(ObjectVersion {
                                key,
                                version_id: Some(v.version_id.clone()),
                                is_latest: Some(i == 0),
                                last_modified: Some(ts(v.modified_ns)),
                                e_tag: Some(etag(&v.etag)),
                                size: i64::try_from(v.size).ok(),
                                storage_class: Some(ObjectVersionStorageClass::from(
                                    "STANDARD".to_owned(),
                                )),
                                owner: Some(list::owner()),
                                ..Default::default()
                            });
                        }
                    }
                    skip_until = None;
                }
            }
        }
        // A page cut inside a key resumes at its previous version: the marker names the
        // last version returned.
        let (next_key, next_version) = match next {
            Some((k, vid)) if !vid.is_empty() => {
                let prev = keys.get(&k).and_then(|r| {
                    let pos = r.versions.iter().position(|v| v.version_id == vid)?;
                    pos.checked_sub(1).map(|p| r.versions[p].version_id.clone())
                });
                match prev {
                    Some(p) => (Some(k), Some(p)),
                    None => {
                        // Cut before the key's first version: resume after the previous key.
                        let last = versions
                            .last()
                            .and_then(|v: &ObjectVersion| v.key.clone())
                            .or_else(|| markers.last().and_then(|m| m.key.clone()));
                        (last, None)
                    }
                }
            }
            Some((p, _)) => (Some(p), None),
            None => (None, None),
        };
        let truncated = next_key.is_some();
        ListObjectVersionsOutput {
            name: Some(input.bucket.clone()),
            prefix: Some(maybe_encode(&prefix, encode)),
            delimiter: input.delimiter.clone(),
            key_marker: Some(input.key_marker.clone().unwrap_or_default()),
            version_id_marker: Some(input.version_id_marker.clone().unwrap_or_default()),
            max_keys: Some(input.max_keys.unwrap_or(list::MAX_KEYS)),
            is_truncated: Some(truncated),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            versions: Some(versions),
            delete_markers: Some(markers),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            encoding_type: input.encoding_type.clone(),
            ..Default::default()
        }
    });
    Ok(S3Response::new(out))
}

fn maybe_encode(s: &str, encode: bool) -> String {
    if encode {
        list::url_encode(s)
    } else {
        s.to_owned()
    }
}

fn contents(entries: &[Entry<'_>], encode: bool, with_owner: bool) -> Vec<Object> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Key(k, r) => list::live(r).map(|v| list::object(k, v, encode, with_owner)),
            Entry::Prefix(_) => None,
        })
        .collect()
}
