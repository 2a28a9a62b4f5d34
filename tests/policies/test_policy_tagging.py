"""Tagging rules: required tags through provider default tags, phoenix expiry tags, taggable list freshness."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import TAGS, messages, not_applicable, reg, urn, violations

from policies.mlops.tagging import generate_taggable, resource_phoenix_expiry, resource_required_tags
from policies.mlops.tagging.taggable_types import SDK_VERSION, TAGGABLE_TYPES

BUCKET = "aws:s3/bucket:Bucket"
PROVIDER = "pulumi:providers:aws"
PROVIDER_REF = urn(PROVIDER, "platform-aws") + "::0b1c2d"
PHOENIX = {"mlops:environment": "pr-42", "mlops:phoenix": {"enabled": True, "ttl": "8h"}}
EXPIRY = {"mlops:phoenix": "true", "mlops:expires-at": "2026-11-23T12:00:00Z"}


def provider(tags: dict[str, str], stack: str = "dev") -> Any:
    # pulumi-aws sends provider object inputs as JSON strings.
    return reg(
        PROVIDER, "platform-aws", {"region": "eu-west-1", "defaultTags": json.dumps({"tags": tags})}, stack=stack
    )


def bucket(tags: dict[str, str] | None = None, stack: str = "dev", **kw: Any) -> Any:
    inputs = {"bucket": "b"} | ({"tags": tags} if tags is not None else {})
    return reg(BUCKET, "b", inputs, provider=PROVIDER_REF.replace(":dev:", f":{stack}:"), stack=stack, **kw)


def test_required_tags_from_provider_defaults() -> None:
    assert violations(resource_required_tags.RULE, provider(TAGS), bucket()) == []


def test_required_tags_on_resource_itself() -> None:
    assert violations(resource_required_tags.RULE, provider({}), bucket(TAGS)) == []


@pytest.mark.parametrize("missing", ["owner", "environment", "cost-center"])
def test_each_missing_required_tag_is_reported(missing: str) -> None:
    tags = {k: v for k, v in TAGS.items() if k != missing}
    assert messages(resource_required_tags.RULE, provider(tags), bucket()) == [
        f"missing required tag(s) {missing} (resource tags and provider default tags)"
    ]


def test_empty_tag_value_and_no_provider() -> None:
    assert len(violations(resource_required_tags.RULE, provider({**TAGS, "owner": " "}), bucket())) == 1
    lone = reg(BUCKET, "b", {"bucket": "b"})
    assert messages(resource_required_tags.RULE, lone) == [
        "missing required tag(s) owner, environment, cost-center (resource tags and provider default tags)"
    ]


def test_default_provider_tags_come_from_stack_config() -> None:
    lone = reg(BUCKET, "b", {"bucket": "b"})
    config = {"aws:region": "eu-west-1", "aws:defaultTags": {"tags": TAGS}}
    assert violations(resource_required_tags.RULE, lone, config=config) == []


def test_untaggable_types_are_ignored() -> None:
    versioning = reg("aws:s3/bucketVersioning:BucketVersioning", "v", {"bucket": "b"})
    assert violations(resource_required_tags.RULE, versioning) == []


def test_autoscaling_groups_use_their_own_tag_list() -> None:
    group_tags = [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()]
    asg = reg("aws:autoscaling/group:Group", "asg", {"tags": group_tags}, provider=PROVIDER_REF)
    assert violations(resource_required_tags.RULE, provider({}), asg) == []
    bare = reg("aws:autoscaling/group:Group", "asg", {}, provider=PROVIDER_REF)
    assert len(violations(resource_required_tags.RULE, provider(TAGS), bare)) == 1  # defaults don't reach ASGs


def test_phoenix_expiry_tag() -> None:
    rule = resource_phoenix_expiry.RULE
    ok = (provider({**TAGS, **EXPIRY}, "pr-42"), bucket(stack="pr-42"))
    assert violations(rule, *ok, stack="pr-42", config=PHOENIX) == []
    cases = {
        "mlops:expires-at": ("unset", "is not a UTC ISO-8601 timestamp"),
        "mlops:phoenix": ("false", "mlops:phoenix=true is missing"),
    }
    for key, (value, expected) in cases.items():
        tags = {**TAGS, **EXPIRY, key: value}
        found = messages(rule, provider(tags, "pr-42"), bucket(stack="pr-42"), stack="pr-42", config=PHOENIX)
        assert len(found) == 1 and expected in found[0], found
    for bad in ("2026-11-23", "2026-11-23T12:00:00+02:00", "2026-11-23T12:00:00"):
        found = messages(
            rule,
            provider({**TAGS, **EXPIRY, "mlops:expires-at": bad}, "pr-42"),
            bucket(stack="pr-42"),
            stack="pr-42",
            config=PHOENIX,
        )
        assert found == [f"tag mlops:expires-at={bad!r} is not a UTC ISO-8601 timestamp (e.g. 2026-11-23T12:00:00Z)"]
    no_expiry = {**TAGS, "mlops:phoenix": "true"}
    assert messages(rule, provider(no_expiry, "pr-42"), bucket(stack="pr-42"), stack="pr-42", config=PHOENIX) == [
        "tag mlops:expires-at is missing"
    ]


def test_phoenix_rule_not_applicable_elsewhere() -> None:
    rule = resource_phoenix_expiry.RULE
    assert violations(rule, provider(TAGS), bucket()) == []
    assert not_applicable(rule, provider(TAGS), bucket()) == ["not a phoenix stack"]


def test_taggable_list_matches_installed_sdk() -> None:
    root, version = generate_taggable.sdk_location()
    assert version == SDK_VERSION, "pulumi-aws changed: run python -m policies.mlops.tagging.generate_taggable"
    assert generate_taggable.scan_sdk(root) == TAGGABLE_TYPES
    assert {"aws:s3/bucket:Bucket", "aws:eks/cluster:Cluster", "aws:iam/role:Role"} <= TAGGABLE_TYPES
    assert "aws:s3/bucketVersioning:BucketVersioning" not in TAGGABLE_TYPES
