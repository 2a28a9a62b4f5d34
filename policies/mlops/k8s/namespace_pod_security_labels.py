"""k8s-namespace-pod-security-labels: namespaces enforce a Pod Security Standard."""

from __future__ import annotations

from policies.mlops.kube import NAMESPACE, SYSTEM_NAMESPACES
from policies.mlops.props import as_map, get
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ALLOWED_LEVELS = ("restricted", "baseline")


def _check(resource: ResourceInput, report: Report) -> None:
    if get(resource.props, "metadata", "name") in SYSTEM_NAMESPACES:
        resource.not_applicable("EKS-managed system namespace")
    level = as_map(get(resource.props, "metadata", "labels")).get(ENFORCE_LABEL)
    if level not in ALLOWED_LEVELS:
        shown = "missing" if level is None else repr(level)
        report(f"label {ENFORCE_LABEL} is {shown}; expected one of {', '.join(ALLOWED_LEVELS)}")


RULE = resource_rule(
    name="k8s-namespace-pod-security-labels",
    description="Namespaces enforce the restricted (or at least baseline) Pod Security Standard via labels.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Label the namespace pod-security.kubernetes.io/enforce=restricted (baseline only where a chart needs "
        "it), plus the matching warn/audit labels."
    ),
    resource_types=(NAMESPACE,),
    check=_check,
)
