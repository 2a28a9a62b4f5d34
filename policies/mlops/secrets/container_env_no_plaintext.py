"""secrets-container-env-no-plaintext: container and function environments carry no literal credentials."""

from __future__ import annotations

from policies.mlops.kube import WORKLOADS, containers, pod_spec
from policies.mlops.props import as_list, as_map, get
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.secrets._match import finding

LAMBDA_FUNCTION = "aws:lambda/function:Function"


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == LAMBDA_FUNCTION:
        variables = as_map(get(resource.props, "environment", "variables"))
        for key in variables:
            problem = finding(str(key), variables[key])
            if problem:
                report(f"environment variable {problem}")
        return
    for label, container in containers(pod_spec(resource.type, resource.props)):
        for variable in as_list(container.get("env")):
            variable = as_map(variable)
            problem = finding(str(variable.get("name", "")), variable.get("value"))
            if problem:
                report(f"{label} env {problem}; use valueFrom.secretKeyRef")


RULE = resource_rule(
    name="secrets-container-env-no-plaintext",
    description="Container env vars and Lambda environment variables hold no literal credentials.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation="Use env[].valueFrom.secretKeyRef (Kubernetes) or read the secret from Secrets Manager at runtime.",
    resource_types=(*WORKLOADS, LAMBDA_FUNCTION),
    check=_check,
)
