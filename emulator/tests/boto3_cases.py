"""boto3 against the emulator: the cases users try first, as boto3 sends them.

Run by emulator/tests/it/boto3.rs, which starts the emulator and passes, in the environment:
EMU_HTTP, EMU_HTTPS (endpoints), EMU_CA (the certificate the HTTPS endpoint serves), EMU_AK /
EMU_SK (an admin credential), EMU_FINANCE_AK / EMU_FINANCE_SK (a Finance team user).
Prints `ok <case>` per case; any failure raises (non-zero exit, traceback on stderr).
"""

import hashlib
import base64
import os

import boto3
import botocore.config
import botocore.exceptions

HTTP = os.environ["EMU_HTTP"]
HTTPS = os.environ["EMU_HTTPS"]
CA = os.environ["EMU_CA"]
PATH_STYLE = botocore.config.Config(
    s3={"addressing_style": "path"}, retries={"max_attempts": 1}
)


def client(endpoint, ak, sk, verify=None):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        config=PATH_STYLE,
        verify=verify,
    )


admin = client(HTTP, os.environ["EMU_AK"], os.environ["EMU_SK"])
finance = client(HTTP, os.environ["EMU_FINANCE_AK"], os.environ["EMU_FINANCE_SK"])


def error_of(call, **kwargs):
    """(HTTP status, S3 error code) of a call that must fail."""
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as e:
        return (
            e.response["ResponseMetadata"]["HTTPStatusCode"],
            e.response["Error"]["Code"],
        )
    raise AssertionError(f"{call.__name__} {kwargs} succeeded; an error was expected")


def ok(case):
    print("ok", case, flush=True)


# GET through an Object Lambda Access Point (name as the bucket, path-style).
admin.put_object(Bucket="plain", Key="hello.txt", Body=b"hello from boto3")
got = admin.get_object(Bucket="passthrough", Key="hello.txt")
assert got["Body"].read() == b"hello from boto3", got
assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
ok("get-through-olap")

# Versioning: every version stays readable by its id, directly and through the access point.
admin.put_bucket_versioning(
    Bucket="plain", VersioningConfiguration={"Status": "Enabled"}
)
assert admin.get_bucket_versioning(Bucket="plain")["Status"] == "Enabled"
v1 = admin.put_object(Bucket="plain", Key="ver.txt", Body=b"first")["VersionId"]
v2 = admin.put_object(Bucket="plain", Key="ver.txt", Body=b"second")["VersionId"]
assert v1 and v2 and v1 != v2, (v1, v2)
old = admin.get_object(Bucket="plain", Key="ver.txt", VersionId=v1)
assert old["Body"].read() == b"first" and old["VersionId"] == v1, old
assert admin.get_object(Bucket="plain", Key="ver.txt")["Body"].read() == b"second"
via = admin.get_object(Bucket="passthrough", Key="ver.txt", VersionId=v1)
assert via["Body"].read() == b"first", via
versions = admin.list_object_versions(Bucket="plain", Prefix="ver.txt")["Versions"]
assert sorted(v["VersionId"] for v in versions) == sorted([v1, v2]), versions
ok("versioning")

# ExpectedBucketOwner naming another account: 403 AccessDenied.
assert error_of(
    admin.get_object, Bucket="plain", Key="hello.txt", ExpectedBucketOwner="999999999999"
) == (403, "AccessDenied")
assert error_of(
    admin.list_objects_v2, Bucket="plain", ExpectedBucketOwner="999999999999"
) == (403, "AccessDenied")
assert (
    admin.head_object(Bucket="plain", Key="hello.txt", ExpectedBucketOwner="111122223333")[
        "ContentLength"
    ]
    == 16
)
ok("expected-bucket-owner")

# An invalid encoding-type: 400 InvalidArgument (botocore does not check enum values).
assert error_of(admin.list_objects_v2, Bucket="plain", EncodingType="bogus") == (
    400,
    "InvalidArgument",
)
ok("encoding-type")

# Policies: the Finance user reads Finance/ through its Object Lambda Access Point, and is
# denied Sales/ there and directly.
got = finance.get_object(Bucket="finance-olap", Key="Finance/q1.csv")
assert got["Body"].read() == b"finance q1", got
assert error_of(finance.get_object, Bucket="finance-olap", Key="Sales/q1.csv") == (
    403,
    "AccessDenied",
)
assert error_of(finance.get_object, Bucket="data", Key="Sales/q1.csv") == (
    403,
    "AccessDenied",
)
assert error_of(finance.get_object, Bucket="sales-olap", Key="Sales/q1.csv") == (
    403,
    "AccessDenied",
)
ok("policy-denies-other-team")

# SSE-KMS: recorded on PUT and returned on HEAD and GET.
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
put = admin.put_object(
    Bucket="plain",
    Key="kms.txt",
    Body=b"kms",
    ServerSideEncryption="aws:kms",
    SSEKMSKeyId=KEY_ARN,
    BucketKeyEnabled=True,
)
assert put["ServerSideEncryption"] == "aws:kms", put
head = admin.head_object(Bucket="plain", Key="kms.txt")
assert head["ServerSideEncryption"] == "aws:kms", head
assert head["SSEKMSKeyId"] == KEY_ARN, head
assert head.get("BucketKeyEnabled") is True, head
ok("sse-kms-headers")

# Checksums: uploaded with SHA-256, returned with ChecksumMode=ENABLED.
data = b"checksum me"
expected = base64.b64encode(hashlib.sha256(data).digest()).decode()
# (S3 also echoes the checksum in PutObject's response; the emulator does not yet.)
admin.put_object(Bucket="plain", Key="sum.txt", Body=data, ChecksumAlgorithm="SHA256")
got = admin.get_object(Bucket="plain", Key="sum.txt", ChecksumMode="ENABLED")
assert got["ChecksumSHA256"] == expected, got
assert got["Body"].read() == data
ok("checksum-mode")

# HTTPS with the emulator's certificate as the CA bundle: direct and through the access point;
# without it (system roots) the certificate is refused.
tls = client(HTTPS, os.environ["EMU_AK"], os.environ["EMU_SK"], verify=CA)
assert tls.get_object(Bucket="plain", Key="hello.txt")["Body"].read() == b"hello from boto3"
assert (
    tls.get_object(Bucket="passthrough", Key="hello.txt")["Body"].read()
    == b"hello from boto3"
)
untrusting = client(HTTPS, os.environ["EMU_AK"], os.environ["EMU_SK"], verify=True)
try:
    untrusting.head_bucket(Bucket="plain")
    raise AssertionError("a self-signed certificate was accepted with the system roots")
except botocore.exceptions.SSLError:
    pass
ok("https-verify-ca")
