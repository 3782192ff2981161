#!/usr/bin/env python3
"""Regenerate the golden outputs in expected/ and the case list cases.json.

Oracle: xmltodict 1.0.4 on CPython 3.11 (pip install xmltodict==1.0.4).
Cases with default options run the project's peer script
../../../../shared/bench/xmltodict_convert.py (path overridable with XMLTODICT_CONVERT),
exactly as a user would; cases with options the script does not expose call
xmltodict.parse() with the equivalent keyword arguments, then json.dumps.
A case whose input xmltodict rejects is recorded with "error": true and no output file.

Run from anywhere:  python3 functions/xml-to-json/testdata/generate_expected.py
"""
import json
import os
import subprocess
import sys

import xmltodict

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.environ.get(
    "XMLTODICT_CONVERT",
    os.path.join(HERE, "..", "..", "..", "..", "shared", "bench", "xmltodict_convert.py"),
)

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

# (case name, input path relative to testdata/, payload dict)
OPTION_CASES = [
    ("force_list_names", "rules/repeated_siblings.xml", {"force_list": ["b", "d"]}),
    ("force_list_true_attrs", "rules/attrs_and_text.xml", {"force_list": True}),
    ("force_list_true_mixed", "rules/mixed_content.xml", {"force_list": True}),
    ("force_list_true_osm", "rules/osm_sample.xml", {"force_list": True}),
    ("force_list_true_empty_root", "rules/root_empty.xml", {"force_list": True}),
    ("force_list_text_key", "rules/mixed_content.xml", {"force_list": ["#text", "b"]}),
    ("ns_as_written", "rules/namespaces_as_written.xml", {"process_namespaces": True}),
    ("ns_redeclared", "rules/namespaces_redeclared.xml", {"process_namespaces": True}),
    ("ns_xhtml", "rules/xhtml_external_dtd.xml", {"process_namespaces": True}),
    ("ns_rss", "rules/rss_feed.xml", {"process_namespaces": True}),
    ("ns_real_soap", "real/soap11_f5_icontrol.xml", {"process_namespaces": True}),
    ("ns_real_svg", "real/svg_tiny_nested_default_ns.svg", {"process_namespaces": True}),
    ("ns_real_maven", "real/maven_pom.xml", {"process_namespaces": True}),
    ("ns_real_atom", "real/atom_feed_cyrillic_escaped_html.xml", {"process_namespaces": True}),
    ("ns_real_webdav", "real/webdav_multistatus_prefixed.xml", {"process_namespaces": True}),
    ("ns_map", "rules/namespaces_as_written.xml",
     {"process_namespaces": True, "namespaces": {SOAP: "soap", "urn:default": None, "urn:x": ""}}),
    ("ns_map_force_list", "rules/namespaces_as_written.xml",
     {"process_namespaces": True, "namespaces": {"urn:x": "x"}, "force_list": ["x:y", "soap:Body"]}),
    ("ns_map_real_webdav", "real/webdav_multistatus_prefixed.xml",
     {"process_namespaces": True, "namespaces": {"DAV:": None}}),
    ("no_strip_layout", "rules/whitespace_layout.xml", {"strip_whitespace": False}),
    ("no_strip_mixed", "rules/mixed_content.xml", {"strip_whitespace": False}),
    ("no_strip_empty_forms", "rules/empty_forms.xml", {"strip_whitespace": False}),
    ("no_strip_cdata", "rules/cdata.xml", {"strip_whitespace": False}),
    ("no_strip_real_pom", "real/maven_pom.xml", {"strip_whitespace": False}),
    ("attr_prefix_empty", "rules/attr_child_same_name.xml", {"attr_prefix": ""}),
    ("attr_prefix_underscore", "rules/osm_sample.xml", {"attr_prefix": "_"}),
    ("text_key_value", "rules/text_key_collision.xml", {"text_key": "value"}),
    ("text_key_dollar", "rules/attrs_and_text.xml", {"text_key": "$"}),
    ("pretty_s3", "real/s3_list_objects.xml", {"pretty": True}),
]

KWARG = {"force_list": "force_list", "process_namespaces": "process_namespaces",
         "namespaces": "namespaces", "strip_whitespace": "strip_whitespace",
         "attr_prefix": "attr_prefix", "text_key": "cdata_key"}


def run_peer(data):
    p = subprocess.run([sys.executable, PEER], input=data, capture_output=True, check=False)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def run_parse(data, payload):
    kwargs = {}
    for k, v in payload.items():
        if k == "pretty":
            continue
        if k == "force_list" and isinstance(v, list):
            v = tuple(v)
        kwargs[KWARG[k]] = v
    try:
        return json.loads(json.dumps(xmltodict.parse(data, **kwargs), ensure_ascii=False))
    except Exception:  # noqa: BLE001 - any rejection is an expected error
        return None


def main():
    cases = []
    inputs = []
    for sub in ("real", "rules"):
        for name in sorted(os.listdir(os.path.join(HERE, sub))):
            if name.endswith((".xml", ".svg")):
                inputs.append(f"{sub}/{name}")
    for rel in inputs:
        stem = os.path.splitext(os.path.basename(rel))[0]
        cases.append((f"{rel.split('/')[0]}_{stem}", rel, {}))
    cases.extend(OPTION_CASES)

    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    manifest = []
    for name, rel, payload in cases:
        with open(os.path.join(HERE, rel), "rb") as f:
            data = f.read()
        value = run_peer(data) if not payload else run_parse(data, payload)
        entry = {"name": name, "input": rel, "payload": payload, "error": value is None}
        if value is not None:
            entry["expected"] = f"expected/{name}.json"
            with open(os.path.join(HERE, entry["expected"]), "w", encoding="utf-8") as f:
                json.dump(value, f, ensure_ascii=False, indent=1)
                f.write("\n")
        manifest.append(entry)
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(manifest)} cases, {sum(e['error'] for e in manifest)} rejected by xmltodict")


if __name__ == "__main__":
    main()
