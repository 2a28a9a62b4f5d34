"""Least-privilege access documents of the governed storage layer, built by pure functions.

- :func:`access_document`, :func:`read_only_document`, :func:`read_write_document`: IAM policies a
  workload role (MLflow, Airflow, serving) attaches to reach lake zones: objects under given prefixes
  of each zone bucket, listing of only those prefixes, and the lake key used only through S3.
- :func:`key_policy`: the key policy of a storage key: the account administers it, and uses it only
  through named AWS services of its own region (``kms:ViaService`` + ``kms:CallerAccount``).
- :func:`encrypted_bucket_policy`, :func:`log_bucket_policy`: bucket policies of the lake's buckets
  (TLS only; puts only with the lake key; S3 log delivery for the lake's own buckets).

Built on :mod:`components.iam`; no ``*`` action, every resource a concrete bucket, prefix or key.
Inputs are plain strings: call these inside ``Output.all(...).apply``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from components.config_base import REGION_PATTERN
from components.iam import Statement, document, kms_use, s3_access

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(REGION_PATTERN)
_BUCKET_ARN = re.compile(r"^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_ARN = re.compile(r"^arn:aws:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_SERVICE = re.compile(r"^[a-z0-9-]+$")

KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
)
"""Key administration without cryptographic use (the AWS key-administrators set)."""

KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
"""Cryptographic use of a key by an AWS service on the caller's behalf."""

KEY_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
"""Grants, which Redshift and Secrets Manager create on the key for their own resources."""


@dataclass(frozen=True)
class ZoneGrant:
    """Access to one lake zone: its bucket, read or read-write, limited to prefixes."""

    zone: str
    """Zone name (``raw``, ``curated``, ``ml-artifacts``), used in statement ids."""
    bucket_arn: str
    """ARN of the zone bucket (``arn:aws:s3:::<name>``)."""
    write: bool = False
    """Also put and delete objects (and abort multipart uploads)."""
    prefixes: tuple[str, ...] = ("",)
    """Key prefixes the grant is limited to; ``""`` is the whole bucket."""


