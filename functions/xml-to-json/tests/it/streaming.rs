//! Push API behaviour: chunking, NDJSON records, ordered (JsonML) output.

use serde_json::{Value, json};
use xml_to_json::{CONTENT_TYPE_JSON, CONTENT_TYPE_NDJSON, Config, Converter};

use crate::{convert_chunked, testdata};

fn lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_chunk_size_gives_the_same_bytes() {
    for rel in [
        "rules/osm_sample.xml",
        "rules/attribute_normalization.xml",
        "rules/enc_utf16le_bom.xml",
        "rules/enc_latin1.xml",
        "rules/xhtml_external_dtd.xml",
        "rules/doctype_internal_no_entities.xml",
        "rules/comments_pis.xml",
        "rules/unicode_names.xml",
    ] {
        let input = std::fs::read(testdata(rel)).unwrap();
        let whole = xml_to_json::convert(&input, &Config::default()).unwrap();
        for chunk in 1..=17 {
            assert_eq!(
                convert_chunked(&input, &Config::default(), chunk).unwrap(),
                whole,
                "{rel} chunk {chunk}"
            );
        }
    }
}

/// Chunks larger than twice the bridge (8 KiB): a token cut by a chunk's end is completed
/// from the next chunk's start, the rest parsed in place; long tokens take the buffer.
#[test]
fn large_chunks_give_the_same_bytes() {
    let mut doc = String::from("<?xml version=\"1.0\"?>\r\n<root a=\"1\">\r\n");
    for i in 0..400 {
        doc.push_str(&format!(
            " <n id=\"{i}\" user=\"a &amp; b\" v='x{}'>\r\n  <t k=\"é\">ü{i}]]</t>",
            "y".repeat(i % 37)
        ));
        match i % 50 {
            7 => doc.push_str(&format!("<!--{}-->", "c".repeat(5000))),
            13 => doc.push_str(&format!("<![CDATA[{}]]>", "d]]".repeat(3000))),
            21 => doc.push_str(&format!("<big v=\"{}\"/>", "v".repeat(6000))),
            33 => doc.push_str("text &#x20AC; more\r\n"),
            _ => {}
        }
        doc.push_str("\r\n </n>\n");
    }
    doc.push_str("</root>\n");
    let input = doc.as_bytes();
    let mut broken = input.to_vec();
    broken.truncate(input.len() - 40);
    broken.extend_from_slice(b"<x a=\"1\" a=\"2\"/></n></root>");
    for payload in [
        "",
        r#"{"item_depth":2}"#,
        r#"{"ordered":true}"#,
        r#"{"strip_whitespace":false}"#,
    ] {
        let config = Config::from_payload(payload).unwrap();
        let whole = xml_to_json::convert(input, &config).unwrap();
        let whole_err = xml_to_json::convert(&broken, &config)
            .unwrap_err()
            .to_string();
        for chunk in [8193, 8200, 9001, 12345, 16384, 65536] {
            assert_eq!(
                convert_chunked(input, &config, chunk).unwrap(),
                whole,
                "{payload} chunk {chunk}"
            );
            assert_eq!(
                convert_chunked(&broken, &config, chunk)
                    .unwrap_err()
                    .to_string(),
                whole_err,
                "{payload} chunk {chunk}"
            );
        }
    }
}

#[test]
fn item_depth_emits_one_record_per_element() {
    let input = std::fs::read(testdata("rules/osm_sample.xml")).unwrap();
    let config = Config {
        item_depth: 2,
        ..Config::default()
    };
    assert_eq!(config.content_type(), CONTENT_TYPE_NDJSON);
    assert_eq!(Config::default().content_type(), CONTENT_TYPE_JSON);
    let out = convert_chunked(&input, &config, 13).unwrap();
    let records = lines(&out);
    let names: Vec<&str> = records
        .iter()
        .map(|r| r.as_object().unwrap().keys().next().unwrap().as_str())
        .collect();
    assert_eq!(names, ["bounds", "node", "node", "way", "relation", "node"]);
    assert_eq!(
        records[2],
        json!({"node": {"@id": "2", "@lat": "51.6", "@lon": "-0.2", "@version": "1",
                        "tag": [{"@k": "name", "@v": "X"}, {"@k": "amenity", "@v": "pub"}]}})
    );
    assert_eq!(
        records[5],
        json!({"node": {"@id": "5", "@lat": "0", "@lon": "0", "tag": {"@k": "only", "@v": "one"}}})
    );
    // Depth 3 skips the node/way wrappers; text-only records are plain strings.
    let config = Config {
        item_depth: 3,
        ..Config::default()
    };
    let records = lines(&xml_to_json::convert(&input, &config).unwrap());
    assert_eq!(records.len(), 7);
    assert_eq!(records[0], json!({"tag": {"@k": "name", "@v": "X"}}));
    let text = xml_to_json::convert(
        b"<r><a> x </a><a/><a><b/>t</a></r>",
        &Config {
            item_depth: 2,
            ..Config::default()
        },
    )
    .unwrap();
    assert_eq!(
        lines(&text),
        [
            json!({"a": "x"}),
            json!({"a": null}),
            json!({"a": {"b": null, "#text": "t"}})
        ]
    );
}

