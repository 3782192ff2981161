//! The xmltodict mapping: a compact arena tree built from events, then serialised.
//!
//! Grouping repeated siblings (adjacent or not) into arrays can only be decided when the
//! parent closes, so every element's children are kept until then. To keep memory near the
//! input size, strings are stored once, already JSON-escaped, in one byte arena; keys are
//! interned; values are 8-byte handles; finished objects and arrays live in two arenas.
//! Nothing here recurses on document depth: the serialiser uses an explicit stack.

use std::collections::HashMap;

use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;

use crate::attrs::Attrs;
use crate::config::Config;
use crate::fxhash::FxBuild;
use crate::json::{self, InvalidChar};
use crate::scan::{RawAttr, is_space, scan_value};

/// Why building or writing failed; the converter adds the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildError {
    InvalidChar,
    TextTooLong,
    OutputTooLarge,
    /// The output sink returned an error.
    Sink,
}

impl From<InvalidChar> for BuildError {
    fn from(_: InvalidChar) -> Self {
        BuildError::InvalidChar
    }
}

type BResult<T> = Result<T, BuildError>;

const TAG_SHIFT: u32 = 30;
const LEN_MASK: u32 = (1 << TAG_SHIFT) - 1;
const TAG_NULL: u32 = 0;
const TAG_STR: u32 = 1;
const TAG_OBJ: u32 = 2;
const TAG_ARR: u32 = 3;
/// Marks an attribute in a pending entry's key (attributes are never forced into lists).
const ATTR_BIT: u32 = 1 << 31;
/// Key of an attribute block: a pending entry whose value is the already serialised
/// members `"@a":"1","@b":"2"` of an element's attributes. It has no key text of its own
/// (`Keys::quoted` is empty for it), so the serialiser copies the members verbatim.
const BLOCK_KEY: u32 = ATTR_BIT - 1;
/// `Frame::block_start` when the element has no attribute block.
const NO_BLOCK: usize = usize::MAX;
/// Switch from linear search to a hash map when an object has more distinct keys.
const LINEAR_GROUPS: usize = 8;
/// In `item_depth` mode the key table is dropped between records once it is this big.
const KEY_TABLE_RESET: usize = 1 << 20;

/// A value handle: a string span, an object or array range, or null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Val {
    off: u32,
    tag_len: u32,
}

impl Val {
    const NULL: Val = Val { off: 0, tag_len: 0 };

    fn new(tag: u32, off: usize, len: usize) -> BResult<Val> {
        let off = u32::try_from(off).map_err(|_| BuildError::OutputTooLarge)?;
        let len = u32::try_from(len)
            .ok()
            .filter(|l| *l <= LEN_MASK)
            .ok_or(BuildError::OutputTooLarge)?;
        Ok(Val {
            off,
            tag_len: (tag << TAG_SHIFT) | len,
        })
    }

    fn tag(self) -> u32 {
        self.tag_len >> TAG_SHIFT
    }

    fn range(self) -> std::ops::Range<usize> {
        let start = self.off as usize;
        start..start + (self.tag_len & LEN_MASK) as usize
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u32,
    val: Val,
}

struct Frame {
    key: u32,
    pending_start: usize,
    text_start: usize,
    /// Where the element's attribute block (`{"@a":"1",...`) starts in `strings`.
    block_start: usize,
    /// End of the attribute block in `strings`.
    block_end: usize,
}

#[derive(Clone, Copy)]
struct Group {
    key: u32,
    count: u32,
    first: Val,
    list: bool,
    first_is_attr: bool,
    off: u32,
    fill: u32,
}

/// Interned keys, stored JSON-escaped with their quotes and the following `:`.
#[derive(Default)]
struct Keys {
    bytes: Vec<u8>,
    spans: Vec<(u32, u32, bool)>,
    map: HashMap<Box<str>, u32, FxBuild>,
}

impl Keys {
    fn intern(&mut self, name: &str, config: &Config) -> BResult<u32> {
        if let Some(&id) = self.map.get(name) {
            return Ok(id);
        }
        let id = u32::try_from(self.spans.len())
            .ok()
            .filter(|&id| id < BLOCK_KEY)
            .ok_or(BuildError::OutputTooLarge)?;
        let start = self.bytes.len();
        json::quoted_into(&mut self.bytes, name)?;
        self.bytes.push(b':');
        let start = u32::try_from(start).map_err(|_| BuildError::OutputTooLarge)?;
        let end = u32::try_from(self.bytes.len()).map_err(|_| BuildError::OutputTooLarge)?;
        self.spans.push((start, end, config.forces_list(name)));
        self.map.insert(name.into(), id);
        Ok(id)
    }

