"""codebuild-project-customer-key: build output is encrypted with a customer-managed KMS key.

Without ``encryptionKey`` CodeBuild uses the AWS managed key ``alias/aws/s3``: encrypted, but neither
auditable per project nor revocable (https://docs.aws.amazon.com/codebuild/latest/userguide/security-encryption.html).
"""

from __future__ import annotations

from policies.mlops.codebuild._types import PROJECT
from policies.mlops.props import known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

AWS_MANAGED_KEY_SUFFIX = ":alias/aws/s3"


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "encryptionKey"):
        report("encryptionKey is not set (the AWS managed key alias/aws/s3 is used)")
        return
    key = known(resource.props, "encryptionKey")  # None while unknown in a preview: a key created here
    if isinstance(key, str) and (key == "alias/aws/s3" or key.endswith(AWS_MANAGED_KEY_SUFFIX)):
        report(f"encryptionKey is the AWS managed key {key!r}")


RULE = resource_rule(
    name="codebuild-project-customer-key",
    description="CodeBuild projects encrypt build output with a customer-managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set encryption_key=<customer KMS key ARN> on aws.codebuild.Project.",
    resource_types=(PROJECT,),
    check=_check,
)
