//! Start tags: what every tag does (document state, depth, the name kept for end-tag
//! matching), then the plain path, where attributes stream straight into the output
//! builder as they are read. The namespace path is in `start_ns.rs`: there names can only
//! be resolved once all declarations of the tag are known.
//!
//! Checks common to both paths, in the order errors are reported: attribute syntax, the
//! attribute limit, names, `<` in a value, references in values, `max_text_bytes`, then
//! duplicates and the namespace declaration limit after the last attribute.

use std::borrow::Cow;
use std::hash::Hasher;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::BytesStart;

use super::{Core, Doc, Sink};
use crate::fxhash::FxHasher;
use crate::names::is_valid_name;
use crate::problem::Problem;
use crate::scan::{AttrScanner, RawAttr};

/// `ordered` mode forgets its known attribute lists beyond this many bytes of names.
const KNOWN_ATTR_BYTES: usize = 1 << 20;
/// `<` inside a tag.
const LT_IN_TAG: Problem = Problem::Malformed("`<` in a tag or attribute value");
/// Depth limit handed to quick-xml's attribute normaliser (only predefined entities).
const ENTITY_DEPTH: usize = 1;
pub(super) const INVALID_ATTRIBUTE: Problem = Problem::Malformed("invalid attribute");
pub(super) const INVALID_ATTRIBUTE_NAME: Problem = Problem::Malformed("invalid attribute name");
pub(super) const DUPLICATE_ATTRIBUTE: Problem = Problem::Malformed("duplicate attribute");
pub(super) const INVALID_ELEMENT_NAME: Problem = Problem::Malformed("invalid element name");

