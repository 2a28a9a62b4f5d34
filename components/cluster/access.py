"""Who administers the ServingCluster: EKS access entries (authentication mode API, no aws-auth ConfigMap),
each with the cluster-scoped admin access policy, for ``adminPrincipals`` and the deploy runner.

A function taking the component as ``parent``; the policy ARN comes from ``components.cluster.control_plane``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.cluster import control_plane


def admin_access(
    parent: pulumi.Resource,
    name: str,
    *,
    cluster_name: pulumi.Output[str],
    admin_principals: Sequence[str],
    deployer_principal: pulumi.Input[str] | None,
    region: str,
) -> list[pulumi.Resource]:
    """An access entry and a cluster-admin policy association per principal; returns the associations.

    Admin principals are named by a hash of their ARN, the deployer as ``deployer``.
    """
    admin_access: list[pulumi.Resource] = []
    admins: list[tuple[str, pulumi.Input[str]]] = [
        (f"admin-{hashlib.sha256(principal.encode()).hexdigest()[:8]}", principal) for principal in admin_principals
    ]
    if deployer_principal is not None:
        admins.append(("deployer", deployer_principal))
    for suffix, principal in admins:
        entry = aws.eks.AccessEntry(
            f"{name}-{suffix}",
            cluster_name=cluster_name,
            principal_arn=principal,
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        admin_access.append(
            aws.eks.AccessPolicyAssociation(
                f"{name}-{suffix}-cluster-admin",
                cluster_name=cluster_name,
                principal_arn=principal,
                policy_arn=control_plane.access_policy_arn(region),
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[entry]),
            )
        )
    return admin_access
