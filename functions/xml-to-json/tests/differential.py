#!/usr/bin/env python3
"""Differential check against xmltodict 1.0.4: seeded random documents through our
`convert_file` example and through `xmltodict.parse`, compared as JSON values.

The generator covers the rules of the default mapping and the payload options (repeated and
interleaved siblings, mixed content, CDATA, comments, PIs, whitespace, entity and character
references, invalid characters, prefixes and `xmlns` declarations, UTF-8 with/without BOM,
UTF-16, ISO-8859-1, truncation, a second root, entity declarations) crossed with
`process_namespaces` (+ `namespaces`), `force_list` (names and `true`), `strip_whitespace`,
`attr_prefix` and `text_key`. Both sides must accept or both reject; accepted documents
must convert to equal JSON values. Deterministic for a given seed range.

  python3 differential.py BIN [--seed N] [--count N]
  (CI: target/debug/examples/convert_file, built by `cargo test`; needs xmltodict==1.0.4)

Known and documented differences are not generated: default attribute values from an
internal DTD subset (expat applies them, we do not), and an encoding declaration that
contradicts a UTF-16 byte order mark (expat rejects, we follow the BOM).
"""
import argparse
import json
import random
import subprocess
import sys

import xmltodict
from xml.parsers.expat import ExpatError

NAMES = ["a", "b", "c", "item", "x:y", "p:a", "\u00e9l", "a.b-c", "_u"]
ATTRS = ["id", "k", "v", "x:q", "xmlns:x", "xmlns", "xmlns:p", "lang", "xml:lang"]
TEXTS = ["&#0;", "&#xD800;", "&undef;", "&#x1F600;", "\t", " a ", "hello", " spaced ",
         "\n  \t", "a&amp;b", "&lt;tag&gt;", "&#65;&#x42;", "\u00e9 \u00fc \u4e2d", "  ", "",
         "x\ny", "1.5", "true", "&quot;q&apos;", "\r\n text \r", "]]&gt;"]
VALUES = ["1", "a b", " lead", "tab\there", "nl\nx", "&amp;", "&#10;", "&#9;x", "'", "",
          "\u00e9", "x&lt;y", "uri:one", "uri:two"]
NS_URIS = ["uri:one", "uri:two", "http://e/ns"]


def text(r):
    k = r.random()
    if k < 0.1:
        return "<![CDATA[" + r.choice(["raw <b>", " ", "", "x]]y", "a & b"]) + "]]>"
    if k < 0.15:
        return "<!--" + r.choice(["c", " -x- ", ""]) + "-->"
    if k < 0.18:
        return "<?pi data?>"
    return r.choice(TEXTS)


def element(r, depth):
    name = r.choice(NAMES)
    used, attrs = set(), []
    for _ in range(r.choice([0, 0, 0, 1, 1, 2, 3])):
        a = r.choice(ATTRS)
        if a in used:
            continue
        used.add(a)
        v = r.choice(NS_URIS) if a.startswith("xmlns") else r.choice(VALUES)
        q = '"' if '"' not in v else "'"
        attrs.append(f" {a}={q}{v}{q}")
    if "xmlns:x" not in used and (name.startswith("x:") or any(a.startswith(" x:") for a in attrs)):
        attrs.append(' xmlns:x="uri:one"')
    if "xmlns:p" not in used and name.startswith("p:"):
        attrs.append(' xmlns:p="uri:two"')
    a = "".join(attrs)
    if depth > 4 or r.random() < 0.15:
        return f"<{name}{a}/>"
    parts = [element(r, depth + 1) if r.random() < 0.55 else text(r)
             for _ in range(r.choice([0, 1, 1, 2, 3, 4, 5]))]
    return f"<{name}{a}>{''.join(parts)}</{name}>"


def document(r):
    pre = r.choice(["", '<?xml version="1.0"?>\n', '<?xml version="1.0" encoding="UTF-8"?>',
                    "<!-- lead -->\n", "<!DOCTYPE r>\n", "\ufeff"])
    post = r.choice(["", "\n", "<!-- tail -->", " \n<?pi x?>"])
    txt = pre + element(r, 0) + post
    enc = r.random()
    data = txt.encode("utf-8")
    if enc < 0.1:
        body = txt.replace('<?xml version="1.0"?>', "")
        body = body.replace('<?xml version="1.0" encoding="UTF-8"?>', "").lstrip("\ufeff")
        try:
            data = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("latin-1")
        except UnicodeEncodeError:
            pass
    elif enc < 0.18:
        data = txt.lstrip("\ufeff").replace(' encoding="UTF-8"', "").encode("utf-16")
    m = r.random()
    if m < 0.08:
        data = data[: r.randrange(len(data))]
    elif m < 0.12:
        data += b"<extra/>"
    elif m < 0.15:
        data = b'<!DOCTYPE r [<!ENTITY e "x">]>' + data
    return data


def options(r):
    """(xmltodict keyword arguments, our payload)"""
    m = r.random()
    if m < 0.2:
        return {"process_namespaces": True}, {"process_namespaces": True}
    if m < 0.3:
        return {"force_list": ("a", "item")}, {"force_list": ["a", "item"]}
    if m < 0.4:
        return {"strip_whitespace": False}, {"strip_whitespace": False}
    if m < 0.5:
        ns = {"uri:one": "one", "uri:two": None}
        return ({"process_namespaces": True, "namespaces": ns},
                {"process_namespaces": True, "namespaces": ns})
    if m < 0.6:
        return ({"attr_prefix": "", "cdata_key": "_t"}, {"attr_prefix": "", "text_key": "_t"})
    if m < 0.7:
        return {"force_list": True}, {"force_list": True}
    return {}, {}


def peer(data, kwargs):
    try:
        return "ok", json.loads(json.dumps(xmltodict.parse(data, **kwargs), ensure_ascii=False))
    except (ExpatError, ValueError) as e:
        return "rejected", str(e)


def ours(binary, data, payload):
    p = subprocess.run([binary, json.dumps(payload)], input=data, capture_output=True, check=False)
    if p.returncode == 0:
        return "ok", json.loads(p.stdout)
    if p.returncode == 2:
        return "rejected", p.stderr.decode(errors="replace").strip()
    raise SystemExit(f"{binary} exited with {p.returncode}: {p.stderr.decode(errors='replace')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    args = ap.parse_args()
    counts, bad = {}, 0
    for seed in range(args.seed, args.seed + args.count):
        r = random.Random(seed)
        data = document(r)
        kwargs, payload = options(r)
        a, b = peer(data, kwargs), ours(args.binary, data, payload)
        counts[a[0]] = counts.get(a[0], 0) + 1
        if a[0] != b[0] or (a[0] == "ok" and a[1] != b[1]):
            bad += 1
            if bad <= 5:
                print(f"seed {seed}, payload {json.dumps(payload)}\n  input {data[:300]!r}\n"
                      f"  xmltodict {str(a)[:300]}\n  ours      {str(b)[:300]}")
    print(f"{args.count} documents ({counts.get('ok', 0)} converted, "
          f"{counts.get('rejected', 0)} rejected by xmltodict): {bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
