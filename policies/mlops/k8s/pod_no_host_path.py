"""k8s-pod-no-host-path: pods do not mount directories of the node."""

from __future__ import annotations

from collections.abc import Mapping

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, helm_values, pod_spec
from policies.mlops.props import as_list, as_map, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, key, value in walk(helm_values(resource.props)):
            if key == "hostPath" and isinstance(value, Mapping) and value:
                report(f"Helm value {path} mounts a host path")
        return
    for volume in as_list(pod_spec(resource.type, resource.props).get("volumes")):
        volume = as_map(volume)
        if "hostPath" in volume:
            host_path = as_map(volume.get("hostPath")).get("path")
            report(f"volume '{volume.get('name')}' mounts host path {host_path!r}")


RULE = resource_rule(
    name="k8s-pod-no-host-path",
    description="Pods mount no hostPath volumes.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Use emptyDir, a PersistentVolumeClaim or a projected volume instead of hostPath.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
