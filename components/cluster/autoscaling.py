"""Pure values of node autoscaling: whether the Cluster Autoscaler is needed, the node-template tags that let
it scale a pool up from zero, a node group's Auto Scaling group, and the autoscaler's least-privilege IAM policy.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control is unit-tested directly and shows up verbatim in the plan.
``components.cluster.addons`` wires them into resources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.cluster.config import ClusterConfig
from components.cluster.control_plane import region_fence
from components.cluster.nodes import TAINT_EFFECTS, NodePoolSpec, node_pool_specs
from components.iam import partition_of

_NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"

# NVIDIA GPUs per instance size, for the node-template resource tag (EC2 accelerated-computing docs).
# Unknown types get no resource tag: the autoscaler then falls back to its own instance-type table.
_GPUS_PER_INSTANCE: dict[str, int] = {
    **{f"g4dn.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4,
    "g4dn.metal": 8,
    **{f"g5.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g5.12xlarge": 4,
    "g5.24xlarge": 4,
    "g5.48xlarge": 8,
    **{f"g6.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6.12xlarge": 4,
    "g6.24xlarge": 4,
    "g6.48xlarge": 8,
    **{f"g6e.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g6e.12xlarge": 4,
    "g6e.24xlarge": 4,
    "g6e.48xlarge": 8,
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p4d.24xlarge": 8,
    "p5.48xlarge": 8,
}


def needs_autoscaler(config: ClusterConfig) -> bool:
    """True when some pool may change size (min < max): only then is the Cluster Autoscaler installed."""
    return any(spec.pool.min_size < spec.pool.max_size for spec in node_pool_specs(config))


def gpus_per_node(instance_types: Sequence[str]) -> int | None:
    """GPUs every instance type of a pool has at least, or None when a type is unknown.

    The smallest count is the safe template: the autoscaler never assumes more GPUs than a new node brings.
    """
    counts = [_GPUS_PER_INSTANCE.get(t) for t in instance_types]
    known = [c for c in counts if c is not None]
    if not known or len(known) != len(counts):
        return None
    return min(known)


def node_template_tags(spec: NodePoolSpec, *, gpu: bool) -> dict[str, str]:
    """ASG tags describing a pool's future nodes, so the autoscaler can scale it up from zero.

    With no node running, the autoscaler builds a template node from the ASG: without these tags a pending
    pod that tolerates ``nvidia.com/gpu`` and requests the GPU resource matches nothing and the pool stays
    at 0. EKS does not put them on a managed node group's ASG (only the discovery tags); recent autoscalers
    can also read labels/taints through ``eks:DescribeNodegroup``, the tags keep scale-from-zero independent
    of that. Tag format: cluster-autoscaler AWS README, "Scaling a node group to 0".
    """
    tags = {f"{_NODE_TEMPLATE}/label/{key}": value for key, value in sorted(spec.labels.items())}
    for taint in spec.taints:
        tags[f"{_NODE_TEMPLATE}/taint/{taint['key']}"] = f"{taint['value']}:{TAINT_EFFECTS[taint['effect']]}"
    if gpu:
        count = gpus_per_node(spec.pool.instance_types)
        if count is not None:
            tags[f"{_NODE_TEMPLATE}/resources/nvidia.com/gpu"] = str(count)
    return tags


def autoscaling_group_name(resources: Sequence[Any] | None) -> str | None:
    """Name of a managed node group's ASG from its ``resources`` output (one ASG per node group).

    None while the provider has not reported the node group's resources (the offline engine's mocks
    do not); a reported node group without an ASG is an error.
    """
    if resources is None:
        return None
    for resource in resources:
        groups = resource.get("autoscaling_groups") if isinstance(resource, dict) else resource.autoscaling_groups
        for group in groups or ():
            name = group.get("name") if isinstance(group, dict) else group.name
            if name:
                return str(name)
    raise ValueError("the managed node group reported no Auto Scaling group")


def cluster_autoscaler_policy(*, cluster_name: str, region: str, account: str) -> str:
    """Least-privilege IAM policy of the Cluster Autoscaler (cluster-autoscaler AWS README, "Full Cluster
    Autoscaler Features Policy").

    - Describe*/Get* calls take ``Resource: "*"``: AWS offers no resource-level permissions for them.
    - ``eks:DescribeNodegroup`` (labels/taints of empty managed node groups): this cluster's node groups only.
    - Scaling and terminating: ASGs of this account and region only, and only those EKS tagged as this
      cluster's managed node groups (``eks:cluster-name`` and the autoscaler's ``owned`` discovery tag).
    - A Deny keeps every call in the cluster's region.
    """
    partition = partition_of(region)
    read = {
        "Sid": "DescribeScalingInputs",
        "Effect": "Allow",
        "Action": [
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeAutoScalingInstances",
            "autoscaling:DescribeLaunchConfigurations",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeTags",
            "ec2:DescribeImages",
            "ec2:DescribeInstanceTypes",
            "ec2:DescribeLaunchTemplateVersions",
            "ec2:GetInstanceTypesFromInstanceRequirements",
        ],
        "Resource": "*",
    }
    nodegroups = {
        "Sid": "DescribeOwnNodegroups",
        "Effect": "Allow",
        "Action": ["eks:DescribeNodegroup"],
        "Resource": [f"arn:{partition}:eks:{region}:{account}:nodegroup/{cluster_name}/*/*"],
    }
    scale = {
        "Sid": "ScaleOwnNodeGroups",
        "Effect": "Allow",
        "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        "Resource": [f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"],
        "Condition": {
            "StringEquals": {
                "aws:ResourceTag/eks:cluster-name": cluster_name,
                f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
            }
        },
    }
    statements = [read, nodegroups, scale, *region_fence(region, ["autoscaling", "ec2", "eks"])]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