    /// `"key":`
    fn quoted(&self, id: u32) -> &[u8] {
        let (s, e, _) = self
            .spans
            .get(id as usize)
            .copied()
            .unwrap_or((0, 0, false));
        self.bytes.get(s as usize..e as usize).unwrap_or_default()
    }

    fn forced(&self, id: u32) -> bool {
        self.spans.get(id as usize).is_some_and(|s| s.2)
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
        self.map.clear();
    }
}

/// A cached attribute name of an element name (see `TreeBuilder::attr_key`).
struct AttrSlot {
    name: String,
    id: u32,
    /// What precedes the value in the output, `,"@name":"`, then 16 padding bytes (see
    /// [`append`]).
    lead: Vec<u8>,
    lead_len: usize,
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

/// Appends `src[at..at + len]`. Short runs (most names and values) are copied as one
/// 16-byte block and cut back, cheaper than a `memcpy` call; that needs 16 readable
/// bytes in `src` from `at`.
#[inline(always)]
fn append(dst: &mut Vec<u8>, src: &[u8], at: usize, len: usize) {
    if len <= 16
        && let Some(block) = src
            .get(at..at + 16)
            .and_then(|b| <&[u8; 16]>::try_from(b).ok())
    {
        let keep = dst.len() + len;
        dst.extend_from_slice(block);
        dst.truncate(keep);
        return;
    }
    dst.extend_from_slice(src.get(at..at + len).unwrap_or_default());
}

/// Appends `value` with its predefined entity references replaced, JSON-escaped, and a
/// closing `"`; returns the length of the replaced text. `None` (with `out` partly
/// written) when it holds anything else that is not clean (see [`crate::scan`]):
/// another reference, whitespace to normalise, characters to escape, `<`.
fn predefined_refs_into(out: &mut Vec<u8>, value: &[u8]) -> Option<usize> {
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
    out.push(b'"');
    Some(len + value.len() - run)
}

/// `xmlns` or `xmlns:p`: a namespace declaration.
fn is_declaration(name: &str) -> bool {
    name == "xmlns" || name.starts_with("xmlns:")
}

/// Appends `s` escaped and quoted to the string arena.
fn store(strings: &mut Vec<u8>, max: u64, s: &str) -> BResult<Val> {
    let start = strings.len();
    json::quoted_into(strings, s)?;
    if strings.len() as u64 > max {
        return Err(BuildError::OutputTooLarge);
    }
    Val::new(TAG_STR, start, strings.len() - start)
}

/// Receives the serialised document in pieces (see `Converter::set_sink`).
pub type OutputSink = Box<dyn FnMut(&[u8]) -> std::io::Result<()> + Send>;

/// With a sink, the serialiser hands `out` over once it holds this much.
const SPILL_AT: usize = 64 << 10;

/// Hands `out` to the sink when it has grown past [`SPILL_AT`]; counts what was sent.
#[inline]
fn spill(sink: &mut Option<OutputSink>, out: &mut Vec<u8>, sent: &mut u64) -> BResult<()> {
    if out.len() >= SPILL_AT
        && let Some(sink) = sink
    {
        sink(out).map_err(|_| BuildError::Sink)?;
        *sent += out.len() as u64;
        out.clear();
    }
    Ok(())
}

/// A finished element: its name key and value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Finished {
    key: u32,
    val: Val,
}

/// Builds xmltodict-shaped values from element events.
pub(crate) struct TreeBuilder {
    config: Config,
    keys: Keys,
    text_key: u32,
    strings: Vec<u8>,
    entries: Vec<Entry>,
    items: Vec<Val>,
    pending: Vec<(u32, Val)>,
    frames: Vec<Frame>,
    text: String,
    scratch: String,
    groups: Vec<Group>,
    group_of: Vec<u32>,
    group_map: HashMap<u32, u32, FxBuild>,
    stack: Vec<(bool, u32, u32, u32)>,
    /// Per element-name key: key ids of the attributes last seen at each position
    /// (elements of one name usually repeat their attribute list).
    attr_cache: Vec<Vec<AttrSlot>>,
    /// Key ids of the two element names last seen at each depth (most recent first).
    name_cache: Vec<[(String, u32); 2]>,
    /// Whether an attribute key can equal a child element's key (prefix empty or a name
    /// character); if not, attributes need no grouping.
    attrs_may_collide: bool,
    /// No attribute key can equal a child's or the text key, so children in runs of
    /// distinct names need no group table (see [`Self::close_runs`]).
    runs_are_groups: bool,
    /// Attributes are serialised straight into one block per element (see [`BLOCK_KEY`]):
    /// possible when no attribute key can collide with a child's or the text key, and the
    /// output is not indented.
    attr_blocks: bool,
    /// Where the serialiser sends its output while writing, if anywhere.
    sink: Option<OutputSink>,
    /// Bytes handed to the sink since [`Self::take_sent`] was last called.
    sent: u64,
}

impl TreeBuilder {
    pub(crate) fn new(config: &Config) -> Self {
        let attrs_may_collide = config
            .attr_prefix
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii() || c.is_ascii_alphabetic() || c == '_' || c == ':');
        let mut b = TreeBuilder {
            config: config.clone(),
            keys: Keys::default(),
            text_key: 0,
            // Reserved, not touched: a big allocation is mapped and costs memory only as
            // it is written. Growing from empty would copy each small size into fresh
            // memory (about 100 extra page faults on a 6 MB document).
            strings: Vec::with_capacity(1 << 20),
            entries: Vec::with_capacity(1 << 14),
            items: Vec::with_capacity(1 << 14),
            pending: Vec::new(),
            frames: Vec::new(),
            text: String::new(),
            scratch: String::new(),
            groups: Vec::new(),
            group_of: Vec::new(),
            group_map: HashMap::default(),
            stack: Vec::new(),
            attr_cache: Vec::new(),
            name_cache: Vec::new(),
            attrs_may_collide,
            runs_are_groups: !attrs_may_collide
                && !config.text_key.starts_with(&config.attr_prefix),
            attr_blocks: !attrs_may_collide
                && !config.pretty
                && !config.text_key.starts_with(&config.attr_prefix),
            sink: None,
            sent: 0,
        };
        b.reset_keys();
        b
    }

