"""Property paths, the replacement table and the policy delta."""

from __future__ import annotations

import pytest
from diff_helpers import plan, resource, violation

from mlopsctl.diff import Violation, diff_plans, parse_plan, policy_delta
from mlopsctl.diff.paths import format_path, parse_path
from mlopsctl.diff.replacements import FORCE_NEW, forcing_match
from mlopsctl.diff.urns import parse_urn


@pytest.mark.parametrize(
    ("segments", "text"),
    [
        (("a", "b", 2, "c"), "a.b[2].c"),
        ((0, "x"), "[0].x"),
        (("tags", "kubernetes.io/role"), 'tags["kubernetes.io/role"]'),
        (("m", 'quote"d'), 'm["quote\\"d"]'),
        (("cost-center",), "cost-center"),
    ],
)
def test_path_format_and_parse_round_trip(segments: tuple, text: str) -> None:
    assert format_path(segments) == text
    assert parse_path(text) == segments


def test_forcing_match_looks_through_list_indices_and_prefixes() -> None:
    assert forcing_match("aws:ec2/subnet:Subnet", ("cidrBlock",)) == "cidrBlock"
    assert forcing_match("aws:eks/nodeGroup:NodeGroup", ("instanceTypes", 0)) == "instanceTypes"
    assert forcing_match("kubernetes:apps/v1:Deployment", ("spec", "selector", "matchLabels", "app")) == (
        "spec.selector"
    )
    assert forcing_match("aws:ec2/subnet:Subnet", ("tags", "cidrBlock")) is None
    assert forcing_match("aws:unknown/thing:Thing", ("name",)) is None


def test_replacement_table_keys_are_pulumi_type_tokens() -> None:
    for type_ in FORCE_NEW:
        pkg, module, cls = type_.split(":")
        assert pkg in {"aws", "kubernetes"} and module and cls[0].isupper(), type_


def test_urn_parsing() -> None:
    parsed = parse_urn("urn:pulumi:dev::mlops-platform::mlops:lake:DataLake$aws:s3/bucket:Bucket::lake::raw")
    assert parsed is not None
    assert parsed.type_chain == ("mlops:lake:DataLake", "aws:s3/bucket:Bucket")
    assert parsed.name == "lake::raw" and parsed.stack == "dev"
    assert parse_urn("arn:aws:s3:::bucket") is None


def _v(policy: str, urn: str, level: str = "mandatory", severity: str = "high") -> Violation:
    return Violation(policy=policy, level=level, severity=severity, urn=urn, message="m")


def test_policy_delta_new_fixed_unchanged_with_new_mandatory_first() -> None:
    base = [_v("s3-sse", "u1"), _v("tags", "u2", "advisory", "low")]
    head = [
        _v("tags", "u2", "advisory", "low"),
        _v("iam-star", "u3", "advisory", "critical"),
        _v("sg-open", "u4", "mandatory", "medium"),
        _v("rds-public", "u5", "mandatory", "critical"),
        _v("s3-sse", "u6"),  # same policy, other resource: new
    ]
    delta = policy_delta(base, head)
    assert delta is not None
    assert [(v.policy, v.urn) for v in delta.new] == [
        ("rds-public", "u5"),
        ("s3-sse", "u6"),
        ("sg-open", "u4"),
        ("iam-star", "u3"),
    ]
    assert [v.key for v in delta.new_mandatory] == [("rds-public", "u5"), ("s3-sse", "u6"), ("sg-open", "u4")]
    assert [v.key for v in delta.fixed] == [("s3-sse", "u1")]
    assert [v.key for v in delta.unchanged] == [("tags", "u2")]


def test_policy_delta_follows_renamed_resources_and_handles_missing_sections() -> None:
    delta = policy_delta([_v("p", "old")], [_v("p", "new")], {"old": "new"})
    assert delta is not None and not delta.new and not delta.fixed and len(delta.unchanged) == 1
    assert policy_delta([_v("p", "u")], None) is None
    unevaluated_base = policy_delta(None, [_v("p", "u")])
    assert unevaluated_base is not None and not unevaluated_base.base_evaluated and len(unevaluated_base.new) == 1


def test_plan_policy_sections_flow_into_the_diff() -> None:
    b = resource("aws:s3/bucket:Bucket", "b", {"bucket": "b"})
    base = plan([b], violations=[violation("s3-bucket-sse-kms", b["urn"])])
    head = plan([b], violations=[violation("s3-bucket-public-block", b["urn"], level="advisory")])
    diff = diff_plans(parse_plan(base, "base"), parse_plan(head, "head"))
    assert diff.policy is not None
    assert [v.policy for v in diff.policy.new] == ["s3-bucket-public-block"]
    assert [v.policy for v in diff.policy.fixed] == ["s3-bucket-sse-kms"]
    assert diff.policy.new_mandatory == ()
    no_policy = diff_plans(parse_plan(plan([b]), "base"), parse_plan(plan([b]), "head"))
    assert no_policy.policy is None
