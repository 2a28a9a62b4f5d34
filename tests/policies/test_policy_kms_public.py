"""kms-key-policy-no-public-access: a key open to every principal is caught; confined statements are not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import messages, not_applicable, reg, violations

from policies.mlops.kms import key_policy_no_public_access

KEY = "aws:kms/key:Key"
ROOT = {
    "Sid": "Admin",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def key(*extra: dict[str, Any]) -> Any:
    return reg(
        KEY,
        "k",
        {"enableKeyRotation": True, "policy": json.dumps({"Version": "2012-10-17", "Statement": [ROOT, *extra]})},
    )


def test_account_root_and_confined_wildcards_pass() -> None:
    confined = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Decrypt"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        },
    }
    assert violations(key_policy_no_public_access.RULE, key(confined)) == []


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::123456789012:root", "*"]}])
def test_kms_star_to_everyone_is_caught(principal: Any) -> None:
    public = {"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "kms:*", "Resource": "*"}
    assert messages(key_policy_no_public_access.RULE, key(public)) == [
        "statement Open allows kms:* to every principal without a confining condition"
    ]


def test_a_deny_for_everyone_is_fine_and_no_policy_is_not_applicable() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    assert violations(key_policy_no_public_access.RULE, key(deny)) == []
    assert not_applicable(key_policy_no_public_access.RULE, reg(KEY, "k", {"enableKeyRotation": True}))