    /// Sends serialised output to `sink` while it is written (see `Converter::set_sink`).
    pub(crate) fn set_sink(&mut self, sink: OutputSink) {
        self.sink = Some(sink);
    }

    /// Bytes of `out` handed to the sink since the last call (they left `out`).
    pub(crate) fn take_sent(&mut self) -> u64 {
        std::mem::take(&mut self.sent)
    }

    /// Hands all of `out` to the sink, if there is one (bytes already counted, so not in
    /// `sent`); returns whether there is a sink.
    pub(crate) fn hand_over(&mut self, out: &mut Vec<u8>) -> BResult<bool> {
        let Some(sink) = &mut self.sink else {
            return Ok(false);
        };
        if !out.is_empty() {
            sink(out).map_err(|_| BuildError::Sink)?;
            out.clear();
        }
        Ok(true)
    }

    fn reset_keys(&mut self) {
        self.keys.clear();
        self.attr_cache.clear();
        self.name_cache.clear();
        // text_key is validated non-empty and is plain text, so interning cannot fail.
        self.text_key = self
            .keys
            .intern(&self.config.text_key, &self.config)
            .unwrap_or(0);
    }

    fn store_str(&mut self, s: &str) -> BResult<Val> {
        store(&mut self.strings, self.config.max_output_bytes, s)
    }

    /// Opens an element; `name` is final (namespaces already applied).
    ///
    /// Returns whether the name was seen before (it then needs no validation).
    pub(crate) fn open(&mut self, name: &str) -> BResult<bool> {
        let depth = self.frames.len();
        let (key, known) = match self.name_cache.get_mut(depth) {
            // Unused entries (id u32::MAX, empty name) never match, not even an empty name.
            Some(pair) if pair[0].1 != u32::MAX && pair[0].0 == name => (pair[0].1, true),
            Some(pair) if pair[1].1 != u32::MAX && pair[1].0 == name => {
                pair.swap(0, 1);
                (pair[0].1, true)
            }
            _ => {
                let id = self.keys.intern(name, &self.config)?;
                if self.name_cache.len() <= depth {
                    self.name_cache.resize_with(depth + 1, || {
                        [(String::new(), u32::MAX), (String::new(), u32::MAX)]
                    });
                }
                let pair = &mut self.name_cache[depth];
                pair.swap(0, 1);
                pair[0].0.clear();
                pair[0].0.push_str(name);
                pair[0].1 = id;
                (id, false)
            }
        };
        self.frames.push(Frame {
            key,
            pending_start: self.pending.len(),
            text_start: self.text.len(),
            block_start: NO_BLOCK,
            block_end: NO_BLOCK,
        });
        Ok(known)
    }

