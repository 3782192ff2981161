//! The xmltodict mapping: a compact arena tree built from events, then serialised.
//!
//! Grouping repeated siblings (adjacent or not) into arrays can only be decided when the
//! parent closes, so every element's children are kept until then. To keep memory near the
//! input size, strings are stored once, already JSON-escaped, in one byte arena; keys are
//! interned; values are 8-byte handles; finished objects and arrays live in two arenas.
//! Nothing here recurses on document depth: the serialiser uses an explicit stack.
//!
//! Building is here; attributes (their key cache and the one-block fast path) are in
//! `attributes.rs`, closing an element (grouping its children) in `group.rs`, writing
//! the JSON in `write.rs`.

use std::collections::HashMap;

use crate::attrs::Attrs;
use crate::config::Config;
use crate::fxhash::FxBuild;
use crate::json::{self, InvalidChar};

mod arena;
mod attributes;
mod compact;
mod group;
mod parallel;
#[cfg(test)]
mod tests;
mod write;

pub(crate) use arena::Arena;
use attributes::AttrSlot;
pub use write::OutputSink;

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
/// Key of an attribute block: a pending entry whose value is the compact members of an
/// element's attributes (see `compact.rs`), which the serialiser writes as
/// `"@a":"1","@b":"2"`. It has no key text of its own (`Keys::quoted` is empty for it).
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
    /// Where the element's attribute block (see `compact.rs`) starts in `strings`.
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

/// Interned keys, stored JSON-escaped as `,"key":"`: the middle, `"key":`, is the key as an
/// object member is written, the whole of it what precedes an attribute's value in a block.
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
        self.bytes.push(b',');
        json::quoted_into(&mut self.bytes, name)?;
        self.bytes.extend_from_slice(b":\"");
        let start = u32::try_from(start).map_err(|_| BuildError::OutputTooLarge)?;
        let end = u32::try_from(self.bytes.len()).map_err(|_| BuildError::OutputTooLarge)?;
        self.spans.push((start, end, config.forces_list(name)));
        self.map.insert(name.into(), id);
        Ok(id)
    }

    /// `"key":`
    fn quoted(&self, id: u32) -> &[u8] {
        let (s, e) = self.span(id);
        self.bytes
            .get(s + 1..e.saturating_sub(1))
            .unwrap_or_default()
    }

    /// Where `,"key":"` is in `bytes` (empty for an unknown id).
    #[inline(always)]
    fn span(&self, id: u32) -> (usize, usize) {
        self.spans
            .get(id as usize)
            .map_or((0, 0), |&(s, e, _)| (s as usize, e as usize))
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

/// Appends `s` escaped and quoted to the string arena.
fn store(strings: &mut Arena, max: u64, s: &str) -> BResult<Val> {
    let start = strings.len();
    json::quoted_into(strings, s)?;
    if strings.len() as u64 > max {
        return Err(BuildError::OutputTooLarge);
    }
    Val::new(TAG_STR, start, strings.len() - start)
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
    strings: Arena,
    entries: Vec<Entry>,
    items: Vec<Val>,
    pending: Vec<(u32, Val)>,
    frames: Vec<Frame>,
    text: String,
    scratch: String,
    groups: Vec<Group>,
    group_of: Vec<u32>,
    group_map: HashMap<u32, u32, FxBuild>,
    stack: Vec<write::Open>,
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
    /// Big arrays are serialised on two threads (`parallel.rs`).
    pub(crate) split_arrays: bool,
    /// How much longer than stored the attribute blocks will be once written (their keys
    /// spelled out, see `compact.rs`): `max_output_bytes` counts the stored document as
    /// soon as it is parsed, as written.
    unwritten: u64,
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
            // Address space reserved, not touched; huge pages beyond 2 MiB (see `arena.rs`).
            strings: Arena::new(),
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
            split_arrays: false,
            unwritten: 0,
        };
        b.reset_keys();
        b
    }

    /// The document is about `len` bytes (see `Converter::set_expected_len`).
    pub(crate) fn expect_len(&mut self, len: u64) {
        self.strings.expect(len);
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
        let limit = self.stored_limit();
        store(&mut self.strings, limit, s)
    }

    /// The most the arena may hold: `max_output_bytes` less what its blocks grow by when
    /// written.
    fn stored_limit(&self) -> u64 {
        self.config.max_output_bytes.saturating_sub(self.unwritten)
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

    /// Opens an element with all its attributes and declarations (namespace mode).
    pub(crate) fn start(&mut self, name: &str, attrs: &Attrs) -> BResult<()> {
        self.open(name)?;
        for (i, (name, value)) in attrs.iter().enumerate() {
            // Never a block: the `@xmlns` object below joins the same object.
            let (key, _) = self.attr_key(i, name)?;
            let val = {
                let limit = self.stored_limit();
                store(&mut self.strings, limit, value)?
            };
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
            let limit = self.stored_limit();
            Some(store(&mut self.strings, limit, text)?)
        };
        self.text.truncate(frame.text_start);
        if text_val.is_none()
            && frame.block_end == self.strings.len()
            && self.pending.len() == frame.pending_start + 1
        {
            // Attributes only: the block, still at the arena's end, is the whole object.
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

    /// Drops everything built so far (between `item_depth` records).
    pub(crate) fn reset(&mut self) {
        self.strings.clear();
        self.entries.clear();
        self.items.clear();
        self.pending.clear();
        self.frames.clear();
        self.text.clear();
        self.unwritten = 0;
        if self.keys.bytes.len() > KEY_TABLE_RESET {
            self.reset_keys();
        }
    }
}
