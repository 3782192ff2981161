//! Hostile input: entity attacks, deep nesting, huge counts and sizes, error positions.

use std::time::{Duration, Instant};

use xml_to_json::{Config, Converter, Error, ErrorKind};

use crate::{convert_chunked, testdata};

fn convert(input: &[u8], config: &Config) -> Result<Vec<u8>, Error> {
    convert_chunked(input, config, usize::MAX)
}

/// `err` is the refusal of the limit named `limit`.
fn assert_limit(err: &Error, limit: &str) {
    assert!(
        matches!(err, Error::LimitExceeded { limit: l, .. } if *l == limit),
        "{err}"
    );
}

fn assert_fast(start: Instant) {
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn entity_attacks_fail_fast_with_invalid_content() {
    let mut quadratic = String::from("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"");
    quadratic.push_str(&"x".repeat(100_000));
    quadratic.push_str("\">]><r>");
    quadratic.push_str(&"&a;".repeat(100_000));
    quadratic.push_str("</r>");
    let inputs: Vec<Vec<u8>> = vec![
        std::fs::read(testdata("real/billion_laughs_classic.xml")).unwrap(),
        std::fs::read(testdata("real/xxe_external_file.xml")).unwrap(),
        quadratic.into_bytes(),
        b"<!DOCTYPE r [<!ENTITY x SYSTEM \"http://169.254.169.254/latest/meta-data/\">]><r>&x;</r>"
            .to_vec(),
        b"<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://evil/\"> %p;]><r/>".to_vec(),
    ];
    for input in inputs {
        let start = Instant::now();
        let err = convert(&input, &Config::default()).unwrap_err();
        assert_fast(start);
        assert!(matches!(err, Error::EntitiesForbidden { .. }), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidContent);
        // Same when the declaration arrives in small pieces.
        let err = convert_chunked(&input, &Config::default(), 7).unwrap_err();
        assert!(matches!(err, Error::EntitiesForbidden { .. }), "{err}");
    }
}

#[test]
fn doctype_without_entities_is_fine_and_undefined_entities_are_errors() {
    let out = convert(
        b"<!DOCTYPE a SYSTEM \"a.dtd\"><a>x&nbsp;y</a>",
        &Config::default(),
    )
    .unwrap();
    assert_eq!(out, b"{\"a\":\"xy\"}\n");
    let err = convert(b"<a>&nbsp;</a>", &Config::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidContent);
}

fn deep(n: usize) -> Vec<u8> {
    let mut s = Vec::with_capacity(n * 8);
    for _ in 0..n {
        s.extend_from_slice(b"<l>");
    }
    s.extend_from_slice(b"x");
    for _ in 0..n {
        s.extend_from_slice(b"</l>");
    }
    s
}

#[test]
fn depth_limit_by_default() {
    let start = Instant::now();
    let err = convert(&deep(100_000), &Config::default()).unwrap_err();
    assert_fast(start);
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_depth",
                max: 1000,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::TooLarge);
}

#[test]
fn hundred_thousand_deep_converts_without_recursion() {
    // A small stack proves neither the builder nor the serialiser recurses on depth.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let input = deep(100_000);
            let config = Config {
                max_depth: 200_000,
                ..Config::default()
            };
            let tree = convert(&input, &config).unwrap();
            assert!(tree.starts_with(b"{\"l\":{\"l\":{\"l\":"));
            assert_eq!(tree.iter().filter(|&&b| b == b'{').count(), 100_000);
            assert!(tree.ends_with(&[b'}'; 3]) || tree.ends_with(b"}\n"));
            let pretty = Config {
                pretty: true,
                max_output_bytes: 20 << 30,
                ..config.clone()
            };
            // Pretty output of 100k levels is ~10 GB of indentation: the output limit stops it.
            let err = convert(
                &input,
                &Config {
                    max_output_bytes: 50 << 20,
                    ..pretty
                },
            )
            .unwrap_err();
            assert_limit(&err, "max_output_bytes");
            let ordered = Config {
                ordered: true,
                ..config.clone()
            };
            let jsonml = convert(&input, &ordered).unwrap();
            assert!(jsonml.starts_with(b"[\"l\",[\"l\","));
            let records = Config {
                item_depth: 99_999,
                ..config
            };
            let nd = convert(&input, &records).unwrap();
            assert_eq!(nd, b"{\"l\":{\"l\":\"x\"}}\n");
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn attribute_and_namespace_limits() {
    let mut many = String::from("<a");
    for i in 0..2000 {
        many.push_str(&format!(" a{i}=\"v\""));
    }
    many.push_str("/>");
    let err = convert(many.as_bytes(), &Config::default()).unwrap_err();
    assert_limit(&err, "max_attributes");
    let raised = Config {
        max_attributes: 5000,
        ..Config::default()
    };
    let out = convert(many.as_bytes(), &raised).unwrap();
    assert!(out.windows(8).any(|w| w == b"\"@a1999\""));

    let mut decls = String::from("<a");
    for i in 0..300 {
        decls.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
    }
    decls.push_str("/>");
    for ns in [false, true] {
        let config = Config {
            process_namespaces: ns,
            ..Config::default()
        };
        let err = convert(decls.as_bytes(), &config).unwrap_err();
        assert_limit(&err, "max_namespace_declarations");
    }
    // Declarations accumulate along the open path and are released on close.
    let nested = "<a xmlns:x=\"u\"><b xmlns:y=\"v\"/><c xmlns:z=\"w\"/></a>";
    let tight = Config {
        max_namespace_declarations: 2,
        process_namespaces: true,
        ..Config::default()
    };
    assert!(convert(nested.as_bytes(), &tight).is_ok());
    let tighter = Config {
        max_namespace_declarations: 1,
        ..tight
    };
    assert!(convert(nested.as_bytes(), &tighter).is_err());
}

#[test]
fn text_and_output_limits() {
    let small = Config {
        max_text_bytes: 1000,
        ..Config::default()
    };
    let text = format!("<a>{}</a>", "x".repeat(2000));
    let err = convert(text.as_bytes(), &small).unwrap_err();
    assert_limit(&err, "max_text_bytes");
    // Joined text counts, not single chunks.
    let joined = format!("<a>{}<b/>{}</a>", "x".repeat(600), "y".repeat(600));
    assert!(convert(joined.as_bytes(), &small).is_err());
    let attr = format!("<a v=\"{}\"/>", "x".repeat(2000));
    assert!(convert(attr.as_bytes(), &small).is_err());

    // An unterminated tag streamed forever is refused once the tail passes the limit.
    let mut conv = Converter::new(small).unwrap();
    let mut out = Vec::new();
    conv.feed(b"<a><b x=\"", &mut out).unwrap();
    let chunk = [b'y'; 4096];
    let mut failed = None;
    for _ in 0..1000 {
        if let Err(e) = conv.feed(&chunk, &mut out) {
            failed = Some(e);
            break;
        }
    }
    let err = failed.expect("unbounded tail accepted");
    assert_limit(&err, "max_text_bytes");

    let tiny_out = Config {
        max_output_bytes: 100,
        ..Config::default()
    };
    let big = format!("<a>{}</a>", "<b>0123456789</b>".repeat(20));
    let err = convert(big.as_bytes(), &tiny_out).unwrap_err();
    assert_limit(&err, "max_output_bytes");
    let records = Config {
        item_depth: 2,
        ..tiny_out
    };
    assert!(convert(big.as_bytes(), &records).is_err());
}

#[test]
fn malformed_errors_carry_line_and_column_but_no_content() {
    let err = convert(b"<a>\n  <secret></c>", &Config::default()).unwrap_err();
    match &err {
        Error::Malformed { line, column, .. } => assert_eq!((*line, *column), (2, 11)),
        other => panic!("unexpected {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("line 2, column 11"), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");

    // Truncated: reported at the end of the input, also when fed in chunks.
    for chunk in [1, 5, 1000] {
        let err = convert_chunked(b"<a>\n<b>t</b>\n<c>", &Config::default(), chunk).unwrap_err();
        match err {
            Error::Malformed { line, column, .. } => {
                assert_eq!((line, column), (3, 4), "chunk {chunk}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    let err = convert(b"<a x=\"1\n", &Config::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn converter_refuses_use_after_error_or_finish() {
    let mut conv = Converter::new(Config::default()).unwrap();
    let mut out = Vec::new();
    assert!(conv.feed(b"<a></b>", &mut out).is_err());
    assert_eq!(
        conv.feed(b"<a/>", &mut out).unwrap_err().kind(),
        ErrorKind::Internal
    );
    let mut conv = Converter::new(Config::default()).unwrap();
    conv.feed(b"<a/>", &mut out).unwrap();
    conv.finish(&mut out).unwrap();
    assert_eq!(
        conv.finish(&mut out).unwrap_err().kind(),
        ErrorKind::Internal
    );
}

#[test]
fn invalid_config_is_rejected_by_the_constructor() {
    let err = Converter::new(Config {
        max_depth: 0,
        ..Config::default()
    })
    .err()
    .unwrap();
    assert_eq!(err.payload_key(), Some("max_depth"));
}

#[test]
fn duplicate_attributes_are_found_whatever_came_before() {
    // The tree builder caches attribute lists per element name; duplicates must still be
    // caught after lists of other shapes were cached.
    for doc in [
        "<r><a x=\"1\" y=\"2\"/><a y=\"1\"/><a y=\"1\" y=\"2\"/></r>",
        "<r><a x=\"1\" y=\"2\" z=\"3\"/><a x=\"1\"/><a x=\"1\" x=\"2\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"2\" x=\"3\"/></r>",
        "<r><a x=\"1\"/><b><a x=\"1\" x=\"1\"/></b></r>",
    ] {
        for ordered in [false, true] {
            let config = Config {
                ordered,
                ..Config::default()
            };
            let err = convert(doc.as_bytes(), &config).unwrap_err();
            assert!(matches!(err, Error::Malformed { .. }), "{doc}: {err}");
        }
    }
    // `ordered` mode caches attribute lists per element name too.
    for ordered in [false, true] {
        let config = Config {
            ordered,
            ..Config::default()
        };
        let ok = "<r><a x=\"1\" y=\"2\"/><a y=\"1\" x=\"2\"/><a x=\"3\"/><a y=\"4\" z=\"5\"/></r>";
        assert!(convert(ok.as_bytes(), &config).is_ok());
        let bad_names = [
            "<r><a x=\"1\"/><a x=\"1\" 1y=\"2\"/></r>",
            "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"2\" 1y=\"2\"/></r>",
            "<r><a/><1a/></r>",
            "<r><a/><a 1a=\"\"/></r>",
        ];
        for doc in bad_names {
            assert!(convert(doc.as_bytes(), &config).is_err(), "{doc}");
        }
    }
}

#[test]
fn attribute_syntax_errors_after_a_cached_list_of_the_same_element() {
    // The fast path for repeated attribute lists must still refuse what expat refuses
    // (missing whitespace, `<` in a value, unquoted values, a declaration mismatch) and
    // take references and normalisation through the general path.
    for doc in [
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\"y=\"2\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"<\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=2/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"2/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"&bogus;\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"\u{1}\"/></r>",
    ] {
        for item_depth in [0, 2] {
            let config = Config {
                item_depth,
                ..Config::default()
            };
            let err = convert(doc.as_bytes(), &config).unwrap_err();
            assert!(matches!(err, Error::Malformed { .. }), "{doc}: {err}");
        }
    }
    let doc =
        "<r><a x=\"1\" y=\"2\"/><a x=\"a&amp;b\" y=\"c&#10;d\"/><a x=\"\t&quot;\" y=\"\\\"/></r>";
    let out = convert(doc.as_bytes(), &Config::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let expected = serde_json::json!({"r": {"a": [
        {"@x": "1", "@y": "2"}, {"@x": "a&b", "@y": "c\nd"}, {"@x": " \"", "@y": "\\"}
    ]}});
    assert_eq!(v, expected);
    let doc = "<!DOCTYPE r SYSTEM \"x.dtd\"><r><a x=\"1\"/><a x=\"&foo;!\"/></r>";
    let out = convert(doc.as_bytes(), &Config::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"r": {"a": [{"@x": "1"}, {"@x": "!"}]}})
    );
    // `|` takes the general path (the word scan finds it with `<` and `\\`).
    let doc = "<r><a x=\"1\" y=\"2\"/><a x=\"a|b\" y=\"|\\\\|\"/></r>";
    let out = convert(doc.as_bytes(), &Config::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"r": {"a": [{"@x": "1", "@y": "2"}, {"@x": "a|b", "@y": "|\\\\|"}]}})
    );
    let doc = "<r><a x=\"1\" y=\"2\"/><a x = '&lt;\"' y=\"a\tb\"/></r>";
    let out = convert(doc.as_bytes(), &Config::default()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"r": {"a": [{"@x": "1", "@y": "2"}, {"@x": "<\"", "@y": "a b"}]}})
    );
}

#[test]
fn lt_in_a_tag_is_reported_first_wherever_it_is() {
    // `<` is looked for only in unclean values and on errors; the message must be the
    // same as when every tag was searched first, also when another error comes earlier.
    for doc in [
        "<r><a x=\"1<\"/></r>",
        "<r><a x=\"&amp;<\"/></r>",
        "<r><a x=\"1\" <y=\"2\"/></r>",
        "<r><a x=\"1\"<y=\"2\"/></r>",
        "<r><a x=\"1\" y=<\"2\"/></r>",
        "<r><a x=\"1\" y=\"2\" < /></r>",
        "<r><a x=\"&bogus;\" y=\"<\"/></r>",
        "<r><a 1x=\"1\" y=\"<\"/></r>",
        "<r><a x=\"1\" x=\"<\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"<\"/></r>",
        "<r><a x=\"1\" y=\"2\"/><a x=\"1\" y=\"2\" <=\"3\"/></r>",
    ] {
        for config in [
            Config::default(),
            Config {
                item_depth: 2,
                ..Config::default()
            },
            Config {
                ordered: true,
                ..Config::default()
            },
            Config {
                process_namespaces: true,
                ..Config::default()
            },
            Config {
                max_attributes: 1,
                ..Config::default()
            },
        ] {
            if config.max_attributes == 1 && doc.contains("2\"/><a") {
                continue; // the first tag is over the limit
            }
            let err = convert(doc.as_bytes(), &config).unwrap_err();
            assert!(
                err.to_string().contains("`<` in a tag or attribute value"),
                "{doc}: {err}"
            );
        }
    }
}

/// A tag with an empty name (`<` then whitespace) is an invalid element name in every
/// mode, also where the converter's name caches still hold unused entries.
#[test]
fn empty_element_name_is_reported_as_such() {
    let doc = b"<a><value>1</value>t<  \n value>2</value></a>";
    for payload in ["", r#"{"item_depth":2}"#, r#"{"ordered":true}"#] {
        let config = Config::from_payload(payload).unwrap();
        let err = convert(doc, &config).unwrap_err();
        match &err {
            Error::Malformed {
                line,
                column,
                message,
            } => {
                assert_eq!((*line, *column), (1, 21), "{payload}");
                assert_eq!(*message, "invalid element name", "{payload}");
            }
            _ => panic!("{payload}: {err}"),
        }
    }
}
