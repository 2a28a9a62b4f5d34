"""ecr-repository-kms-encrypted: images are encrypted with a customer-managed KMS key.

Without ``encryptionConfigurations`` ECR uses AES256 with an AWS-owned key; ``KMS`` without ``kmsKey`` uses the
AWS managed key ``aws/ecr``: encrypted, but neither auditable per repository nor revocable. Creation templates
count too: they encrypt the repositories the pull-through cache creates.
"""

from __future__ import annotations

from policies.mlops.ecr._types import CREATION_TEMPLATE, REPOSITORY
from policies.mlops.props import as_list, as_map, known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "encryptionConfigurations"):
        report("encryptionConfigurations is not set (AES256 with an AWS-owned key)")
        return
    value = known(resource.props, "encryptionConfigurations")
    if value is None:
        return  # unknown during a preview (computed from another resource)
    configurations = as_list(value)
    if not configurations:
        report("encryptionConfigurations is empty (AES256 with an AWS-owned key)")
        return
    configuration = as_map(configurations[0])
    kind = configuration.get("encryptionType")
    if kind not in ("KMS", "KMS_DSSE"):
        report(f"encryptionType is {kind!r}, not 'KMS'")
    elif not configuration.get("kmsKey"):
        report("kmsKey is not set (the AWS managed key aws/ecr is used)")
    elif isinstance(configuration.get("kmsKey"), str) and str(configuration["kmsKey"]).endswith(":alias/aws/ecr"):
        report("kmsKey is the AWS managed key aws/ecr")


RULE = resource_rule(
    name="ecr-repository-kms-encrypted",
    description="ECR repositories (and creation templates) encrypt images with a customer-managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set encryption_configurations=[{'encryption_type': 'KMS', 'kms_key': <customer key ARN>}].",
    resource_types=(REPOSITORY, CREATION_TEMPLATE),
    check=_check,
)
