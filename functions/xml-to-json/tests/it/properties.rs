//! Property tests: no panics on arbitrary input; chunking never changes the output;
//! `item_depth` records are exactly the tree mode's elements at that depth.

use proptest::prelude::*;
use serde_json::Value;
use xml_to_json::Config;

use crate::convert_chunked;

fn configs() -> Vec<Config> {
    vec![
        Config::default(),
        Config {
            process_namespaces: true,
            force_list: xml_to_json::ForceList::All(true),
            ..Config::default()
        },
        Config {
            ordered: true,
            strip_whitespace: false,
            ..Config::default()
        },
        Config {
            item_depth: 2,
            ..Config::default()
        },
        Config {
            pretty: true,
            max_depth: 8,
            max_text_bytes: 64,
            ..Config::default()
        },
    ]
}

fn check_output(config: &Config, out: &[u8]) {
    if config.item_depth > 0 {
        for line in std::str::from_utf8(out).unwrap().lines() {
            serde_json::from_str::<Value>(line).unwrap();
        }
    } else {
        serde_json::from_slice::<Value>(out).unwrap();
    }
}

const TOKENS: &[&str] = &[
    "<a>",
    "</a>",
    "<b x='1'>",
    "</b>",
    "<c/>",
    "<p:d xmlns:p='u'>",
    "</p:d>",
    "text",
    " ",
    "\r\n",
    "&amp;",
    "&#65;",
    "&#x1;",
    "&bad;",
    "<![CDATA[c]]>",
    "<!--c-->",
    "<?pi x?>",
    "<?xml version='1.0'?>",
    "<!DOCTYPE a>",
    "<!DOCTYPE a [<!ENTITY e 'x'>]>",
    "é",
    "\u{FEFF}",
    "<",
    ">",
    "&",
    "\"",
    "<a b=\"&lt;\">",
    "<e xmlns='v'>",
    "</e>",
    "]]>",
    "<!--",
    "-->",
];

fn xmlish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..300), chunk in 1usize..64) {
        for config in configs() {
            if let Ok(out) = convert_chunked(&input, &config, chunk) {
                check_output(&config, &out);
            }
        }
    }

    #[test]
    fn never_panics_on_xml_like_input_and_chunking_is_invisible(input in xmlish(), chunk in 1usize..16) {
        for config in configs() {
            let whole = xml_to_json::convert(&input, &config);
            let chunked = convert_chunked(&input, &config, chunk);
            match (&whole, &chunked) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a, b);
                    check_output(&config, a);
                }
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "whole {:?} vs chunked {:?}", whole.as_ref().map(|_| ()), chunked.as_ref().map(|_| ())),
            }
        }
    }
}

/// A random element tree.
#[derive(Debug, Clone)]
struct Node {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    text: Vec<String>,
    children: Vec<Node>,
}

fn node() -> impl Strategy<Value = Node> {
    let name = prop::sample::select(&["a", "b", "c", "ns:d"][..]);
    let attrs = prop::collection::btree_map(
        prop::sample::select(&["x", "y", "z"][..]),
        "[a-z<&\" ]{0,4}",
        0..3,
    )
    .prop_map(|m| m.into_iter().collect::<Vec<_>>());
    let text = prop::collection::vec("[ a-z&<>]{0,5}", 0..3);
    let leaf = (name.clone(), attrs.clone(), text.clone()).prop_map(|(name, attrs, text)| Node {
        name,
        attrs,
        text,
        children: vec![],
    });
    leaf.prop_recursive(5, 60, 5, move |inner| {
        (
            name.clone(),
            attrs.clone(),
            text.clone(),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(name, attrs, text, children)| Node {
                name,
                attrs,
                text,
                children,
            })
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

fn write(n: &Node, out: &mut String, root: bool) {
    out.push('<');
    out.push_str(n.name);
    if root {
        out.push_str(" xmlns:ns=\"urn:ns\"");
    }
    for (k, v) in &n.attrs {
        out.push_str(&format!(" {k}=\"{}\"", escape(v)));
    }
    out.push('>');
    for (i, c) in n.children.iter().enumerate() {
        if let Some(t) = n.text.get(i) {
            out.push_str(&escape(t));
        }
        write(c, out, false);
    }
    for t in n.text.iter().skip(n.children.len()) {
        out.push_str(&escape(t));
    }
    out.push_str("</");
    out.push_str(n.name);
    out.push('>');
}

/// Elements at `depth` (root = 1) of an xmltodict-shaped value, as `{name: value}`.
fn elements_at(root: &Value, depth: usize, prefix: &str, text_key: &str) -> Vec<Value> {
    let mut level: Vec<(String, Value)> = root
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for _ in 1..depth {
        let mut next = Vec::new();
        for (_, v) in level {
            if let Value::Object(map) = v {
                for (k, child) in map {
                    if k.starts_with(prefix) || k == text_key {
                        continue;
                    }
                    match child {
                        Value::Array(items) => {
                            next.extend(items.into_iter().map(|i| (k.clone(), i)));
                        }
                        other => next.push((k.clone(), other)),
                    }
                }
            }
        }
        level = next;
    }
    level
        .into_iter()
        .map(|(k, v)| serde_json::json!({ k: v }))
        .collect()
}

/// JsonML children elements at `depth`, in document order.
fn jsonml_at(root: &Value, depth: usize) -> Vec<Value> {
    let mut level = vec![root.clone()];
    for _ in 1..depth {
        let mut next = Vec::new();
        for el in level {
            next.extend(
                el.as_array()
                    .unwrap()
                    .iter()
                    .skip(1)
                    .filter(|c| c.is_array())
                    .cloned(),
            );
        }
        level = next;
    }
    level
}

fn sorted(mut v: Vec<Value>) -> Vec<String> {
    let mut s: Vec<String> = v.drain(..).map(|x| x.to_string()).collect();
    s.sort();
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn item_depth_records_equal_tree_elements(tree in node(), chunk in 1usize..50) {
        let mut xml = String::new();
        write(&tree, &mut xml, true);
        let input = xml.into_bytes();
        for ordered in [false, true] {
            for strip in [true, false] {
                let base = Config { ordered, strip_whitespace: strip, ..Config::default() };
                let whole = xml_to_json::convert(&input, &base).unwrap();
                let doc: Value = serde_json::from_slice(&whole).unwrap();
                prop_assert_eq!(&convert_chunked(&input, &base, chunk).unwrap(), &whole);
                for depth in 1..=4 {
                    let config = Config { item_depth: depth, ..base.clone() };
                    let out = convert_chunked(&input, &config, chunk).unwrap();
                    let records: Vec<Value> = std::str::from_utf8(&out).unwrap().lines()
                        .map(|l| serde_json::from_str(l).unwrap()).collect();
                    if ordered {
                        prop_assert_eq!(records, jsonml_at(&doc, depth as usize));
                    } else {
                        prop_assert_eq!(sorted(records), sorted(elements_at(&doc, depth as usize, "@", "#text")));
                    }
                }
            }
        }
    }
}
