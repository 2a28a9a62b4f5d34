"""cloudwatch-log-group-customer-key: every log group is encrypted with a customer managed KMS key.

CloudWatch Logs encrypts every group with a service key; a customer key (``kmsKeyId``) makes access to the
events depend on the key policy as well, auditable in CloudTrail and revocable. The key policy must let
``logs.<region>.amazonaws.com`` use it for the group (encryption-context condition,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
"""

from __future__ import annotations

from policies.mlops.cloudwatch._types import LOG_GROUP
from policies.mlops.props import present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "kmsKeyId"):
        report("kmsKeyId is not set: events are encrypted only with CloudWatch Logs' own key")


RULE = resource_rule(
    name="cloudwatch-log-group-customer-key",
    description="CloudWatch log groups are encrypted with a customer managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set kms_key_id=<customer KMS key ARN> on aws.cloudwatch.LogGroup, with a key policy statement for "
        "CloudWatch Logs (components.iam.logs_use_key)."
    ),
    resource_types=(LOG_GROUP,),
    check=_check,
)
