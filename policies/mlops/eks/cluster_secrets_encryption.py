"""eks-cluster-secrets-encryption: Kubernetes Secrets are envelope-encrypted with a KMS key."""

from __future__ import annotations

from policies.mlops.eks._types import CLUSTER
from policies.mlops.props import as_map, as_strs, get
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    config = as_map(resource.props.get("encryptionConfig"))
    if not config:
        report("encryptionConfig is not set")
        return
    if "secrets" not in as_strs(config.get("resources")):
        report("encryptionConfig.resources does not include 'secrets'")
    if not get(config, "provider", "keyArn"):
        report("encryptionConfig.provider.keyArn is not set")


RULE = resource_rule(
    name="eks-cluster-secrets-encryption",
    description="EKS clusters encrypt Kubernetes Secrets with a customer-managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set encryption_config={'resources': ['secrets'], 'provider': {'key_arn': platform_key.arn}}.",
    resource_types=(CLUSTER,),
    check=_check,
)
