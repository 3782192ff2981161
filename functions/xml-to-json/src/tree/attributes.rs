//! Attributes of the element just opened: the per-name cache of attribute keys, the
//! fast path that serialises a whole tag's attributes into one block, and its helpers.

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;

use super::compact::{self, MARKER};
use super::{
    ATTR_BIT, Arena, BLOCK_KEY, BResult, BuildError, NO_BLOCK, TAG_STR, TreeBuilder, Val, store,
};
use crate::json;
use crate::scan::{RawAttr, is_space, scan_value};

/// A cached attribute name of an element name (see `TreeBuilder::attr_key`).
pub(super) struct AttrSlot {
    name: String,
    id: u32,
    /// The key id as the varint that precedes the value in a block (see `compact.rs`),
    /// padded to 16 bytes (see [`append`]).
    code: [u8; 16],
    code_len: usize,
    /// What the attribute adds to the output besides its value, `,"@name":""`.
    written_len: usize,
    /// The first (up to) 8 bytes of `name` and the mask of its bytes, for one-word compares.
    name_word: u64,
    name_mask: u64,
    /// `xmlns` or `xmlns:p`.
    declaration: bool,
    /// The usual way the attribute is written, ` name="` (one space before it), as two
    /// little-endian words and the masks of its bytes, and its length; 0 when longer than
    /// 16 bytes or a declaration (never taken on the fast path).
    pattern: [u64; 2],
    pattern_mask: [u64; 2],
    pattern_len: usize,
}

impl AttrSlot {
    /// Whether `raw[i..]` starts with [`Self::pattern`] (needs 8, or 16 for a pattern
    /// longer than 8 bytes, readable bytes; otherwise the caller parses the general way).
    #[inline(always)]
    fn pattern_at(&self, raw: &[u8], i: usize) -> bool {
        let matches = |at: usize, k: usize| {
            raw.get(at..at + 8).is_some_and(|b| {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                (u64::from_le_bytes(w) ^ self.pattern[k]) & self.pattern_mask[k] == 0
            })
        };
        match self.pattern_len {
            0 => false,
            1..=8 => matches(i, 0),
            _ => matches(i, 0) && matches(i + 8, 1),
        }
    }
}

/// Words and masks of ` name="` for [`AttrSlot::pattern`].
fn attr_pattern(name: &str) -> ([u64; 2], [u64; 2], usize) {
    let len = name.len() + 3;
    if len > 16 || is_declaration(name) {
        return ([0; 2], [0; 2], 0);
    }
    let mut bytes = [0u8; 16];
    let mut mask = [0u8; 16];
    bytes[0] = b' ';
    bytes[1..len - 2].copy_from_slice(name.as_bytes());
    bytes[len - 2] = b'=';
    bytes[len - 1] = b'"';
    mask[..len].fill(0xFF);
    let word = |b: &[u8; 16], k: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[8 * k..8 * k + 8]);
        u64::from_le_bytes(w)
    };
    (
        [word(&bytes, 0), word(&bytes, 1)],
        [word(&mask, 0), word(&mask, 1)],
        len,
    )
}

/// Appends `src[at..at + len]` as one 16-byte copy when it is that short (see
/// [`json::append_short`]).
#[inline(always)]
fn append(dst: &mut Arena, src: &[u8], at: usize, len: usize) {
    json::append_short::<16, _>(dst, src, at, len);
}

/// Appends `value` with its predefined entity references replaced, JSON-escaped; returns
/// the length of the replaced text. `None` (with `out` partly
/// written) when it holds anything else that is not clean (see [`crate::scan`]):
/// another reference, whitespace to normalise, characters to escape, `<`.
#[inline]
pub(super) fn predefined_refs_into(out: &mut Arena, value: &[u8]) -> Option<usize> {
    let mut len = 0;
    let mut run = 0;
    let mut i = 0;
    while let Some(&c) = value.get(i) {
        if c == b'&' {
            let rest = value.get(i..).unwrap_or_default();
            let (text, skip): (&[u8], usize) = if rest.starts_with(b"&amp;") {
                (b"&", 5)
            } else if rest.starts_with(b"&lt;") {
                (b"<", 4)
            } else if rest.starts_with(b"&gt;") {
                (b">", 4)
            } else if rest.starts_with(b"&apos;") {
                (b"'", 6)
            } else if rest.starts_with(b"&quot;") {
                (b"\\\"", 6)
            } else {
                return None;
            };
            out.extend_from_slice(value.get(run..i)?);
            out.extend_from_slice(text);
            len += i - run + 1;
            i += skip;
            run = i;
        } else if c < 0x20 || c == b'"' || c == b'\\' || c == b'<' {
            return None;
        } else {
            i += 1;
        }
    }
    out.extend_from_slice(value.get(run..)?);
    Some(len + value.len() - run)
}

/// `xmlns` or `xmlns:p`: a namespace declaration.
fn is_declaration(name: &str) -> bool {
    name == "xmlns" || name.starts_with("xmlns:")
}