#[test]
fn item_depth_output_is_streamed_as_records_close() {
    let mut conv = Converter::new(Config {
        item_depth: 2,
        ..Config::default()
    })
    .unwrap();
    let mut out = Vec::new();
    conv.feed(b"<r><a>1</a><a>2</a><a>", &mut out).unwrap();
    assert_eq!(out, b"{\"a\":\"1\"}\n{\"a\":\"2\"}\n");
    out.clear();
    conv.feed(b"3</a></r>", &mut out).unwrap();
    conv.finish(&mut out).unwrap();
    assert_eq!(out, b"{\"a\":\"3\"}\n");
}

#[test]
fn ordered_mode_keeps_document_order_and_mixed_content() {
    let config = Config {
        ordered: true,
        ..Config::default()
    };
    let out = xml_to_json::convert(
        b"<p id=\"1\">Hello <b>w</b> again <i>x</i> end<br/>\n  </p>",
        &config,
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        json!(["p", {"id": "1"}, "Hello ", ["b", "w"], " again ", ["i", "x"], " end", ["br"]])
    );

    let input = std::fs::read(testdata("rules/s3_list_versions.xml")).unwrap();
    let v: Value = serde_json::from_slice(&xml_to_json::convert(&input, &config).unwrap()).unwrap();
    let kinds: Vec<&str> = v.as_array().unwrap()[2..]
        .iter()
        .map(|c| c.as_array().unwrap()[0].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Name", "Version", "DeleteMarker", "Version"]);

    let no_strip = Config {
        strip_whitespace: false,
        ..config.clone()
    };
    let v: Value =
        serde_json::from_slice(&xml_to_json::convert(b"<a> <b/> </a>", &no_strip).unwrap())
            .unwrap();
    assert_eq!(v, json!(["a", " ", ["b"], " "]));

    let ns = Config {
        process_namespaces: true,
        ..config.clone()
    };
    let v: Value = serde_json::from_slice(
        &xml_to_json::convert(b"<a xmlns=\"u\" xmlns:p=\"q\" p:x=\"1\"><p:b/></a>", &ns).unwrap(),
    )
    .unwrap();
    assert_eq!(
        v,
        json!(["u:a", {"q:x": "1", "xmlns": {"": "u", "p": "q"}}, ["q:b"]])
    );

    let records = Config {
        item_depth: 2,
        ..config.clone()
    };
    let out = xml_to_json::convert(&input, &records).unwrap();
    assert_eq!(lines(&out).len(), 4);

    let pretty = Config {
        pretty: true,
        ..config
    };
    let out = xml_to_json::convert(b"<a x=\"1\"><b>t</b></a>", &pretty).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v, json!(["a", {"x": "1"}, ["b", "t"]]));
    assert!(out.contains(&b'\n'));
}

#[test]
fn encodings_are_decoded() {
    let expect = |rel: &str, want: Value| {
        let input = std::fs::read(testdata(rel)).unwrap();
        let v: Value =
            serde_json::from_slice(&xml_to_json::convert(&input, &Config::default()).unwrap())
                .unwrap();
        assert_eq!(v, want, "{rel}");
    };
    expect(
        "rules/enc_latin1.xml",
        json!({"a": {"@b": "café", "#text": "naïve £ \u{80}"}}),
    );
    expect(
        "rules/enc_windows1252.xml",
        json!({"a": {"@b": "€", "#text": "“q”"}}),
    );
    expect(
        "rules/enc_utf16be_bom.xml",
        json!({"a": {"@b": "é", "#text": "日😀"}}),
    );
    let err = xml_to_json::convert(
        b"<?xml version=\"1.0\" encoding=\"x-unknown-42\"?><a/>",
        &Config::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), xml_to_json::ErrorKind::UnsupportedContentType);
}

