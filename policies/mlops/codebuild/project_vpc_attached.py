"""codebuild-project-vpc-attached: builds run inside the VPC, in chosen subnets behind chosen security groups.

A project without ``vpcConfig`` runs on CodeBuild's shared network with unrestricted internet access and no
path to private endpoints; the platform's builds (the deploy runner) must be VPC-attached so their traffic is
subject to the VPC's security groups, flow logs and NAT
(https://docs.aws.amazon.com/codebuild/latest/userguide/vpc-support.html).
"""

from __future__ import annotations

from policies.mlops.codebuild._types import PROJECT
from policies.mlops.props import as_map, is_list, known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "vpcConfig"):
        report("vpcConfig is not set: builds run outside the VPC")
        return
    vpc = as_map(resource.props["vpcConfig"])
    if not present(vpc, "vpcId"):
        report("vpcConfig.vpcId is not set")
    for key in ("subnets", "securityGroupIds"):
        value = known(vpc, key)  # None when unknown during preview: it will hold the created ids
        if not present(vpc, key) or (is_list(value) and len(value) == 0):
            report(f"vpcConfig.{key} is empty")


RULE = resource_rule(
    name="codebuild-project-vpc-attached",
    description="CodeBuild projects run in the VPC (vpcConfig with a VPC, subnets and security groups).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set vpc_config=ProjectVpcConfigArgs(vpc_id=..., subnets=<private subnets with NAT>, "
        "security_group_ids=[<egress-only group>]) on aws.codebuild.Project."
    ),
    resource_types=(PROJECT,),
    check=_check,
)
