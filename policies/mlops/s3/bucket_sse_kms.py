"""s3-bucket-sse-kms: every bucket encrypts objects by default with a customer-managed KMS key."""

from __future__ import annotations

from policies.mlops.kms._managed import is_aws_managed
from policies.mlops.props import as_list, get
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, SSE, is_log_target, settings_of

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _check(stack: StackInput, report: StackReport) -> None:
    for bucket in stack.of_type(BUCKET):
        with stack.item():
            configs = settings_of(stack, SSE, bucket)
            if not configs:
                report("no BucketServerSideEncryptionConfiguration targets this bucket", bucket.urn)
                continue
            # Server access log destinations accept only SSE-S3 (AES256), never SSE-KMS:
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
            allowed = (*KMS_ALGORITHMS, "AES256") if is_log_target(stack, bucket) else KMS_ALGORITHMS
            for config in configs:
                defaults = [
                    get(rule, "applyServerSideEncryptionByDefault") for rule in as_list(config.props.get("rules"))
                ]
                if not defaults:
                    report("encryption configuration has no rules", config.urn)
                for default in defaults:
                    algorithm = get(default, "sseAlgorithm")
                    if algorithm not in allowed:
                        report(f"sseAlgorithm is {algorithm!r}; allowed: {', '.join(allowed)}", config.urn)
                    elif algorithm in KMS_ALGORITHMS and not get(default, "kmsMasterKeyId"):
                        # Without a key id S3 uses the AWS-managed aws/s3 key: no key policy of ours, no
                        # separation between buckets, no way to revoke one reader.
                        report(
                            "SSE-KMS without kmsMasterKeyId uses the AWS-managed aws/s3 key; name the platform's customer key",
                            config.urn,
                        )
                    elif algorithm in KMS_ALGORITHMS and is_aws_managed(get(default, "kmsMasterKeyId")):
                        # Naming the AWS-managed key (alias/aws/s3 or its ARN) is the same key as naming none.
                        report(
                            f"kmsMasterKeyId {get(default, 'kmsMasterKeyId')!r} is an AWS-managed key; name the "
                            "platform's customer key",
                            config.urn,
                        )


RULE = stack_rule(
    name="s3-bucket-sse-kms",
    description="S3 buckets encrypt objects by default with AWS KMS (SSE-KMS) and a customer-managed key.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=bucket.id) with "
        "rules[0].apply_server_side_encryption_by_default.sse_algorithm='aws:kms' and the platform KMS key "
        "(access-log destination buckets may use 'AES256')."
    ),
    resource_types=(BUCKET, SSE),
    check=_check,
)
