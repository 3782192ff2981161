#!/usr/bin/env python3
"""Writes the sample events: one per context (GET, HEAD, LIST, LIST V2) per function.

Shapes follow AWS's documented events (docs.aws.amazon.com/AmazonS3/latest/userguide/
olap-event-context.html); values are realistic but fake. Usable with `sam local invoke -e` and
`cargo lambda invoke --data-file`; `cargo test` loads and round-trips every one.
Run: python3 events/generate.py
"""
import json
import pathlib

ACCOUNT = "111122223333"
REGION = "us-east-1"
SIG = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=ASIAEXAMPLEKEY%2F20261127%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20261127T100000Z&X-Amz-Expires=61&X-Amz-Security-Token=EXAMPLETOKEN"
    "&X-Amz-Signature=" + "0" * 64
)
IDENTITY = {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLEID:analyst",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Analyst/analyst",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAEXAMPLEKEY",
    "sessionContext": {
        "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-27T10:00:00Z"},
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLEID",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/Analyst",
            "accountId": ACCOUNT,
            "userName": "Analyst",
        },
    },
}

# function -> (object key, payload, extra GET headers / query)
FUNCTIONS = {
    "passthrough": ("reports/2026/q3.csv", {}, {"Range": "bytes=0-1023", "If-None-Match": '"a1b2c3"'}, ""),
    "pii-redactor": (
        "support/tickets-2026-11.jsonl",
        {"entity_types": "ALL", "mask_mode": "REPLACE_WITH_PII_ENTITY_TYPE", "redact_fields": ["name", "address"]},
        {},
        "",
    ),
    "xml-to-json": ("feeds/catalog.xml", {"item_depth": 2, "force_list": ["item"]}, {}, ""),
    "image-transform": (
        "photos/team/offsite.jpg",
        {
            "width": 1024,
            "format": "webp",
            "allow_request_overrides": True,
            "watermark": {"text": "{user_name} · {date}", "position": "southeast", "opacity": 0.5},
        },
        {"Accept": "image/webp,image/*"},
        "?width=640",
    ),
}


def event(function, context, key, payload, headers, query):
    ap = f"https://demo-ap-{ACCOUNT}.s3-accesspoint.{REGION}.amazonaws.com"
    olap_host = f"{function}-{ACCOUNT}.s3-object-lambda.{REGION}.amazonaws.com"
    base = {
        "xAmzRequestId": f"{function}-{context}-0001",
        "configuration": {
            "accessPointArn": f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/{function}",
            "supportingAccessPointArn": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/demo-ap",
            "payload": json.dumps(payload, ensure_ascii=False),
        },
        "userIdentity": IDENTITY,
        "protocolVersion": "1.00",
    }
    common = {"Host": olap_host, "Accept-Encoding": "identity"}
    if context == "get-object":
        signed = "host%3Bx-amz-checksum-mode"
        base["getObjectContext"] = {
            "inputS3Url": f"{ap}/{key}?{SIG}&X-Amz-SignedHeaders={signed}",
            "outputRoute": "io-use1-001",
            "outputToken": "OutputTokenExample",
        }
        base["userRequest"] = {
            "url": f"https://{olap_host}/{key}{query}",
            "headers": {**common, "x-amz-checksum-mode": "ENABLED", **headers},
        }
    elif context == "head-object":
        base["headObjectContext"] = {"inputS3Url": f"{ap}/{key}?{SIG}&X-Amz-SignedHeaders=host"}
        base["userRequest"] = {"url": f"https://{olap_host}/{key}", "headers": common}
    else:
        prefix = key.rsplit("/", 1)[0] + "/"
        v2 = context == "list-objects-v2"
        q = ("list-type=2&" if v2 else "") + f"prefix={prefix}&max-keys=100"
        enc = q.replace("/", "%2F")
        ctx = "listObjectsV2Context" if v2 else "listObjectsContext"
        base[ctx] = {"inputS3Url": f"{ap}/?{enc}&{SIG}&X-Amz-SignedHeaders=host"}
        base["userRequest"] = {"url": f"https://{olap_host}/?{q}", "headers": common}
    return base


def main():
    root = pathlib.Path(__file__).parent
    for function, (key, payload, headers, query) in FUNCTIONS.items():
        folder = root / function
        folder.mkdir(exist_ok=True)
        for context in ["get-object", "head-object", "list-objects", "list-objects-v2"]:
            ev = event(function, context, key, payload, headers, query)
            (folder / f"{context}.json").write_text(json.dumps(ev, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
