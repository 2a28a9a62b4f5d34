"""k8s-pod-no-host-namespaces: pods do not share the node's network, PID or IPC namespace."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, helm_values, pod_spec
from policies.mlops.props import is_true, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

HOST_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, key, value in walk(helm_values(resource.props)):
            if key in HOST_FIELDS and is_true(value):
                report(f"Helm value {path} is true")
        return
    spec = pod_spec(resource.type, resource.props)
    for field in HOST_FIELDS:
        if is_true(spec.get(field)):
            report(f"pod spec sets {field}: true")


RULE = resource_rule(
    name="k8s-pod-no-host-namespaces",
    description="Pods never use hostNetwork, hostPID or hostIPC.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Remove hostNetwork/hostPID/hostIPC; expose ports through Services instead.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
