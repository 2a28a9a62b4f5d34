"""k8s-pod-no-privileged: no container runs privileged."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, pod_spec
from policies.mlops.props import get, is_true, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, key, value in walk(helm_values(resource.props)):
            if key == "privileged" and is_true(value):
                report(f"Helm value {path} is true")
        return
    for label, container in containers(pod_spec(resource.type, resource.props)):
        if is_true(get(container, "securityContext", "privileged")):
            report(f"{label} runs privileged")


RULE = resource_rule(
    name="k8s-pod-no-privileged",
    description="Containers never run privileged (workloads and Helm values).",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation="Remove securityContext.privileged; grant the specific capability the container needs instead.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
