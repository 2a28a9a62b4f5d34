"""Pure values of the serving cluster's node pools: pool specs (AMI type, labels, taints), launch-template
settings (IMDSv2, encrypted root volume, tag specifications) and the node-volume key's policy and grants.

Nothing here creates a resource or reads an Output: every function takes plain values and returns plain
data, so each control is unit-tested directly and shows up verbatim in the plan.
``components.cluster.node_pools`` wires them into resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from components.cluster.config import GRAVITON, ClusterConfig, NodePoolConfig
from components.iam import key_administration

POOL_LABEL = "mlops/pool"
"""Node label naming the pool a node belongs to (``system`` or ``gpu``); controllers select ``system``."""

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
"""Taint of the GPU pool: only pods tolerating ``nvidia.com/gpu=true:NoSchedule`` land on GPU nodes."""

TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
"""EKS taint effect -> the Kubernetes spelling (tolerations, node-template tags)."""

ROOT_DEVICE = "/dev/xvda"
"""Root device name of the EKS-optimized Amazon Linux 2023 AMIs."""


# --- Node pools ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodePoolSpec:
    """Everything one managed node group and its launch template need, derived from config."""

    role: str
    """``system`` or ``gpu``; part of resource names and the ``mlops/pool`` label."""
    pool: NodePoolConfig
    """Sizes, instance types, disk and capacity type from the stack config."""
    ami_type: str
    """EKS AMI type (AL2023 standard, or the NVIDIA variant for GPUs)."""
    labels: dict[str, str] = field(default_factory=dict)
    """Kubernetes node labels."""
    taints: tuple[dict[str, str], ...] = ()
    """Node taints as EKS expects them (key, value, effect NO_SCHEDULE/NO_EXECUTE/PREFER_NO_SCHEDULE)."""


def architecture(role: str, instance_types: Sequence[str]) -> Literal["x86_64", "arm64"]:
    """The one CPU architecture of a pool's instance types; a managed node group has one AMI type."""
    arches = {"arm64" if GRAVITON.match(t) else "x86_64" for t in instance_types}
    if len(arches) != 1:
        raise ValueError(
            f"mlops:cluster.{role}Pool.instanceTypes {list(instance_types)} mix x86_64 and arm64 (Graviton) types; "
            "a node group runs one AMI architecture"
        )
    return "arm64" if arches == {"arm64"} else "x86_64"


def ami_type(role: str, instance_types: Sequence[str], *, gpu: bool) -> str:
    """EKS AMI type for a pool: Amazon Linux 2023, standard or NVIDIA, on the pool's architecture."""
    arch = "ARM_64" if architecture(role, instance_types) == "arm64" else "x86_64"
    return f"AL2023_{arch}_{'NVIDIA' if gpu else 'STANDARD'}"


def node_pool_specs(config: ClusterConfig) -> list[NodePoolSpec]:
    """The system pool always, plus the GPU pool when configured (tainted, labelled, may scale to zero)."""
    system = config.system_pool
    specs = [
        NodePoolSpec(
            role="system",
            pool=system,
            ami_type=ami_type("system", system.instance_types, gpu=False),
            labels={POOL_LABEL: "system"},
        )
    ]
    if config.gpu_pool is not None:
        gpu = config.gpu_pool
        specs.append(
            NodePoolSpec(
                role="gpu",
                pool=gpu,
                ami_type=ami_type("gpu", gpu.instance_types, gpu=True),
                labels={POOL_LABEL: "gpu", "nvidia.com/gpu.present": "true"},
                taints=(dict(GPU_TAINT),),
            )
        )
    return specs


def metadata_options() -> dict[str, Any]:
    """Launch-template IMDS settings: IMDSv2 only, hop limit 1 so pods cannot reach node credentials."""
    return {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}


def root_volume(size_gib: int) -> dict[str, Any]:
    """The encrypted gp3 root volume of a launch template (``ebs`` block args; the caller adds ``kms_key_id``)."""
    return {"volume_type": "gp3", "volume_size": size_gib, "encrypted": "true", "delete_on_termination": "true"}


def tag_specifications(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """Tags for what the node group's Auto Scaling group launches: provider default tags do not reach them."""
    return [{"resource_type": kind, "tags": dict(sorted(tags.items()))} for kind in ("instance", "volume")]


# --- KMS: the node-volume key ----------------------------------------------------------------------


def node_key_policy(*, partition: str, account: str) -> str:
    """Key policy of the node-volume key: EC2 Auto Scaling's service-linked role may use it.

    Managed node groups launch instances through Auto Scaling, whose service-linked role needs the
    key to create encrypted volumes; without this an instance fails to launch
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
    """
    slr = f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    use = {
        "Sid": "AutoScalingUsesKey",
        "Effect": "Allow",
        "Principal": {"AWS": slr},
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
    }
    grant = {
        "Sid": "AutoScalingGrantsForVolumes",
        "Effect": "Allow",
        "Principal": {"AWS": slr},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [key_administration(account, partition=partition), use, grant]}
    )


def ebs_volume_key_statements(key_arn: str) -> list[dict[str, Any]]:
    """Let the EBS CSI controller create and attach volumes encrypted with the node key (grants for AWS resources only)."""
    return [
        {
            "Sid": "UseVolumeKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": [key_arn],
        },
        {
            "Sid": "GrantVolumeKeyToEbs",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
