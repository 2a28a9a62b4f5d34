"""k8s-pod-no-privilege-escalation: containers cannot gain more privileges than they start with."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, pod_spec
from policies.mlops.props import get, is_false, is_true, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        # Chart defaults are invisible here; only an explicit opt-in in the values is a finding.
        for path, key, value in walk(helm_values(resource.props)):
            if key == "allowPrivilegeEscalation" and is_true(value):
                report(f"Helm value {path} is true")
        return
    for label, container in containers(pod_spec(resource.type, resource.props)):
        if not is_false(get(container, "securityContext", "allowPrivilegeEscalation")):
            report(f"{label} does not set securityContext.allowPrivilegeEscalation to false")


RULE = resource_rule(
    name="k8s-pod-no-privilege-escalation",
    description="Containers set allowPrivilegeEscalation: false (no setuid escalation).",
    level=Level.ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set securityContext.allowPrivilegeEscalation=false (and capabilities.drop=['ALL']) on every container.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
