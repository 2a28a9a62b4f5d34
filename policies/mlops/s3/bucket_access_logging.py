"""s3-bucket-access-logging: every bucket (except log destinations) delivers server access logs."""

from __future__ import annotations

from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, LOGGING, is_log_target, settings_of


def _check(stack: StackInput, report: StackReport) -> None:
    for bucket in stack.of_type(BUCKET):
        with stack.item():
            # A log destination logging into itself would log its own log deliveries forever.
            if is_log_target(stack, bucket):
                continue
            if not settings_of(stack, LOGGING, bucket):
                report("no BucketLogging delivers this bucket's server access logs", bucket.urn)


RULE = stack_rule(
    name="s3-bucket-access-logging",
    description="S3 buckets deliver server access logs to a dedicated log bucket.",
    level=Level.ADVISORY,
    severity=Severity.LOW,
    remediation=(
        "Add aws.s3.BucketLogging(bucket=bucket.id, target_bucket=<access-log bucket>.id, target_prefix='<bucket>/')."
    ),
    resource_types=(BUCKET, LOGGING),
    check=_check,
)