    /// Key id of attribute number `index` of the element just opened, and whether the
    /// name matched the cached attribute list of this element name.
    ///
    /// The cache always holds the full list of the last element of that name that had a
    /// miss (validated, duplicate-free), so when every attribute is a hit the current list
    /// is a prefix of it and needs neither name nor duplicate checks.
    fn attr_key(&mut self, index: usize, name: &str) -> BResult<(u32, bool)> {
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
                let mut lead = vec![b','];
                lead.extend_from_slice(self.keys.quoted(id));
                lead.push(b'"');
                let lead_len = lead.len();
                lead.resize(lead_len + 16, 0);
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
                    lead,
                    lead_len,
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
            let val = store(&mut self.strings, self.config.max_output_bytes, value)?;
            self.pending.push((key | ATTR_BIT, val));
            return Ok(known);
        }
        let Some(frame) = self.frames.last_mut() else {
            return Ok(known);
        };
        let strings = &mut self.strings;
        let quoted_key = self.keys.quoted(key);
        strings.reserve(quoted_key.len() + value.len() + 3);
        if frame.block_start == NO_BLOCK {
            frame.block_start = strings.len();
            strings.push(b'{');
        } else {
            strings.push(b',');
        }
        strings.extend_from_slice(quoted_key);
        json::value_into(strings, value, clean)?;
        if strings.len() as u64 > self.config.max_output_bytes {
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
        // Enough for every attribute (`,"@k":"v"` is at most the prefix and 4 bytes longer
        // than ` k="v"`), so the pushes below never reallocate.
        strings.reserve(raw.len() + cache.len() * (self.config.attr_prefix.len() + 4) + 32);
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
                    append(strings, &slot.lead, 0, slot.lead_len);
                    match predefined_refs_into(strings, value) {
                        Some(len) if len as u64 <= max_value => {
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
                append(strings, &slot.lead, 0, slot.lead_len - 1);
                if json::quoted_into(strings, &normalized).is_err() {
                    strings.truncate(undo);
                    break false;
                }
                n += 1;
                i = end + 1;
                continue;
            }
            if value.len() as u64 > max_value {
                break false;
            }
            append(strings, &slot.lead, 0, slot.lead_len);
            if quote == b'"' {
                // The value and its closing quote.
                append(strings, raw, start, value.len() + 1);
            } else {
                append(strings, raw, start, value.len());
                strings.push(b'"');
            }
            n += 1;
            i = end + 1;
        };
        if !ok || strings.len() as u64 > self.config.max_output_bytes {
            strings.truncate(mark);
            return false;
        }
        if n > 0 {
            // The first lead's comma opens the object.
            if let Some(first) = strings.get_mut(mark) {
                *first = b'{';
            }
            frame.block_start = mark;
        }
        true
    }

    /// Ends the attributes of the element just opened (after its last [`Self::attr`]).
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

    /// Opens an element with all its attributes and declarations (namespace mode).
    pub(crate) fn start(&mut self, name: &str, attrs: &Attrs) -> BResult<()> {
        self.open(name)?;
        for (i, (name, value)) in attrs.iter().enumerate() {
            // Never a block: the `@xmlns` object below joins the same object.
            let (key, _) = self.attr_key(i, name)?;
            let val = store(&mut self.strings, self.config.max_output_bytes, value)?;
            self.pending.push((key | ATTR_BIT, val));
        }
        if attrs.has_decls() {
            // process_namespaces: declarations gathered in one `@xmlns` object.
            let mut block = Vec::new();
            for (prefix, uri) in attrs.decls() {
                let key = self.keys.intern(prefix, &self.config)?;
                let val = match uri {
                    Some(uri) => self.store_str(uri)?,
                    None => Val::NULL,
                };
                block.push(Entry { key, val });
            }
            let first = self.entries.len();
            let n = block.len();
            self.entries.extend(block);
            self.scratch.clear();
            self.scratch.push_str(&self.config.attr_prefix);
            self.scratch.push_str("xmlns");
            let key = self.keys.intern(&self.scratch, &self.config)?;
            self.pending
                .push((key | ATTR_BIT, Val::new(TAG_OBJ, first, n)?));
        }
        Ok(())
    }

