//! Order-preserving JsonML-style output, written while parsing (constant memory).
//!
//! Element: `["name", {"attr": "value", ...}?, child, ...]`; text nodes are strings;
//! comments and processing instructions are dropped. With `process_namespaces` the
//! declarations appear as an `"xmlns"` object among the attributes.

use crate::attrs::Attrs;
use crate::config::Config;
use crate::json::{self, InvalidChar};
use crate::tree::BuildError;

/// Streaming JsonML writer for one record at a time.
pub(crate) struct OrderedWriter {
    pretty: bool,
    strip: bool,
    max_text: u64,
    text: String,
    depth: usize,
    attrs_open: bool,
}

impl OrderedWriter {
    pub(crate) fn new(config: &Config) -> Self {
        OrderedWriter {
            pretty: config.pretty,
            strip: config.strip_whitespace,
            max_text: config.max_text_bytes,
            text: String::new(),
            depth: 0,
            attrs_open: false,
        }
    }

    fn child_separator(&self, out: &mut Vec<u8>) {
        out.push(b',');
        if self.pretty {
            json::newline_indent(out, self.depth);
        }
    }

    fn flush_text(&mut self, out: &mut Vec<u8>) -> Result<(), InvalidChar> {
        if self.text.is_empty() {
            return Ok(());
        }
        if !(self.strip && self.text.trim().is_empty()) {
            self.child_separator(out);
            json::quoted_into(out, &self.text)?;
        }
        self.text.clear();
        Ok(())
    }

    /// Starts an element; attributes follow with [`Self::attr`], then [`Self::open_done`].
    pub(crate) fn open(&mut self, name: &str, out: &mut Vec<u8>) -> Result<(), BuildError> {
        self.flush_text(out)?;
        if self.depth > 0 {
            self.child_separator(out);
        }
        out.push(b'[');
        json::quoted_into(out, name)?;
        self.attrs_open = false;
        Ok(())
    }

    fn attr_separator(&mut self, out: &mut Vec<u8>) {
        if self.attrs_open {
            out.push(b',');
        } else {
            out.extend_from_slice(if self.pretty { b", {" } else { b",{" });
            self.attrs_open = true;
        }
    }

    pub(crate) fn attr(
        &mut self,
        name: &str,
        value: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), BuildError> {
        self.attr_separator(out);
        json::quoted_into(out, name)?;
        out.push(b':');
        json::quoted_into(out, value)?;
        Ok(())
    }

    /// [`Self::attr`] for a validated XML name (nothing to escape in it) and a value
    /// known to be clean (`clean`) or to be escaped.
    pub(crate) fn plain_attr(
        &mut self,
        name: &str,
        value: &str,
        clean: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), BuildError> {
        self.attr_separator(out);
        out.reserve(name.len() + value.len() + 5);
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        json::value_into(out, value, clean)?;
        Ok(())
    }

    /// Ends the start tag: closes the attribute object, if any.
    pub(crate) fn open_done(&mut self, out: &mut Vec<u8>) {
        if self.attrs_open {
            out.push(b'}');
            self.attrs_open = false;
        }
        self.depth += 1;
    }

    /// Starts an element with all its attributes and declarations (namespace mode).
    pub(crate) fn start(
        &mut self,
        name: &str,
        attrs: &Attrs,
        out: &mut Vec<u8>,
    ) -> Result<(), BuildError> {
        self.open(name, out)?;
        for (k, v) in attrs.iter() {
            self.attr(k, v, out)?;
        }
        if attrs.has_decls() {
            self.attr_separator(out);
            out.extend_from_slice(b"\"xmlns\":{");
            for (i, (prefix, uri)) in attrs.decls().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json::quoted_into(out, prefix)?;
                out.push(b':');
                match uri {
                    Some(uri) => json::quoted_into(out, uri)?,
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.push(b'}');
        }
        self.open_done(out);
        Ok(())
    }

    pub(crate) fn text(&mut self, t: &str) -> Result<(), BuildError> {
        if (self.text.len() + t.len()) as u64 > self.max_text {
            return Err(BuildError::TextTooLong);
        }
        self.text.push_str(t);
        Ok(())
    }

    /// Closes an element; returns true when the record (outermost element) is complete.
    pub(crate) fn end(&mut self, out: &mut Vec<u8>) -> Result<bool, BuildError> {
        self.flush_text(out)?;
        self.depth = self.depth.saturating_sub(1);
        if self.pretty {
            json::newline_indent(out, self.depth);
        }
        out.push(b']');
        if self.depth == 0 {
            out.push(b'\n');
            return Ok(true);
        }
        Ok(false)
    }
}