impl TreeBuilder {
    /// Key id of attribute number `index` of the element just opened, and whether the
    /// name matched the cached attribute list of this element name.
    ///
    /// The cache always holds the full list of the last element of that name that had a
    /// miss (validated, duplicate-free), so when every attribute is a hit the current list
    /// is a prefix of it and needs neither name nor duplicate checks.
    pub(super) fn attr_key(&mut self, index: usize, name: &str) -> BResult<(u32, bool)> {
        let element = self.frames.last().map_or(0, |f| f.key as usize);
        if self.attr_cache.len() <= element {
            self.attr_cache.resize_with(element + 1, Vec::new);
        }
        Ok(match self.attr_cache[element].get(index) {
            Some(slot) if slot.name == name => (slot.id, true),
            _ => {
                self.scratch.clear();
                self.scratch.push_str(&self.config.attr_prefix);
                self.scratch.push_str(name);
                let id = self.keys.intern(&self.scratch, &self.config)?;
                let cache = &mut self.attr_cache[element];
                cache.truncate(index);
                let written_len = self.keys.quoted(id).len() + 3;
                let (varint, code_len) = compact::varint(u64::from(id));
                let mut code = [0u8; 16];
                code[..code_len].copy_from_slice(&varint[..code_len]);
                let mut word = [0u8; 8];
                let short = name.len().min(8);
                word[..short].copy_from_slice(&name.as_bytes()[..short]);
                let (pattern, pattern_mask, pattern_len) = attr_pattern(name);
                cache.push(AttrSlot {
                    pattern,
                    pattern_mask,
                    pattern_len,
                    name_word: u64::from_le_bytes(word),
                    name_mask: u64::MAX.checked_shr(8 * (8 - short) as u32).unwrap_or(0),
                    name: name.to_owned(),
                    id,
                    code,
                    code_len,
                    written_len,
                    declaration: is_declaration(name),
                });
                (id, false)
            }
        })
    }

    /// Adds attribute number `index` of the element just opened (attributes come in
    /// document order, numbered from 0). `clean`: `value` needs no JSON escaping.
    ///
    /// Returns whether the name matched the cached attribute list (see `attr_key`).
    pub(crate) fn attr(
        &mut self,
        index: usize,
        name: &str,
        value: &str,
        clean: bool,
    ) -> BResult<bool> {
        let (key, known) = self.attr_key(index, name)?;
        if !self.attr_blocks {
            let val = {
                let limit = self.stored_limit();
                store(&mut self.strings, limit, value)?
            };
            self.pending.push((key | ATTR_BIT, val));
            return Ok(known);
        }
        let Some(frame) = self.frames.last_mut() else {
            return Ok(known);
        };
        let strings = &mut self.strings;
        if frame.block_start == NO_BLOCK {
            frame.block_start = strings.len();
            strings.push(MARKER);
        }
        let meta_start = strings.len();
        compact::push_varint(strings, u64::from(key));
        let value_start = strings.len();
        if clean {
            compact::push_varint(strings, value.len() as u64);
            strings.extend_from_slice(value.as_bytes());
        } else {
            let at = compact::open_len(strings);
            json::escape_into(strings, value)?;
            compact::finish_len(strings, at);
        }
        // Key and length varints out, `,"@name":""` in (the length's varint is counted as
        // value bytes here: at most a few bytes early for the limit).
        let meta = value_start - meta_start;
        self.unwritten += (self.keys.quoted(key).len() + 3).saturating_sub(meta) as u64;
        if strings.len() as u64 + self.unwritten > self.config.max_output_bytes {
            return Err(BuildError::OutputTooLarge);
        }
        Ok(known)
    }

