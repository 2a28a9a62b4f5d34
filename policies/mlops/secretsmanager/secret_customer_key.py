"""secretsmanager-secret-customer-key: secrets are encrypted with a customer managed KMS key.

Without ``kmsKeyId`` Secrets Manager uses the AWS managed key ``aws/secretsmanager``, whose policy lets every
principal of the account that may call Secrets Manager decrypt: reading a secret then depends on IAM policies
alone. With the platform's key (one per database or component) ``GetSecretValue`` also needs ``kms:Decrypt`` on
that key, which its key policy confines (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).

Not applicable: ECR pull-through cache logins (``ecr-pullthroughcache/`` names). ECR reads them as its
service-linked role, whose managed policy grants ``secretsmanager:GetSecretValue`` on that prefix and nothing on
KMS (AWSECRPullThroughCache_ServiceRolePolicy), so they stay on ``aws/secretsmanager``
(``components/registry``).
"""

from __future__ import annotations

from policies.mlops.kms._managed import customer_key_problem
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

SECRET = "aws:secretsmanager/secret:Secret"
PULL_THROUGH_CACHE_PREFIX = "ecr-pullthroughcache/"


def _check(resource: ResourceInput, report: Report) -> None:
    for field in ("name", "namePrefix"):
        value = resource.props.get(field)
        if isinstance(value, str) and value.startswith(PULL_THROUGH_CACHE_PREFIX):
            resource.not_applicable(
                "ECR pull-through cache logins are read by ECR's service-linked role, which has no KMS permissions"
            )
    problem = customer_key_problem(resource.props.get("kmsKeyId"), field="kmsKeyId", service_key="aws/secretsmanager")
    if problem:
        report(problem)


RULE = resource_rule(
    name="secretsmanager-secret-customer-key",
    description="Secrets Manager secrets are encrypted with a customer managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set kms_key_id to the owning component's KMS key on aws.secretsmanager.Secret, with a key policy that lets "
        "the secret's readers decrypt through Secrets Manager (kms:ViaService)."
    ),
    resource_types=(SECRET,),
    check=_check,
)
