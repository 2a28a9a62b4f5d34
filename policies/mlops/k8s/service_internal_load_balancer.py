"""k8s-service-internal-load-balancer: Kubernetes never provisions an internet-facing load balancer.

A ``Service`` of type ``LoadBalancer`` is internal only with the AWS Load Balancer Controller
annotation ``service.beta.kubernetes.io/aws-load-balancer-scheme: internal`` (or the legacy
``service.beta.kubernetes.io/aws-load-balancer-internal: "true"``); an ALB ``Ingress`` is public
with ``alb.ingress.kubernetes.io/scheme: internet-facing``. Helm values are checked for the same
shapes (a ``type: LoadBalancer`` block and its ``annotations``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.kube import HELM_RELEASE, INGRESS, SERVICE, helm_values
from policies.mlops.props import as_map, get, is_true, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"


def is_internal(annotations: Mapping[str, Any]) -> bool:
    """True when the Service annotations make its load balancer internal."""
    return annotations.get(SCHEME) == "internal" or is_true(annotations.get(LEGACY_INTERNAL))


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, _key, value in walk(helm_values(resource.props)):
            block = as_map(value)
            if block.get("type") == "LoadBalancer" and not is_internal(as_map(block.get("annotations"))):
                report(f"Helm value {path} is a LoadBalancer service without the internal scheme annotation")
            if as_map(block.get("annotations")).get(ALB_SCHEME) == "internet-facing":
                report(f"Helm value {path}.annotations sets an internet-facing ALB")
        return
    annotations = as_map(get(resource.props, "metadata", "annotations"))
    if resource.type == INGRESS:
        if annotations.get(ALB_SCHEME) == "internet-facing":
            report(f"{ALB_SCHEME} is internet-facing")
        return
    if get(resource.props, "spec", "type") != "LoadBalancer":
        resource.not_applicable("not a LoadBalancer Service")
    if not is_internal(annotations):
        report(f"LoadBalancer Service without {SCHEME}: internal")


RULE = resource_rule(
    name="k8s-service-internal-load-balancer",
    description="LoadBalancer Services and ALB Ingresses are internal unless explicitly exempted.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        f"Annotate the Service with {SCHEME}: internal (Ingress: {ALB_SCHEME}: internal), or use ClusterIP "
        "behind the internal ingress; a public endpoint needs an exemption with a reason and expiry."
    ),
    resource_types=(SERVICE, INGRESS, HELM_RELEASE),
    check=_check,
)
