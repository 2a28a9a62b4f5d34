"""s3-bucket-public-access-block: every bucket blocks public ACLs and policies (all four switches)."""

from __future__ import annotations

from policies.mlops.props import is_true
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, PUBLIC_ACCESS_BLOCK, settings_of

SWITCHES = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _check(stack: StackInput, report: StackReport) -> None:
    for bucket in stack.of_type(BUCKET):
        with stack.item():
            blocks = settings_of(stack, PUBLIC_ACCESS_BLOCK, bucket)
            if not blocks:
                report("no BucketPublicAccessBlock targets this bucket", bucket.urn)
            for block in blocks:
                off = [switch for switch in SWITCHES if not is_true(block.props.get(switch))]
                if off:
                    report(f"public access block leaves {', '.join(off)} unset or false", block.urn)


RULE = stack_rule(
    name="s3-bucket-public-access-block",
    description="S3 buckets have a public access block with all four settings enabled.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Add aws.s3.BucketPublicAccessBlock(bucket=bucket.id, block_public_acls=True, block_public_policy=True, "
        "ignore_public_acls=True, restrict_public_buckets=True)."
    ),
    resource_types=(BUCKET, PUBLIC_ACCESS_BLOCK),
    check=_check,
)
