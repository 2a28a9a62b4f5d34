"""Recognising a reference to an AWS managed KMS key (``aws/s3``, ``aws/rds``, ``aws/secretsmanager``...).

A ``kmsKeyId``/``kmsMasterKeyId`` input names a key by key id, key ARN, alias name or alias ARN
(https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id). AWS managed keys are the ones
whose alias starts with ``aws/``: their key policy is AWS's (every principal of the account that may use the
service may decrypt), so they separate nothing and cannot be revoked for one reader. Only the alias forms can
be told apart offline: a bare key id or key ARN may belong to either kind, and is taken to be the platform's.
"""

from __future__ import annotations

import re
from typing import Any

AWS_MANAGED_ALIAS = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias/aws/[A-Za-z0-9/_-]+$")
"""``alias/aws/<service>`` or its ARN form."""


def is_aws_managed(value: Any) -> bool:
    """True when ``value`` names an AWS managed key by its alias (``alias/aws/s3`` or the alias ARN)."""
    return isinstance(value, str) and bool(AWS_MANAGED_ALIAS.match(value.strip()))


def customer_key_problem(value: Any, *, field: str, service_key: str) -> str | None:
    """Why ``value`` (input ``field``) is not a customer managed key, or None when it names one.

    ``service_key`` is the AWS managed key the service falls back to (``aws/rds``) for the message.
    """
    if value is None or value == "":
        return f"{field} is not set: the AWS managed key {service_key} is used"
    if is_aws_managed(value):
        return f"{field} {value!r} is an AWS managed key; name the platform's customer managed key"
    return None
