"""sns-topic-customer-key: SNS topics are encrypted at rest with a customer managed KMS key.

Without ``kmsMasterKeyId`` messages are stored unencrypted; the AWS managed key ``alias/aws/sns`` encrypts them
but its policy cannot be changed, so AWS services that publish alerts (CloudWatch alarms, AWS Budgets) cannot be
allowed to use it and the topic silently drops their notifications (SNS developer guide, "Enable compatibility
between event sources from AWS services and encrypted topics").
"""

from __future__ import annotations

from policies.mlops.props import known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.sns._types import TOPIC

AWS_MANAGED_KEY = "alias/aws/sns"


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "kmsMasterKeyId"):
        report("kmsMasterKeyId is not set: messages are stored unencrypted")
        return
    key = known(resource.props, "kmsMasterKeyId")  # None while unknown in a preview: a key created here
    if isinstance(key, str) and (key == AWS_MANAGED_KEY or key.endswith(f":{AWS_MANAGED_KEY}")):
        report(f"kmsMasterKeyId is the AWS managed key {key!r}: alarms and budgets cannot publish with it")


RULE = resource_rule(
    name="sns-topic-customer-key",
    description="SNS topics are encrypted with a customer managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set kms_master_key_id=<customer KMS key ARN> on aws.sns.Topic; let the publishing services use the key "
        "in its policy (components/observability/documents.py)."
    ),
    resource_types=(TOPIC,),
    check=_check,
)
