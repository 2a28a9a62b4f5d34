"""s3-bucket-tls-only: every bucket policy denies requests that do not use TLS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.iam_doc import statements
from policies.mlops.props import as_map, as_strs, is_false, json_value
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, POLICY, settings_of


def denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    """A ``Deny`` of all S3 actions for everyone when ``aws:SecureTransport`` is false, covering objects."""
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and as_strs(as_map(principal).get("AWS")) != ["*"]:
        return False
    if not {"s3:*", "*"} & set(as_strs(statement.get("Action"))):
        return False
    if not any(r.endswith("/*") or r == "*" for r in as_strs(statement.get("Resource"))):
        return False
    condition = as_map(statement.get("Condition"))
    for operator in ("Bool", "BoolIfExists"):
        if is_false(as_map(condition.get(operator)).get("aws:SecureTransport")):
            return True
    return False


def _check(stack: StackInput, report: StackReport) -> None:
    for bucket in stack.of_type(BUCKET):
        with stack.item():
            policies = settings_of(stack, POLICY, bucket)
            if not policies:
                report("no BucketPolicy targets this bucket, so plain-HTTP requests are allowed", bucket.urn)
                continue
            for policy in policies:
                try:
                    document = json_value(policy.props.get("policy"))
                except ValueError:
                    report("bucket policy is not valid JSON", policy.urn)
                    continue
                if not any(denies_insecure_transport(s) for s in statements(document)):
                    report("bucket policy has no Deny statement for aws:SecureTransport=false", policy.urn)


RULE = stack_rule(
    name="s3-bucket-tls-only",
    description="S3 bucket policies deny every request made without TLS (aws:SecureTransport=false).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add aws.s3.BucketPolicy(bucket=bucket.id) with a statement {Effect: Deny, Principal: '*', Action: 's3:*', "
        "Resource: [bucket ARN, bucket ARN + '/*'], Condition: {Bool: {'aws:SecureTransport': 'false'}}}."
    ),
    resource_types=(BUCKET, POLICY),
    check=_check,
)