def sid_part(name: str) -> str:
    """``ml-artifacts`` -> ``MlArtifacts``: IAM statement ids allow letters and digits only."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def zone_statements(grant: ZoneGrant) -> list[Statement]:
    """S3 statements of one zone grant: objects under the prefixes, listing only those prefixes."""
    if not grant.zone or not sid_part(grant.zone):
        raise ValueError(f"zone {grant.zone!r} must contain letters or digits")
    if not _BUCKET_ARN.match(grant.bucket_arn):
        raise ValueError(f"zone {grant.zone!r}: {grant.bucket_arn!r} is not an S3 bucket ARN (arn:aws:s3:::<name>)")
    if not grant.prefixes:
        raise ValueError(f"zone {grant.zone!r}: give at least one prefix ('' for the whole bucket)")
    for prefix in grant.prefixes:
        if "*" in prefix or "?" in prefix:
            raise ValueError(f"zone {grant.zone!r}: prefix {prefix!r} must not contain wildcards")
    mode = "ReadWrite" if grant.write else "Read"
    return s3_access(grant.bucket_arn, grant.prefixes, write=grant.write, sid=f"{mode}{sid_part(grant.zone)}")


def key_statements(key_arn: str, region: str, *, encrypt: bool) -> list[Statement]:
    """Use of the lake key, only through S3 in the lake's region (SSE-KMS objects)."""
    if not _KEY_ARN.match(key_arn):
        raise ValueError(f"{key_arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    _check_region(region)
    statements = kms_use(key_arn, encrypt=encrypt, sid="UseLakeKeyThroughS3")
    # The key only ever protects S3 objects for workloads: deny any other path to it (direct
    # Decrypt calls, other services) even if a broader policy is attached later.
    statements[0]["Condition"] = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    return statements


def access_document(grants: Sequence[ZoneGrant], *, key_arn: str, region: str) -> str:
    """One IAM policy document for a set of zone grants plus the key use they need.

    The key may encrypt only when at least one grant writes. A zone appears at most once.
    """
    if not grants:
        raise ValueError("give at least one zone grant")
    zones = [grant.zone for grant in grants]
    duplicates = sorted({zone for zone in zones if zones.count(zone) > 1})
    if duplicates:
        raise ValueError(f"zones {duplicates} are granted more than once; merge them into one grant")
    groups = [zone_statements(grant) for grant in grants]
    groups.append(key_statements(key_arn, region, encrypt=any(grant.write for grant in grants)))
    return document(*groups)


def read_only_document(zone: str, bucket_arn: str, key_arn: str, region: str, prefixes: Sequence[str] = ("",)) -> str:
    """Read objects of one zone (under ``prefixes``) and decrypt them."""
    grant = ZoneGrant(zone=zone, bucket_arn=bucket_arn, write=False, prefixes=tuple(prefixes))
    return access_document([grant], key_arn=key_arn, region=region)


def read_write_document(zone: str, bucket_arn: str, key_arn: str, region: str, prefixes: Sequence[str] = ("",)) -> str:
    """Read and write objects of one zone (under ``prefixes``), encrypting new ones with the key."""
    grant = ZoneGrant(zone=zone, bucket_arn=bucket_arn, write=True, prefixes=tuple(prefixes))
    return access_document([grant], key_arn=key_arn, region=region)


def key_policy(account_id: str, region: str, *, services: Sequence[str], grants: bool = False) -> str:
    """Key policy: the account administers the key; it is used only through ``services`` in ``region``.

    No ``*`` principal: the account root principal delegates to IAM, so a role also needs an IAM
    policy allowing the key (e.g. :func:`access_document`), and even then only through the listed
    services, from this account. ``grants`` lets those services create grants for their own resources
    (Redshift, Secrets Manager). ``Resource: "*"`` in a key policy means this key only.
    """
    if not _ACCOUNT.match(account_id):
        raise ValueError(f"{account_id!r} is not a 12-digit AWS account id")
    _check_region(region)
    if not services:
        raise ValueError("name at least one AWS service that uses the key")
    for service in services:
        if not _SERVICE.match(service):
            raise ValueError(f"{service!r} is not an AWS service endpoint prefix (e.g. s3, glue)")
    root = {"AWS": f"arn:aws:iam::{account_id}:root"}
    via = {
        "kms:CallerAccount": account_id,
        "kms:ViaService": sorted(f"{service}.{region}.amazonaws.com" for service in set(services)),
    }
    statements: list[Statement] = [
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "UseThroughPlatformServices",
            "Effect": "Allow",
            "Principal": root,
            "Action": list(KEY_USE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": via},
        },
    ]
    if grants:
        statements.append(
            {
                "Sid": "GrantsForAwsResources",
                "Effect": "Allow",
                "Principal": root,
                "Action": list(KEY_GRANT_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            }
        )
    return document(statements)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """Deny every request to the bucket and its objects that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def encrypted_bucket_policy(bucket_arn: str, key_arn: str) -> str:
    """Bucket policy of a KMS bucket: TLS only; puts must ask for SSE-KMS, and with no key but ``key_arn``."""
    objects = f"{bucket_arn}/*"
    return document(
        [
            deny_insecure_transport(bucket_arn),
            {
                # Puts asking for anything but SSE-KMS (e.g. AES256) are denied. Puts without the header get
                # the bucket default (SSE-KMS with the lake key), so nothing lands unencrypted, and writers
                # that cannot send the header (Airflow's S3 task-log handler) still work.
                "Sid": "DenyObjectsNotEncryptedWithKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            },
            {
                # Without the key-id header S3 uses the bucket default (the lake key); with it, only that key.
                "Sid": "DenyObjectsEncryptedWithOtherKeys",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}},
            },
        ]
    )


def log_bucket_policy(log_bucket_arn: str, source_bucket_arns: Sequence[str], account_id: str) -> str:
    """Bucket policy of the access-log bucket: TLS only; S3 log delivery may write for the lake's buckets only.

    With ACLs disabled (BucketOwnerEnforced) the log-delivery group cannot be granted by ACL; the
    logging service principal is allowed by policy, scoped to the source buckets and the account
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    """
    return document(
        [
            deny_insecure_transport(log_bucket_arn),
            {
                "Sid": "AllowServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{log_bucket_arn}/*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": sorted(source_bucket_arns)},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
        ]
    )


def statements_of(policy: str) -> list[Statement]:
    """The statements of a policy document (JSON text)."""
    parsed = json.loads(policy)
    statements: list[Statement] = parsed["Statement"]
    return statements


def _check_region(region: str) -> None:
    if not _REGION.match(region):
        raise ValueError(f"{region!r} is not an AWS region (e.g. eu-west-1)")