    /// Character data of the innermost open element.
    /// Whether whitespace arriving now would be dropped: it would lead the innermost
    /// element's text, which is stripped.
    pub(crate) fn drops_leading_space(&self) -> bool {
        self.config.strip_whitespace
            && self.text.len() == self.frames.last().map_or(0, |f| f.text_start)
    }

    pub(crate) fn text(&mut self, mut t: &str) -> BResult<()> {
        let start = self.frames.last().map_or(0, |f| f.text_start);
        if self.config.strip_whitespace && self.text.len() == start {
            // Leading whitespace is stripped anyway; not storing it keeps the text of
            // record containers (an OSM root: whitespace between millions of children) empty.
            t = t.trim_start();
        }
        if t.is_empty() {
            return Ok(());
        }
        if (self.text.len() - start + t.len()) as u64 > self.config.max_text_bytes {
            return Err(BuildError::TextTooLong);
        }
        self.text.push_str(t);
        Ok(())
    }

    /// Closes the innermost element. Returns it when it was the outermost open one.
    pub(crate) fn end(&mut self) -> BResult<Option<Finished>> {
        let Some(frame) = self.frames.pop() else {
            return Ok(None);
        };
        let has_entries = self.pending.len() > frame.pending_start;
        let raw = self.text.get(frame.text_start..).unwrap_or("");
        let text = if raw.is_empty() {
            raw
        } else if self.config.strip_whitespace {
            raw.trim()
        } else {
            raw
        };
        let text_val = if text.is_empty() {
            None
        } else {
            Some(store(
                &mut self.strings,
                self.config.max_output_bytes,
                text,
            )?)
        };
        self.text.truncate(frame.text_start);
        if text_val.is_none()
            && frame.block_end == self.strings.len()
            && self.pending.len() == frame.pending_start + 1
        {
            // Attributes only: the block is the whole object, still at the arena's end.
            self.strings.push(b'}');
            self.pending.truncate(frame.pending_start);
            let val = Val::new(
                TAG_STR,
                frame.block_start,
                self.strings.len() - frame.block_start,
            )?;
            return Ok(self.finish_child(frame.key, val));
        }
        let val = match (text_val, has_entries) {
            (Some(t), false) => t,
            (Some(t), true) => {
                self.pending.push((self.text_key, t));
                self.close_object(frame.pending_start)?
            }
            (None, true) => self.close_object(frame.pending_start)?,
            (None, false) => Val::NULL,
        };
        Ok(self.finish_child(frame.key, val))
    }

    /// Hands a closed element to its parent, or returns it when it was the outermost.
    fn finish_child(&mut self, key: u32, val: Val) -> Option<Finished> {
        if self.frames.is_empty() {
            return Some(Finished { key, val });
        }
        self.pending.push((key, val));
        None
    }

    fn group_index(&mut self, key: u32, from: usize) -> Option<usize> {
        if self.groups.len() - from <= LINEAR_GROUPS {
            return self.groups[from..]
                .iter()
                .position(|g| g.key == key)
                .map(|i| i + from);
        }
        if self.group_map.is_empty() {
            for (i, g) in self.groups.iter().enumerate() {
                self.group_map.insert(g.key, i as u32);
            }
        }
        self.group_map.get(&key).map(|&i| i as usize)
    }

