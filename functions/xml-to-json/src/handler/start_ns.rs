//! Start tags with namespace processing (`process_namespaces`): a tag's declarations
//! apply to its own name and attributes, so all attributes are read first, then the
//! names are resolved and the element goes to the output builder whole.

use quick_xml::events::BytesStart;

use super::start::{
    DUPLICATE_ATTRIBUTE, INVALID_ATTRIBUTE, INVALID_ATTRIBUTE_NAME, INVALID_ELEMENT_NAME,
    attribute_value, declared_prefix, exact_duplicates, has_duplicates, hash_str, lt_first,
};
use super::{Core, Sink};
use crate::names::is_valid_name;
use crate::problem::Problem;
use crate::scan::AttrScanner;

impl Core {
    /// A start tag under namespace processing (after the common part of `start`).
    pub(super) fn start_ns(
        &mut self,
        e: &BytesStart<'_>,
        raw_name: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), Problem> {
        if !is_valid_name(raw_name) {
            return Err(INVALID_ELEMENT_NAME);
        }
        let attributes_raw = e.attributes_raw();
        self.attrs.clear();
        self.attr_hashes.clear();
        let mut decls: u32 = 0;
        let mut prefixed = false;
        let looped = (|| -> Result<(), Problem> {
            let mut attributes = AttrScanner::new(attributes_raw, self.version);
            let mut index = 0usize;
            while let Some(attr) = attributes.next_attr().map_err(|_| INVALID_ATTRIBUTE)? {
                if index as u64 >= u64::from(self.config.max_attributes) {
                    return Err(Problem::Limit("max_attributes"));
                }
                index += 1;
                let key: &str = attr.key;
                if !is_valid_name(key) {
                    return Err(INVALID_ATTRIBUTE_NAME);
                }
                self.attr_hashes.push(hash_str(key));
                let value = attribute_value(
                    &attr,
                    self.version,
                    self.external_dtd,
                    self.config.max_text_bytes,
                )?;
                match declared_prefix(key) {
                    Some(prefix) => {
                        decls += 1;
                        if value.is_empty() && !prefix.is_empty() {
                            return Err(Problem::Malformed("cannot undeclare a namespace prefix"));
                        }
                        let uri = if value.is_empty() {
                            None
                        } else {
                            Some(&*value)
                        };
                        self.ns.bind(prefix, uri);
                        self.attrs.push_decl(prefix, uri);
                    }
                    None => {
                        prefixed |= key.contains(':');
                        self.attrs.push(key, &value);
                    }
                }
            }
            Ok(())
        })();
        looped.map_err(|p| lt_first(attributes_raw, p))?;
        if has_duplicates(&mut self.attr_hashes) && exact_duplicates(e) {
            return Err(DUPLICATE_ATTRIBUTE);
        }
        self.push_declarations(decls)?;
        self.ns
            .expand(raw_name, false, &self.config.namespaces, &mut self.name_buf)?;
        if prefixed {
            self.expand_attribute_names()?;
        }
        if self.depth >= self.record_depth {
            match &mut self.sink {
                Sink::Tree(b) => b.start(&self.name_buf, &self.attrs)?,
                Sink::Ordered(w) => w.start(&self.name_buf, &self.attrs, out)?,
            }
        }
        Ok(())
    }

    /// Resolves prefixed attribute names; two names resolving alike are an error (expat).
    fn expand_attribute_names(&mut self) -> Result<(), Problem> {
        self.expanded.clear();
        let mut name = String::new();
        for i in 0..self.attrs.len() {
            self.ns
                .expand(self.attrs.name(i), true, &self.config.namespaces, &mut name)?;
            if self.expanded.contains(&name) {
                return Err(DUPLICATE_ATTRIBUTE);
            }
            self.expanded.push(name.clone());
        }
        for i in 0..self.expanded.len() {
            let n = std::mem::take(&mut self.expanded[i]);
            self.attrs.rename(i, &n);
        }
        Ok(())
    }
}
