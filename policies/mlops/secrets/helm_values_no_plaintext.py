"""secrets-helm-values-no-plaintext: Helm values carry no literal credentials."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, helm_values
from policies.mlops.props import walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.secrets._match import finding


def _check(resource: ResourceInput, report: Report) -> None:
    for path, key, value in walk(helm_values(resource.props)):
        problem = finding(key, value)
        if problem:
            report(f"Helm value {path}: {problem}")


RULE = resource_rule(
    name="secrets-helm-values-no-plaintext",
    description="helm.v3.Release values contain no passwords, tokens or keys (only references to Secrets).",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Create a Kubernetes Secret (from Secrets Manager via External Secrets, or a pulumi secret) and pass "
        "its name through the chart's existingSecret/...SecretName value."
    ),
    resource_types=(HELM_RELEASE,),
    check=_check,
)
