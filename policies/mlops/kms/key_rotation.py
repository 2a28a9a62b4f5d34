"""kms-key-rotation: symmetric customer-managed keys rotate their key material."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

KEY = "aws:kms/key:Key"


def _check(resource: ResourceInput, report: Report) -> None:
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
    spec = resource.props.get("customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT":
        resource.not_applicable(f"{spec} keys do not support automatic rotation")
    if not is_true(resource.props.get("enableKeyRotation")):
        report("enableKeyRotation is not true")


RULE = resource_rule(
    name="kms-key-rotation",
    description="Symmetric KMS keys have automatic key rotation enabled.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set enable_key_rotation=True on aws.kms.Key (optionally rotation_period_in_days).",
    resource_types=(KEY,),
    check=_check,
)
