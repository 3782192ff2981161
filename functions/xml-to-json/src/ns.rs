//! Namespace resolution for `process_namespaces` (expat + xmltodict semantics).

use std::collections::BTreeMap;

/// The namespace bound to the `xml` prefix by the Namespaces in XML recommendation.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a qualified name cannot be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NsError {
    /// `p:x` with no `xmlns:p` in scope.
    UnboundPrefix,
    /// `a:b:c`, `:a`, `a:`.
    BadName,
}

/// In-scope namespace bindings, innermost last.
#[derive(Default)]
pub(crate) struct Namespaces {
    bindings: Vec<(String, Option<String>)>,
}

impl Namespaces {
    /// Binds `prefix` (`""` = default namespace) to `uri` (`None` = no namespace).
    pub(crate) fn bind(&mut self, prefix: &str, uri: Option<&str>) {
        self.bindings
            .push((prefix.to_owned(), uri.map(str::to_owned)));
    }

    /// Drops the `n` most recent bindings (the element that declared them ended).
    pub(crate) fn unbind(&mut self, n: usize) {
        let keep = self.bindings.len().saturating_sub(n);
        self.bindings.truncate(keep);
    }

    fn lookup(&self, prefix: &str) -> Option<Option<&str>> {
        if prefix == "xml" {
            return Some(Some(XML_NS));
        }
        self.bindings
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, u)| u.as_deref())
    }

    /// Writes the xmltodict name of `qname` into `out`: `URI:local`, or the short prefix from
    /// `map` (`short:local`; `null`/`""` → `local`), or `local` when there is no namespace.
    /// Unprefixed attributes (`is_attr`) never take the default namespace.
    pub(crate) fn expand(
        &self,
        qname: &str,
        is_attr: bool,
        map: &BTreeMap<String, Option<String>>,
        out: &mut String,
    ) -> Result<(), NsError> {
        out.clear();
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => {
                if p.is_empty() || l.is_empty() || l.contains(':') {
                    return Err(NsError::BadName);
                }
                (p, l)
            }
            None => ("", qname),
        };
        let uri = if prefix.is_empty() {
            if is_attr {
                None
            } else {
                self.lookup("").flatten()
            }
        } else {
            Some(
                self.lookup(prefix)
                    .flatten()
                    .ok_or(NsError::UnboundPrefix)?,
            )
        };
        match uri {
            None => out.push_str(local),
            Some(uri) => match map.get(uri) {
                Some(Some(short)) if !short.is_empty() => {
                    out.push_str(short);
                    out.push(':');
                    out.push_str(local);
                }
                Some(_) => out.push_str(local),
                None => {
                    out.push_str(uri);
                    out.push(':');
                    out.push_str(local);
                }
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_xmltodict() {
        let mut ns = Namespaces::default();
        ns.bind("", Some("urn:d"));
        ns.bind("p", Some("urn:p"));
        let mut map = BTreeMap::new();
        let mut out = String::new();
        ns.expand("a", false, &map, &mut out).unwrap();
        assert_eq!(out, "urn:d:a");
        ns.expand("a", true, &map, &mut out).unwrap();
        assert_eq!(out, "a");
        ns.expand("p:b", true, &map, &mut out).unwrap();
        assert_eq!(out, "urn:p:b");
        ns.expand("xml:lang", true, &map, &mut out).unwrap();
        assert_eq!(out, "http://www.w3.org/XML/1998/namespace:lang");
        map.insert("urn:p".to_owned(), Some("s".to_owned()));
        map.insert("urn:d".to_owned(), None);
        ns.expand("p:b", false, &map, &mut out).unwrap();
        assert_eq!(out, "s:b");
        ns.expand("a", false, &map, &mut out).unwrap();
        assert_eq!(out, "a");
        assert_eq!(
            ns.expand("q:b", false, &map, &mut out),
            Err(NsError::UnboundPrefix)
        );
        assert_eq!(
            ns.expand("a:b:c", false, &map, &mut out),
            Err(NsError::BadName)
        );
        ns.unbind(1);
        assert_eq!(
            ns.expand("p:b", false, &map, &mut out),
            Err(NsError::UnboundPrefix)
        );
    }
}
