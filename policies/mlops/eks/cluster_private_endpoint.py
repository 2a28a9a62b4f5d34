"""eks-cluster-private-endpoint: the Kubernetes API is reachable only from inside the VPC."""

from __future__ import annotations

from policies.mlops.eks._types import CLUSTER
from policies.mlops.props import as_map, as_strs, is_false, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    vpc = as_map(resource.props.get("vpcConfig"))
    if not is_true(vpc.get("endpointPrivateAccess")):
        report("vpcConfig.endpointPrivateAccess is not true")
    # EKS defaults endpointPublicAccess to true, so only an explicit false closes it.
    if not is_false(vpc.get("endpointPublicAccess")):
        cidrs = as_strs(vpc.get("publicAccessCidrs")) or ["0.0.0.0/0"]
        report(f"the public API endpoint is enabled (for {', '.join(cidrs)}); set endpointPublicAccess false")


RULE = resource_rule(
    name="eks-cluster-private-endpoint",
    description="EKS clusters expose their API endpoint privately only (private on, public off).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set vpc_config.endpoint_private_access=True and endpoint_public_access=False; reach the API through "
        "the VPC (SSM, VPN). A public endpoint (cluster.publicAccessCidrs) needs an exemption."
    ),
    resource_types=(CLUSTER,),
    check=_check,
)
