"""k8s-container-resource-limits: containers declare CPU and memory limits."""

from __future__ import annotations

from policies.mlops.kube import WORKLOADS, containers, pod_spec
from policies.mlops.props import as_map, get
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    for label, container in containers(pod_spec(resource.type, resource.props)):
        limits = as_map(get(container, "resources", "limits"))
        missing = [kind for kind in ("cpu", "memory") if not limits.get(kind)]
        if missing:
            report(f"{label} has no {' and '.join(missing)} limit")


RULE = resource_rule(
    name="k8s-container-resource-limits",
    description="Containers set resources.limits for cpu and memory (no noisy neighbours, no node OOM).",
    level=Level.ADVISORY,
    severity=Severity.LOW,
    remediation="Set resources.requests and resources.limits (cpu, memory) on every container.",
    resource_types=WORKLOADS,
    check=_check,
)
