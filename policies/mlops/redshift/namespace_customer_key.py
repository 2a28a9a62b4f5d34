"""redshift-namespace-customer-key: warehouse data is encrypted with the platform's KMS key."""

from __future__ import annotations

from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

NAMESPACE = "aws:redshiftserverless/namespace:Namespace"


def _check(resource: ResourceInput, report: Report) -> None:
    # Without kmsKeyId Redshift uses an AWS-owned key: encrypted, but neither auditable nor revocable.
    if not resource.props.get("kmsKeyId"):
        report("kmsKeyId is not set (an AWS-owned key is used)")


RULE = resource_rule(
    name="redshift-namespace-customer-key",
    description="Redshift Serverless namespaces encrypt data with a customer-managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id=platform_key.arn on aws.redshiftserverless.Namespace.",
    resource_types=(NAMESPACE,),
    check=_check,
)