    /// [`Self::close_object`] for children that come in runs of distinct names (all the
    /// `<node>`s, then the `<way>`s; `<nd>`s, then `<tag>`s): the usual shape of data, where
    /// each run is a group of its own and no group table is needed. The same entries and
    /// items as the general path. `None`, with nothing changed, when a name comes back after
    /// another one or there are more than [`LINEAR_GROUPS`] runs.
    fn close_runs(&mut self, start: usize) -> BResult<Option<Val>> {
        let pending = self.pending.get(start..).unwrap_or_default();
        // Attributes come first, each its own group (`runs_are_groups`: they cannot share
        // a key with a child or the text).
        let attrs = pending
            .iter()
            .take_while(|(k, _)| k & ATTR_BIT != 0)
            .count();
        let mut seen = [0u32; LINEAR_GROUPS];
        let mut runs = 0;
        let mut i = attrs;
        while let Some(&(key, _)) = pending.get(i) {
            if key & ATTR_BIT != 0 || runs == LINEAR_GROUPS || seen[..runs].contains(&key) {
                return Ok(None);
            }
            seen[runs] = key;
            runs += 1;
            while pending.get(i).is_some_and(|&(k, _)| k == key) {
                i += 1;
            }
        }
        let first = self.entries.len();
        self.entries
            .extend(pending[..attrs].iter().map(|&(k, val)| Entry {
                key: k & !ATTR_BIT,
                val,
            }));
        let mut i = attrs;
        while let Some(&(key, val)) = pending.get(i) {
            let run = i;
            while pending.get(i).is_some_and(|&(k, _)| k == key) {
                i += 1;
            }
            let val = if i - run > 1 || self.keys.forced(key) {
                let off = self.items.len();
                self.items
                    .extend(pending[run..i].iter().map(|&(_, item)| item));
                Val::new(TAG_ARR, off, i - run)?
            } else {
                val
            };
            self.entries.push(Entry { key, val });
        }
        let n = self.entries.len() - first;
        self.pending.truncate(start);
        Val::new(TAG_OBJ, first, n).map(Some)
    }

    /// Groups the pending children of a closing element by key (first-occurrence order).
    fn close_object(&mut self, start: usize) -> BResult<Val> {
        let only_attrs = self.pending[start..].iter().all(|(k, _)| k & ATTR_BIT != 0);
        if only_attrs && !self.attrs_may_collide {
            // Distinct attribute keys only: no grouping to do.
            let first = self.entries.len();
            let n = self.pending.len() - start;
            self.entries
                .extend(self.pending[start..].iter().map(|&(k, val)| Entry {
                    key: k & !ATTR_BIT,
                    val,
                }));
            self.pending.truncate(start);
            return Val::new(TAG_OBJ, first, n);
        }
        if self.runs_are_groups
            && let Some(val) = self.close_runs(start)?
        {
            return Ok(val);
        }
        self.groups.clear();
        self.group_of.clear();
        self.group_map.clear();
        // Attributes come first and are distinct from each other (the parser checks), so
        // unless they can collide with element names each one is its own group.
        let mut i = start;
        if !self.attrs_may_collide {
            while let Some(&(raw_key, val)) = self.pending.get(i) {
                if raw_key & ATTR_BIT == 0 {
                    break;
                }
                self.groups.push(Group {
                    key: raw_key & !ATTR_BIT,
                    count: 1,
                    first: val,
                    list: false,
                    first_is_attr: true,
                    off: 0,
                    fill: 0,
                });
                self.group_of.push((self.groups.len() - 1) as u32);
                i += 1;
            }
        }
        let first_child_group = if self.attrs_may_collide {
            0
        } else {
            self.groups.len()
        };
        // Runs of one name (`<nd>`, `<nd>`, ...) find their group once.
        let mut last: Option<(u32, usize)> = None;
        for i in i..self.pending.len() {
            let (raw_key, val) = self.pending[i];
            let key = raw_key & !ATTR_BIT;
            if let Some((k, g)) = last
                && k == key
            {
                self.groups[g].count += 1;
                self.group_of.push(g as u32);
                continue;
            }
            // The text key may equal an attribute key (prefix + name); search all groups.
            let from = if key == self.text_key {
                0
            } else {
                first_child_group
            };
            let g = match self.group_index(key, from) {
                Some(g) => g,
                None => {
                    self.groups.push(Group {
                        key,
                        count: 0,
                        first: val,
                        list: false,
                        first_is_attr: raw_key & ATTR_BIT != 0,
                        off: 0,
                        fill: 0,
                    });
                    let g = self.groups.len() - 1;
                    if !self.group_map.is_empty() {
                        self.group_map.insert(key, g as u32);
                    }
                    g
                }
            };
            self.groups[g].count += 1;
            self.group_of.push(g as u32);
            last = Some((key, g));
        }
        let mut next = self.items.len();
        for g in &mut self.groups {
            g.list = g.count > 1 || (!g.first_is_attr && self.keys.forced(g.key));
            if g.list {
                g.off = u32::try_from(next).map_err(|_| BuildError::OutputTooLarge)?;
                next += g.count as usize;
            }
        }
        self.items.resize(next, Val::NULL);
        for (i, &g) in self.group_of.iter().enumerate() {
            let group = &mut self.groups[g as usize];
            if group.list {
                self.items[(group.off + group.fill) as usize] = self.pending[start + i].1;
                group.fill += 1;
            }
        }
        let first = self.entries.len();
        for g in &self.groups {
            let val = if g.list {
                Val::new(TAG_ARR, g.off as usize, g.count as usize)?
            } else {
                g.first
            };
            self.entries.push(Entry { key: g.key, val });
        }
        self.pending.truncate(start);
        Val::new(TAG_OBJ, first, self.groups.len())
    }

