//! One element's attributes and namespace declarations, as handed to the output builders.

use std::ops::Range;

/// Attributes of the element being started, stored in one reusable buffer.
#[derive(Default)]
pub(crate) struct Attrs {
    buf: String,
    items: Vec<(Range<usize>, Range<usize>)>,
    decls: Vec<(Range<usize>, Option<Range<usize>>)>,
}

impl Attrs {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.items.clear();
        self.decls.clear();
    }

    fn put(&mut self, s: &str) -> Range<usize> {
        let start = self.buf.len();
        self.buf.push_str(s);
        start..self.buf.len()
    }

    /// Adds an attribute; `name` is the final name (without the attribute prefix).
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        let name = self.put(name);
        let value = self.put(value);
        self.items.push((name, value));
    }

    /// Adds a namespace declaration (`process_namespaces` mode); `""` is the default prefix,
    /// `None` an undeclared default namespace (`xmlns=""`).
    pub(crate) fn push_decl(&mut self, prefix: &str, uri: Option<&str>) {
        let prefix = self.put(prefix);
        let uri = uri.map(|u| self.put(u));
        self.decls.push((prefix, uri));
    }

    /// Replaces the name of attribute `index` (namespace expansion).
    pub(crate) fn rename(&mut self, index: usize, name: &str) {
        let range = self.put(name);
        if let Some(item) = self.items.get_mut(index) {
            item.0 = range;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// `(name, value)` pairs in document order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.items.iter().map(|(n, v)| {
            (
                self.buf.get(n.clone()).unwrap_or(""),
                self.buf.get(v.clone()).unwrap_or(""),
            )
        })
    }

    pub(crate) fn name(&self, index: usize) -> &str {
        self.items
            .get(index)
            .and_then(|(n, _)| self.buf.get(n.clone()))
            .unwrap_or("")
    }

    /// Namespace declarations `(prefix, uri)` in document order.
    pub(crate) fn decls(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.decls.iter().map(|(p, u)| {
            (
                self.buf.get(p.clone()).unwrap_or(""),
                u.as_ref().map(|u| self.buf.get(u.clone()).unwrap_or("")),
            )
        })
    }

    pub(crate) fn has_decls(&self) -> bool {
        !self.decls.is_empty()
    }
}
