"""elb-load-balancer-access-logs: every load balancer logs its requests to an encrypted bucket.

ELB log delivery supports SSE-S3 default encryption only ("The only server-side encryption option that's
supported is Amazon S3-managed keys (SSE-S3)", ELB user guide, "Enable access logs for your Application Load
Balancer"): a log bucket with SSE-KMS default encryption receives nothing. A bucket outside the stack cannot be
checked here (S3 encrypts every new object with SSE-S3 at least since January 2023).
"""

from __future__ import annotations

from policies.mlops.elb._lb import LOAD_BALANCERS, refers_to
from policies.mlops.props import as_list, get, is_true, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule
from policies.mlops.s3._joins import BUCKET, SSE, settings_of


def _check(stack: StackInput, report: StackReport) -> None:
    for balancer in stack.of_type(*LOAD_BALANCERS):
        with stack.item():
            logs = balancer.props.get("accessLogs")
            if not is_true(get(logs, "enabled")) or not get(logs, "bucket"):
                report("access logs are not enabled (accessLogs {bucket, enabled: true})", balancer.urn)
                continue
            buckets = [b for b in stack.of_type(BUCKET) if refers_to(balancer, "accessLogs", b, "bucket")]
            for bucket in buckets:
                configs = settings_of(stack, SSE, bucket)
                if not configs:
                    report(
                        f"access-log bucket {known(bucket.props, 'bucket')!r} has no default encryption", balancer.urn
                    )
                for config in configs:
                    for rule in as_list(config.props.get("rules")):
                        algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
                        if algorithm != "AES256":
                            report(
                                f"access-log bucket encrypts with {algorithm!r}: ELB log delivery supports SSE-S3 "
                                "(AES256) only",
                                balancer.urn,
                            )


RULE = stack_rule(
    name="elb-load-balancer-access-logs",
    description="Load balancers deliver access logs to an S3 bucket encrypted with SSE-S3 (what ELB supports).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set access_logs {bucket, prefix, enabled: true} to a bucket with SSE-S3 (AES256) default encryption, "
        "TLS-only and a policy admitting ELB log delivery (components.access.documents.access_bucket_policy)."
    ),
    resource_types=(*LOAD_BALANCERS, BUCKET, SSE),
    check=_check,
)
