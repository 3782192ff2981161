use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;

use super::attributes::predefined_refs_into;
use super::*;
use crate::scan::RawAttr;

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
            "<r", "<w", "<nd", ">", "<nd", ">", "<tag k=a", ">", ">", "<w", "<nd", ">", ">", ">",
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
        let mut fast = Arena::new();
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
                json::escape_into(&mut expected, &normalized).unwrap();
                assert_eq!(fast.get(0..fast.len()), Some(&expected[..]), "{v}");
                assert_eq!(len, normalized.len(), "{v}");
            }
            None => assert!(
                v.contains(['\t', '"', '\\', '<']) || v.contains("&#") || slow.is_err(),
                "{v} declined"
            ),
        }
    }
}

/// Attribute values of 128 bytes or more take a multi-byte length in a compact block
/// (`compact::finish_len` moves the value right): clean, with predefined references (the
/// fast path's replacement), with characters to escape and with character references (the
/// general path), on the first element of a name (general path) and the next ones (cached
/// attribute list, fast path).
#[test]
fn long_attribute_values_survive_the_compact_blocks() {
    let long = "x".repeat(200);
    let values = [
        (long.clone(), long.clone()),
        (format!("{long}&amp;{long}"), format!("{long}&{long}")),
        (format!("a\"{long}"), format!("a\\\"{long}")),
        (format!("{long}&#65;\t"), format!("{long}A ")),
        ("short".to_owned(), "short".to_owned()),
    ];
    for (raw, json) in &values {
        let quoted = raw.replace('"', "&quot;");
        let doc = format!(
            "<r><e a=\"1\" v=\"{quoted}\" z=\"2\"/><e a=\"1\" v=\"{quoted}\" z=\"2\"/><e a=\"1\" v=\"{quoted}\" z=\"2\"><c/></e></r>"
        );
        let got = crate::convert(doc.as_bytes(), &Config::default()).unwrap();
        let attrs = format!(r#""@a":"1","@v":"{json}","@z":"2""#);
        let expected = format!(r#"{{"r":{{"e":[{{{attrs}}},{{{attrs}}},{{{attrs},"c":null}}]}}}}"#);
        assert_eq!(
            String::from_utf8(got).unwrap().trim_end(),
            expected,
            "{raw}"
        );
    }
}
