"""k8s-pod-run-as-non-root: containers run as a non-root user."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, pod_spec
from policies.mlops.props import as_map, as_number, is_false, is_true, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, key, value in walk(helm_values(resource.props)):
            if key == "runAsNonRoot" and is_false(value):
                report(f"Helm value {path} is false")
            if key == "runAsUser" and as_number(value) == 0:
                report(f"Helm value {path} is 0 (root)")
        return
    spec = pod_spec(resource.type, resource.props)
    pod_context = as_map(spec.get("securityContext"))
    if as_number(pod_context.get("runAsUser")) == 0:
        report("pod securityContext.runAsUser is 0 (root)")
    for label, container in containers(spec):
        context = as_map(container.get("securityContext"))
        non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
        if not is_true(non_root):
            report(f"{label} does not set runAsNonRoot: true (pod or container securityContext)")
        if as_number(context.get("runAsUser")) == 0:
            report(f"{label} sets runAsUser 0 (root)")


RULE = resource_rule(
    name="k8s-pod-run-as-non-root",
    description="Containers run as non-root (runAsNonRoot: true, never runAsUser 0).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set spec.securityContext.runAsNonRoot=true and a non-zero runAsUser (image USER) for the pod.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