/// Feeds `input` in `chunk`-byte pieces with a sink; returns the bytes sent to the sink
/// followed by what `out` kept, and how many pieces the sink received.
fn convert_with_sink(
    input: &[u8],
    config: &Config,
    chunk: usize,
) -> (xml_to_json::Result<Vec<u8>>, usize) {
    use std::sync::{Arc, Mutex};
    let sent = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let mut conv = Converter::new(config.clone()).unwrap();
    let to = Arc::clone(&sent);
    conv.set_sink(Box::new(move |piece| {
        let mut s = to.lock().unwrap();
        s.0.extend_from_slice(piece);
        s.1 += 1;
        Ok(())
    }));
    let mut out = Vec::new();
    let mut result = Ok(());
    for c in input.chunks(chunk) {
        result = conv.feed(c, &mut out);
        if result.is_err() {
            break;
        }
    }
    let result = result.and_then(|()| conv.finish(&mut out));
    let (mut all, pieces) = std::mem::take(&mut *sent.lock().unwrap());
    all.extend_from_slice(&out);
    (result.map(|()| all), pieces)
}

#[test]
fn a_sink_receives_the_tree_output_in_pieces() {
    let item =
        "<node id=\"1\" lat=\"51.5\" lon=\"-0.1\" user=\"a &amp; b\"><tag k=\"x\" v=\"y\"/></node>";
    let doc = format!("<osm v=\"1\">{}<way id=\"2\"/></osm>", item.repeat(5000));
    for config in [
        Config::default(),
        Config {
            pretty: true,
            ..Config::default()
        },
        Config {
            item_depth: 2,
            ..Config::default()
        },
        Config {
            ordered: true,
            ..Config::default()
        },
    ] {
        let whole = xml_to_json::convert(doc.as_bytes(), &config).unwrap();
        for chunk in [7, 4096, doc.len()] {
            let (got, pieces) = convert_with_sink(doc.as_bytes(), &config, chunk);
            assert_eq!(got.unwrap(), whole, "chunk {chunk}");
            if config.ordered {
                assert_eq!(pieces, 0, "JsonML output stays in `out`");
            } else if config.item_depth == 0 {
                assert!(pieces > 1, "chunk {chunk}");
            }
        }
    }

    // The output limit counts what the sink already received.
    let whole = xml_to_json::convert(doc.as_bytes(), &Config::default()).unwrap();
    let exact = Config {
        max_output_bytes: whole.len() as u64,
        ..Config::default()
    };
    assert_eq!(
        convert_with_sink(doc.as_bytes(), &exact, 4096).0.unwrap(),
        whole
    );
    let small = Config {
        max_output_bytes: whole.len() as u64 - 1,
        ..Config::default()
    };
    let (got, pieces) = convert_with_sink(doc.as_bytes(), &small, 4096);
    assert!(
        matches!(
            got,
            Err(xml_to_json::Error::LimitExceeded {
                limit: "max_output_bytes",
                ..
            })
        ),
        "{got:?}"
    );
    assert!(pieces >= 1);

    // A failing sink ends the conversion with an internal error.
    let mut conv = Converter::new(Config::default()).unwrap();
    conv.set_sink(Box::new(|_| Err(std::io::Error::other("closed"))));
    let mut out = Vec::new();
    let err = conv
        .feed(doc.as_bytes(), &mut out)
        .and_then(|()| conv.finish(&mut out))
        .unwrap_err();
    assert_eq!(err.kind(), xml_to_json::ErrorKind::Internal, "{err}");
}

#[test]
fn whitespace_between_brackets_and_gt_is_no_cdata_end() {
    // `]] >` in text is fine (only `]]>` is not), also when the reader skips the space on
    // its own, as outside `item_depth` records, and a chunk boundary falls next to it.
    let config = Config {
        item_depth: 2,
        ..Config::default()
    };
    for chunk in [1, 2, 3, usize::MAX] {
        let out = convert_chunked(b"<r>]] ><a>x</a></r>", &config, chunk).unwrap();
        assert_eq!(out, b"{\"a\":\"x\"}\n", "chunk {chunk}");
    }
    let err = convert_chunked(b"<r>]]><a>x</a></r>", &config, 1).unwrap_err();
    assert!(err.to_string().contains("`]]>`"), "{err}");
}