impl Core {
    /// A start tag; `empty` for `<x/>` (then [`Self::end`] follows with no name to match,
    /// so the name is not kept for end-tag matching).
    pub(super) fn start(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Problem> {
        match self.doc {
            Doc::After => return Err(Problem::Malformed("junk after document element")),
            Doc::Before => self.doc = Doc::Inside,
            Doc::Inside => {}
        }
        self.depth += 1;
        if self.depth > self.config.max_depth {
            return Err(Problem::Limit("max_depth"));
        }
        let qname = e.name();
        let raw_name: &str = qname.as_ref();
        if !empty {
            self.names.push_str(raw_name);
            self.name_ends.push(self.names.len());
        }
        if self.config.process_namespaces {
            self.start_ns(e, raw_name, out)
        } else {
            self.start_plain(e, raw_name, out)
        }
    }

    /// A start tag without namespace processing: names as written, attributes handed to
    /// the output builder one by one.
    #[inline]
    fn start_plain(
        &mut self,
        e: &BytesStart<'_>,
        raw_name: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), Problem> {
        let in_record = self.depth >= self.record_depth;
        // The tree builder remembers names it has seen (validated) before: on its cache
        // hits the name and duplicate checks below can be skipped.
        let cached = in_record && matches!(self.sink, Sink::Tree(_));
        // `ordered` mode remembers the attribute names of the last tag of each name whose
        // names were not all known: a tag repeating a prefix of them needs no checks.
        let mut name_known = false;
        let mut known_list = None;
        if in_record {
            match &mut self.sink {
                Sink::Tree(b) => name_known = b.open(raw_name)?,
                Sink::Ordered(w) => {
                    w.open(raw_name, out)?;
                    known_list = self.known_attrs.get(raw_name);
                    name_known = known_list.is_some();
                }
            }
        }
        if !name_known && !is_valid_name(raw_name) {
            return Err(INVALID_ELEMENT_NAME);
        }
        let attributes_raw = e.attributes_raw();
        // The fast path takes only tags without `<` (it is unclean in values and cannot
        // match a cached name), so the check below still sees every `<`.
        if cached
            && let Sink::Tree(b) = &mut self.sink
            && b.attrs_fast(
                attributes_raw,
                self.version,
                self.external_dtd,
                self.config.max_text_bytes,
            )
        {
            b.attrs_done()?;
            self.decl_counts.push(0);
            return Ok(());
        }
        let mut all_known = true;
        self.attr_hashes.clear();
        let mut decls: u32 = 0;
        let looped = (|| -> Result<(), Problem> {
            let mut attributes = AttrScanner::new(attributes_raw, self.version);
            let mut index = 0usize;
            while let Some(attr) = attributes.next_attr().map_err(|_| INVALID_ATTRIBUTE)? {
                if index as u64 >= u64::from(self.config.max_attributes) {
                    return Err(Problem::Limit("max_attributes"));
                }
                let this = index;
                index += 1;
                let key: &str = attr.key;
                if !cached {
                    let known = known_list
                        .and_then(|l| l.get(this))
                        .is_some_and(|k| **k == *key);
                    all_known &= known;
                    if !known && !is_valid_name(key) {
                        return Err(INVALID_ATTRIBUTE_NAME);
                    }
                    self.attr_hashes.push(hash_str(key));
                }
                let value = attribute_value(
                    &attr,
                    self.version,
                    self.external_dtd,
                    self.config.max_text_bytes,
                )?;
                if declared_prefix(key).is_some() {
                    decls += 1;
                }
                if in_record {
                    match &mut self.sink {
                        Sink::Tree(b) => {
                            let known = b.attr(this, key, &value, attr.clean)?;
                            if !known && !is_valid_name(key) {
                                return Err(INVALID_ATTRIBUTE_NAME);
                            }
                            all_known &= known;
                        }
                        // Not cached: the name was validated above.
                        Sink::Ordered(w) => w.plain_attr(key, &value, attr.clean, out)?,
                    }
                }
            }
            Ok(())
        })();
        looped.map_err(|p| lt_first(attributes_raw, p))?;
        // All names known: they are a prefix of a list already checked for duplicates.
        let listed = known_list.is_some() && all_known;
        let duplicates = if cached {
            !all_known && exact_duplicates(e)
        } else if listed {
            false
        } else {
            has_duplicates(&mut self.attr_hashes) && exact_duplicates(e)
        };
        if duplicates {
            return Err(DUPLICATE_ATTRIBUTE);
        }
        if in_record && !listed && matches!(self.sink, Sink::Ordered(_)) {
            self.remember_attributes(raw_name, attributes_raw);
        }
        self.push_declarations(decls)?;
        if in_record {
            match &mut self.sink {
                Sink::Tree(b) => b.attrs_done()?,
                Sink::Ordered(w) => w.open_done(out),
            }
        }
        Ok(())
    }

    /// Counts a tag's namespace declarations until its end tag.
    #[inline]
    pub(super) fn push_declarations(&mut self, decls: u32) -> Result<(), Problem> {
        self.decl_counts.push(decls);
        self.decls_in_scope += u64::from(decls);
        if self.decls_in_scope > u64::from(self.config.max_namespace_declarations) {
            return Err(Problem::Limit("max_namespace_declarations"));
        }
        Ok(())
    }

    /// `ordered` mode: remembers the (valid, distinct) attribute names of a tag.
    fn remember_attributes(&mut self, element: &str, attributes_raw: &str) {
        let mut names = Vec::new();
        let mut bytes = element.len() + 64;
        let mut scanner = AttrScanner::new(attributes_raw, self.version);
        while let Ok(Some(attr)) = scanner.next_attr() {
            bytes += attr.key.len() + 16;
            names.push(Box::from(attr.key));
        }
        if bytes > KNOWN_ATTR_BYTES / 16 {
            return;
        }
        if self.known_attr_bytes + bytes > KNOWN_ATTR_BYTES {
            self.known_attrs.clear();
            self.known_attr_bytes = 0;
        }
        self.known_attr_bytes += bytes;
        // A replaced list's bytes stay counted until the next clear (an upper bound).
        self.known_attrs.insert(Box::from(element), names);
    }
}

/// The normalised value of `attr`: `<` (only possible in an unclean value), undefined
/// entities (skipped, as expat does, when an unread external DTD could define them) and
/// `max_text_bytes` are errors.
#[inline]
pub(super) fn attribute_value<'a>(
    attr: &RawAttr<'a>,
    version: XmlVersion,
    external_dtd: bool,
    max_text_bytes: u64,
) -> Result<Cow<'a, str>, Problem> {
    if !attr.clean && memchr::memchr(b'<', attr.raw.as_bytes()).is_some() {
        return Err(LT_IN_TAG);
    }
    let value = attr
        .value(version, ENTITY_DEPTH, |name| {
            resolve_predefined_entity(name).or(if external_dtd { Some("") } else { None })
        })
        .map_err(|_| {
            Problem::Malformed("undefined entity or invalid reference in attribute value")
        })?;
    if value.len() as u64 > max_text_bytes {
        return Err(Problem::Limit("max_text_bytes"));
    }
    Ok(value)
}

/// The prefix an `xmlns` (`""`) or `xmlns:p` (`"p"`) attribute declares.
#[inline]
pub(super) fn declared_prefix(key: &str) -> Option<&str> {
    if key == "xmlns" {
        Some("")
    } else {
        key.strip_prefix("xmlns:")
    }
}

/// `<` may not appear anywhere in a tag, attribute values included. It makes a value
/// unclean, and anywhere else the scan or the name checks fail; so it is looked for only
/// in unclean values and, to report it first, on every error.
#[cold]
pub(super) fn lt_first(attributes_raw: &str, problem: Problem) -> Problem {
    if memchr::memchr(b'<', attributes_raw.as_bytes()).is_some() {
        LT_IN_TAG
    } else {
        problem
    }
}

pub(super) fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// Whether two hashes are equal (sorts `hashes` when there are many).
pub(super) fn has_duplicates(hashes: &mut [u64]) -> bool {
    if hashes.len() <= 16 {
        return hashes
            .iter()
            .enumerate()
            .any(|(i, h)| hashes[i + 1..].contains(h));
    }
    hashes.sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

/// Exact duplicate check by name, for the rare hash collision.
pub(super) fn exact_duplicates(e: &BytesStart<'_>) -> bool {
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    let mut names: Vec<&str> = attributes
        .filter_map(|a| a.ok().map(|a| a.key.into_inner()))
        .collect();
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}
