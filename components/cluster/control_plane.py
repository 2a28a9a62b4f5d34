"""Pure values of the EKS control plane and the IAM around it: log types and log group, managed and access
policy ARNs, the account of an ARN, the vpc-cni add-on's settings, the cluster key policy, the region fence.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control is unit-tested directly and shows up verbatim in the plan.
``components.cluster.component`` wires them into resources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from components.iam import key_administration, logs_use_key, partition_of

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
"""EKS access policy given to ``adminPrincipals`` (cluster scope)."""


def managed_policy_arn(region: str, name: str) -> str:
    """ARN of an AWS managed IAM policy in the region's partition."""
    return f"arn:{partition_of(region)}:iam::aws:policy/{name}"


def access_policy_arn(region: str, name: str = CLUSTER_ADMIN_POLICY) -> str:
    """ARN of an EKS access policy (``arn:aws:eks::aws:cluster-access-policy/<name>``)."""
    return f"arn:{partition_of(region)}:eks::aws:cluster-access-policy/{name}"


def account_of(arn: str) -> str:
    """The account id field of an ARN (``arn:aws:iam::123456789012:role/x`` -> ``123456789012``)."""
    parts = arn.split(":")
    if len(parts) < 6 or not re.fullmatch(r"\d{12}", parts[4]):
        raise ValueError(f"{arn!r} is not an ARN with an account id")
    return parts[4]


def control_plane_log_group(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to; it must exist (with retention and KMS) first."""
    return f"/aws/eks/{cluster_name}/cluster"


# --- Managed add-ons -------------------------------------------------------------------------------


def vpc_cni_configuration() -> str:
    """configurationValues of the vpc-cni add-on: NetworkPolicy enforcement and security groups for pods ON.

    - Without ``enableNetworkPolicy`` the CNI's node agent is not started and every NetworkPolicy is accepted by
      the API server but silently not enforced
      (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html).
    - ``ENABLE_POD_ENI`` lets pods matched by a SecurityGroupPolicy get a branch ENI with their own security
      groups; ``POD_SECURITY_GROUP_ENFORCING_MODE=standard`` is required for NetworkPolicies to keep applying to
      those pods (https://docs.aws.amazon.com/eks/latest/best-practices/sgpp.html, "you must use standard mode").
    - ``DISABLE_TCP_EARLY_DEMUX`` on the init container lets the kubelet's TCP probes reach pods on branch ENIs
      (https://github.com/aws/amazon-vpc-cni-k8s#disable_tcp_early_demux-v173).
    """
    return json.dumps(
        {
            "enableNetworkPolicy": "true",
            "env": {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
            "init": {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}},
        },
        sort_keys=True,
    )


# --- The cluster key's policy and region fences ------------------------------------------------------


def cluster_key_policy(*, partition: str, account: str, region: str, log_group: str) -> str:
    """Key policy of the cluster key (secrets envelope encryption and control-plane logs).

    CloudWatch Logs may use the key only for this one log group (encryption-context condition,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html); EKS uses it
    through the cluster role's IAM policy.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                key_administration(account, partition=partition),
                logs_use_key(account, region, log_group, sid="ControlPlaneLogGroupOnly"),
            ],
        }
    )


def region_fence(region: str, services: Sequence[str], *, sid: str = "StayInClusterRegion") -> list[dict[str, Any]]:
    """A Deny statement keeping a role's calls to ``services`` inside the cluster's region."""
    return [
        {
            "Sid": sid,
            "Effect": "Deny",
            "Action": [f"{s}:*" for s in sorted(services)],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": region}},
        }
    ]
