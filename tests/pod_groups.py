"""Test helper: the PodSecurityGroups component ZeroTrust needs, built inside a mock-runtime program."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.zerotrust.pod_identity import PodSecurityGroups, PodSecurityGroupsArgs

CLUSTER_SG = "sg-nodes"


def pod_groups(
    provider: k8s.Provider, *, cluster_sg: str = CLUSTER_SG, opts: pulumi.ResourceOptions | None = None
) -> PodSecurityGroups:
    """Each workload's own group in VPC ``vpc-1``, next to the cluster group ``cluster_sg``."""
    return PodSecurityGroups(
        "pod-sg",
        PodSecurityGroupsArgs(
            environment="dev", vpc_id="vpc-1", cluster_security_group_id=cluster_sg, k8s_provider=provider
        ),
        opts=opts,
    )