    /// Writes `{"name": value}` (value wrapped in an array when `force_root` and the
    /// name is forced) and appends a newline. Fails once `out` grows past `budget` bytes.
    pub(crate) fn write_record(
        &mut self,
        done: Finished,
        force_root: bool,
        out: &mut Vec<u8>,
        budget: u64,
    ) -> BResult<()> {
        // Bytes already sent to the sink count as written.
        let limit = (self.sent + out.len() as u64).saturating_add(budget);
        let pretty = self.config.pretty;
        out.push(b'{');
        if pretty {
            json::newline_indent(out, 1);
        }
        out.extend_from_slice(self.keys.quoted(done.key));
        if pretty {
            out.push(b' ');
        }
        if force_root && self.keys.forced(done.key) {
            out.push(b'[');
            if pretty {
                json::newline_indent(out, 2);
            }
            self.write_value(done.val, 2, out, limit)?;
            if pretty {
                json::newline_indent(out, 1);
            }
            out.push(b']');
        } else {
            self.write_value(done.val, 1, out, limit)?;
        }
        if pretty {
            out.push(b'\n');
        }
        out.extend_from_slice(b"}\n");
        if self.sent + out.len() as u64 > limit {
            return Err(BuildError::OutputTooLarge);
        }
        Ok(())
    }

    /// Iterative serialiser: `stack` holds (is_object, first, next, end) per open container.
    fn write_value(&mut self, val: Val, base: usize, out: &mut Vec<u8>, limit: u64) -> BResult<()> {
        let pretty = self.config.pretty;
        self.stack.clear();
        let mut current = Some(val);
        loop {
            if let Some(v) = current.take() {
                match v.tag() {
                    TAG_NULL => out.extend_from_slice(b"null"),
                    TAG_STR => {
                        out.extend_from_slice(self.strings.get(v.range()).unwrap_or_default());
                    }
                    tag => {
                        let r = v.range();
                        let is_obj = tag == TAG_OBJ;
                        if r.is_empty() {
                            out.extend_from_slice(if is_obj { b"{}" } else { b"[]" });
                        } else {
                            out.push(if is_obj { b'{' } else { b'[' });
                            self.stack
                                .push((is_obj, r.start as u32, r.start as u32, r.end as u32));
                        }
                    }
                }
                if self.sent + out.len() as u64 > limit {
                    return Err(BuildError::OutputTooLarge);
                }
                spill(&mut self.sink, out, &mut self.sent)?;
            }
            let level = base + self.stack.len();
            let Some(top) = self.stack.last_mut() else {
                return Ok(());
            };
            let (is_obj, first, next, end) = *top;
            if next == end {
                self.stack.pop();
                if pretty {
                    json::newline_indent(out, level - 1);
                }
                out.push(if is_obj { b'}' } else { b']' });
                continue;
            }
            top.2 += 1;
            if next != first {
                out.push(b',');
            }
            if pretty {
                json::newline_indent(out, level);
            }
            if is_obj {
                let entry = self.entries.get(next as usize).copied().unwrap_or(Entry {
                    key: 0,
                    val: Val::NULL,
                });
                out.extend_from_slice(self.keys.quoted(entry.key));
                if pretty {
                    out.push(b' ');
                }
                current = Some(entry.val);
            } else {
                current = Some(self.items.get(next as usize).copied().unwrap_or(Val::NULL));
            }
        }
    }

