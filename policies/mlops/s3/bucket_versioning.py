"""s3-bucket-versioning: every bucket keeps object versions."""

from __future__ import annotations

from policies.mlops.props import get
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, VERSIONING, settings_of


def _check(stack: StackInput, report: StackReport) -> None:
    for bucket in stack.of_type(BUCKET):
        with stack.item():
            configs = settings_of(stack, VERSIONING, bucket)
            if not configs:
                report("no BucketVersioning targets this bucket", bucket.urn)
            for config in configs:
                status = get(config.props, "versioningConfiguration", "status")
                if status != "Enabled":
                    report(f"versioning status is {status!r}, expected 'Enabled'", config.urn)


RULE = stack_rule(
    name="s3-bucket-versioning",
    description="S3 buckets have versioning enabled, so overwritten or deleted data can be recovered.",
    level=Level.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Add aws.s3.BucketVersioning(bucket=bucket.id, versioning_configuration={'status': 'Enabled'}) and a "
        "lifecycle rule expiring noncurrent versions."
    ),
    resource_types=(BUCKET, VERSIONING),
    check=_check,
)