    /// Fast path for all the attributes of the element just opened (`raw`: the tag after
    /// its name), taken when they repeat the cached list of this element name (so they are
    /// valid, distinct names and no namespace declarations) and every value is clean (its
    /// own normalised form, nothing to JSON-escape) and at most `max_value` bytes.
    ///
    /// Returns `false`, having written nothing, when any of that does not hold or the
    /// syntax is unusual: the caller then takes the general path, which reports errors.
    pub(crate) fn attrs_fast(
        &mut self,
        raw_str: &str,
        version: XmlVersion,
        external_dtd: bool,
        max_value: u64,
    ) -> bool {
        let raw = raw_str.as_bytes();
        let ascii_only = version == XmlVersion::Explicit1_1;
        let Some(frame) = self.frames.last_mut() else {
            return false;
        };
        let Some(cache) = self.attr_cache.get(frame.key as usize) else {
            return raw.iter().all(|&b| is_space(b));
        };
        let strings = &mut self.strings;
        let mark = strings.len();
        // Enough for every attribute (key and length varints, at most 5 + 10 bytes, for
        // ` k="v"`), so the pushes below never reallocate.
        strings.reserve(raw.len() + cache.len() * 16 + 32);
        strings.push(MARKER);
        // What the block grows by when written (see `TreeBuilder::unwritten`).
        let mut grow = 0;
        let mut i = 0;
        let mut n = 0;
        let ok = loop {
            let (slot, start, quote) = match cache.get(n) {
                // The usual layout, one space, the name, `="`: one or two word compares.
                Some(slot) if slot.pattern_at(raw, i) => (slot, i + slot.pattern_len, b'"'),
                _ => {
                    let ws = i;
                    while raw.get(i).is_some_and(|&b| is_space(b)) {
                        i += 1;
                    }
                    if i == raw.len() {
                        break true;
                    }
                    let Some(slot) = cache.get(n) else {
                        break false;
                    };
                    // Attributes are separated by whitespace; declarations take the general path.
                    if i == ws || slot.declaration {
                        break false;
                    }
                    let name = slot.name.as_bytes();
                    let matched = match raw.get(i..i + 8) {
                        // Names of up to 8 bytes compare as one masked word.
                        Some(word) if name.len() <= 8 => {
                            let mut w = [0u8; 8];
                            w.copy_from_slice(word);
                            (u64::from_le_bytes(w) ^ slot.name_word) & slot.name_mask == 0
                        }
                        _ => raw.get(i..i + name.len()) == Some(name),
                    };
                    if !matched {
                        break false;
                    }
                    i += name.len();
                    while raw.get(i).is_some_and(|&b| is_space(b)) {
                        i += 1;
                    }
                    if raw.get(i) != Some(&b'=') {
                        break false;
                    }
                    i += 1;
                    while raw.get(i).is_some_and(|&b| is_space(b)) {
                        i += 1;
                    }
                    let Some(&quote @ (b'"' | b'\'')) = raw.get(i) else {
                        break false;
                    };
                    (slot, i + 1, quote)
                }
            };
            let Some((end, clean)) = scan_value(raw, start, quote) else {
                break false;
            };
            let Some(value) = raw.get(start..end) else {
                break false;
            };
            if !clean || (ascii_only && !value.is_ascii()) {
                // Only predefined entity references (`&amp;` in a user name): replaced here.
                if !ascii_only {
                    let undo = strings.len();
                    append(strings, &slot.code, 0, slot.code_len);
                    let at = compact::open_len(strings);
                    match predefined_refs_into(strings, value) {
                        Some(len) if len as u64 <= max_value => {
                            compact::finish_len(strings, at);
                            grow += slot.written_len.saturating_sub(slot.code_len);
                            n += 1;
                            i = end + 1;
                            continue;
                        }
                        Some(_) => break false,
                        None => strings.truncate(undo),
                    }
                }
                // References, whitespace to normalise or characters to escape: quick-xml
                // normalises. Anything wrong (`<`, an unknown entity, a control
                // character) is left to the general path, which reports it.
                let Some(text) = raw_str.get(start..end) else {
                    break false;
                };
                if memchr::memchr(b'<', value).is_some() {
                    break false;
                }
                let attr = RawAttr {
                    key: &slot.name,
                    raw: text,
                    clean: false,
                };
                let Ok(normalized) = attr.value(version, 1, |entity| {
                    resolve_predefined_entity(entity).or(if external_dtd { Some("") } else { None })
                }) else {
                    break false;
                };
                if normalized.len() as u64 > max_value {
                    break false;
                }
                let undo = strings.len();
                append(strings, &slot.code, 0, slot.code_len);
                let at = compact::open_len(strings);
                if json::escape_into(strings, &normalized).is_err() {
                    strings.truncate(undo);
                    break false;
                }
                compact::finish_len(strings, at);
                grow += slot.written_len.saturating_sub(slot.code_len);
                n += 1;
                i = end + 1;
                continue;
            }
            if value.len() as u64 > max_value {
                break false;
            }
            // The key as one short copy, then the length.
            append(strings, &slot.code, 0, slot.code_len);
            compact::push_varint(strings, value.len() as u64);
            append(strings, raw, start, value.len());
            grow += slot.written_len.saturating_sub(slot.code_len);
            n += 1;
            i = end + 1;
        };
        if !ok || strings.len() as u64 + self.unwritten + grow as u64 > self.config.max_output_bytes
        {
            strings.truncate(mark);
            return false;
        }
        self.unwritten += grow as u64;
        if n > 0 {
            frame.block_start = mark;
        } else {
            strings.truncate(mark);
        }
        true
    }

    /// Ends the attributes of the element just opened (after its last [`Self::attr`]).
    #[inline]
    pub(crate) fn attrs_done(&mut self) -> BResult<()> {
        let end = self.strings.len();
        let Some(frame) = self.frames.last_mut() else {
            return Ok(());
        };
        if frame.block_start == NO_BLOCK {
            return Ok(());
        }
        frame.block_end = end;
        // The members without the opening brace.
        let members = Val::new(TAG_STR, frame.block_start + 1, end - frame.block_start - 1)?;
        self.pending.push((BLOCK_KEY | ATTR_BIT, members));
        Ok(())
    }
}