    /// Drops everything built so far (between `item_depth` records).
    pub(crate) fn reset(&mut self) {
        self.strings.clear();
        self.entries.clear();
        self.items.clear();
        self.pending.clear();
        self.frames.clear();
        self.text.clear();
        if self.keys.bytes.len() > KEY_TABLE_RESET {
            self.reset_keys();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds and writes a document given as a list of steps: `<name` opens (with the
    /// attributes after spaces, `k=v`), `>` closes, anything else is text.
    fn build(config: &Config, runs_are_groups: bool, steps: &[&str]) -> String {
        let mut b = TreeBuilder::new(config);
        b.runs_are_groups = runs_are_groups;
        let mut out = Vec::new();
        for step in steps {
            if let Some(tag) = step.strip_prefix('<') {
                let mut parts = tag.split(' ');
                b.open(parts.next().unwrap_or_default()).unwrap();
                for (i, attr) in parts.enumerate() {
                    let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                    b.attr(i, k, v, true).unwrap();
                }
                b.attrs_done().unwrap();
            } else if *step == ">" {
                if let Some(done) = b.end().unwrap() {
                    b.write_record(done, true, &mut out, u64::MAX).unwrap();
                }
            } else {
                b.text(step).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Children in runs of distinct names skip the group table (`close_runs`); every
    /// shape gives what the general grouping gives, including the shapes it declines.
    #[test]
    fn runs_give_the_same_objects_as_general_grouping() {
        let shapes: &[&[&str]] = &[
            // Runs: one, several, a single child, attributes first.
            &[
                "<r", "<a", ">", "<a", ">", "<b x=1", ">", "<c", "t", ">", "<c", ">", ">",
            ],
            &["<r k=v", "<a", "1", ">", ">"],
            // A name coming back after another: the general path.
            &["<r", "<a", ">", "<b", ">", "<a", ">", ">"],
            // More runs than the linear limit.
            &[
                "<r", "<a", ">", "<b", ">", "<c", ">", "<d", ">", "<e", ">", "<f", ">", "<g", ">",
                "<h", ">", "<i", ">", "<j", ">", ">",
            ],
            // Text next to children, and a child named like the text key.
            &["<r", "<a", ">", "mixed", "<b", ">", ">"],
            &["<r", "<text", "x", ">", "y", ">"],
            // Nested runs.
            &[
                "<r", "<w", "<nd", ">", "<nd", ">", "<tag k=a", ">", ">", "<w", "<nd", ">", ">",
                ">",
            ],
        ];
        let configs = [
            Config::default(),
            Config::from_payload(r#"{"force_list":["a","nd"]}"#).unwrap(),
            Config::from_payload(r#"{"force_list":true}"#).unwrap(),
            Config::from_payload(r#"{"text_key":"text"}"#).unwrap(),
            Config::from_payload(r#"{"pretty":true}"#).unwrap(),
        ];
        for config in &configs {
            for steps in shapes {
                let runs = build(config, true, steps);
                let general = build(config, false, steps);
                assert_eq!(runs, general, "{steps:?}");
                assert!(!runs.is_empty());
            }
        }
    }

    /// The shortcut for predefined references gives what quick-xml's normaliser and the
    /// JSON escaper give, or declines.
    #[test]
    fn predefined_refs_match_the_general_path() {
        let values = [
            "a &amp; b",
            "&lt;x&gt;",
            "&apos;&quot;",
            "&amp;amp;",
            "é &amp; ü|",
            "&amp",
            "&ampx;",
            "&#38;",
            "a\tb &amp;",
            "&nbsp;",
            "x\"y",
            "x\\y &lt;",
            "<&amp;",
            "&quot;&quot;",
            "&",
        ];
        for v in values {
            let mut fast = Vec::new();
            let got = predefined_refs_into(&mut fast, v.as_bytes());
            let attr = RawAttr {
                key: "k",
                raw: v,
                clean: false,
            };
            let slow = attr.value(XmlVersion::Implicit1_0, 1, resolve_predefined_entity);
            match got {
                Some(len) => {
                    let normalized = slow.unwrap();
                    let mut expected = Vec::new();
                    json::quoted_into(&mut expected, &normalized).unwrap();
                    // `fast` lacks the opening quote (it comes with the lead).
                    assert_eq!(fast, expected[1..], "{v}");
                    assert_eq!(len, normalized.len(), "{v}");
                }
                None => assert!(
                    v.contains(['\t', '"', '\\', '<']) || v.contains("&#") || slow.is_err(),
                    "{v} declined"
                ),
            }
        }
    }
}
