"""`mlops:cluster`: EKS version, access, node pools, namespaces and model serving."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import (
    PLATFORM_NAMESPACES,
    SUPPORTED_KUBERNETES_VERSIONS,
    Cidr,
    Section,
    check_cidr,
    check_retention,
)
from contracts.stackfile import echo

INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\d[a-z0-9-]*\.(nano|micro|small|medium|large|metal(-\d+xl)?|\d*xlarge)")
"""An EC2 instance type name: family (with generation digit and attributes) and size."""
GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*(-[a-z]+)?\.")
"""AWS Graviton (arm64) families: a 'g' right after the generation digit (m7g, c7gn, r8gd, t4g, g5g)."""
GPU_FAMILY = re.compile(r"^(g4dn|g5|g5g|g6|g6e|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en|p6-b200)\.")
"""Instance families with NVIDIA GPUs, which the AL2023 NVIDIA AMI and the device plugin serve."""


@cache
def branch_interfaces() -> dict[str, int]:
    """Instance type -> branch network interfaces per node (pods with their own security group), for the types
    that support them: the VPC resource controller's table, committed by ``tools/branch_enis.py``."""
    data = json.loads((Path(__file__).parent / "data" / "branch_enis.json").read_text(encoding="utf-8"))
    return {str(name): int(count) for name, count in data["branchInterfaces"].items()}


class NodePoolConfig(Section):
    """A managed node group."""

    instance_types: list[str] = Field(default_factory=list)
    """EC2 instance types."""
    min_size: int = Field(default=2, ge=0)
    desired_size: int = Field(default=2, ge=0)
    max_size: int = Field(default=4, ge=1)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    """Encrypted gp3 root volume size."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        for name in value:
            if not INSTANCE_TYPE.fullmatch(name):
                raise ValueError(f"{echo(name)} is not an EC2 instance type (family.size, e.g. m7i.large)")
        if len(set(value)) != len(value):
            raise ValueError("instance types must be unique")
        # A managed node group runs one AMI, so one CPU architecture (Graviton types end their family in g).
        arches = {"arm64" if GRAVITON.match(name) else "x86_64" for name in value}
        if len(arches) > 1:
            raise ValueError(f"{value} mix x86_64 and arm64 (Graviton) types; a node group runs one AMI architecture")
        # Every declared workload's pods get their own security group through a branch network interface
        # (zero trust at the AWS layer), which only some Nitro types offer.
        unsupported = [name for name in value if name not in branch_interfaces()]
        if unsupported:
            raise ValueError(
                f"{echo(', '.join(unsupported))} cannot give pods their own security group (no branch network "
                "interfaces: burstable t2/t3/t4g and older generations lack them); use a current Nitro type such as "
                "m7i.large, m6a.large or c7i.large"
            )
        return value

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize ({self.min_size}) <= desiredSize ({self.desired_size}) <= maxSize ({self.max_size})"
            )
        return self


class KServeConfig(Section):
    """Model serving with KServe (RawDeployment mode) and its dependency cert-manager."""

    enabled: bool = True
    version: str = Field(default="v0.15.2", pattern=r"^v\d+\.\d+\.\d+$")
    """KServe chart version (OCI charts kserve-crd and kserve), pinned: vX.Y.Z."""
    cert_manager_version: str = Field(default="v1.21.1", pattern=r"^v\d+\.\d+\.\d+$")
    """cert-manager chart version (https://charts.jetstack.io), pinned: vX.Y.Z."""


class ClusterConfig(Section):
    """The EKS serving cluster."""

    version: str = "1.34"
    """Kubernetes version, one EKS supports."""
    public_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Empty: private API endpoint only. Non-empty: public endpoint for these CIDRs (reported by policy)."""
    admin_principals: list[str] = Field(default_factory=list)
    """IAM principal ARNs given cluster-admin through access entries."""
    log_retention_days: int = 90
    """Retention of the control-plane log group."""
    system_pool: NodePoolConfig = Field(
        default_factory=lambda: NodePoolConfig(instance_types=["m7i.large"], min_size=2, desired_size=2, max_size=4)
    )
    """The system/CPU node pool."""
    gpu_pool: NodePoolConfig | None = None
    """Optional GPU pool (tainted nvidia.com/gpu=true:NoSchedule, scales to zero)."""
    namespaces: list[str] = Field(default_factory=lambda: ["serving", "mlflow", "airflow"])
    """Workload namespaces, from PLATFORM_NAMESPACES."""
    kserve: KServeConfig = Field(default_factory=KServeConfig)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{value!r} is not a supported EKS version; allowed: {SUPPORTED_KUBERNETES_VERSIONS}")
        return value

    _cidrs = field_validator("public_access_cidrs")(lambda v: [check_cidr(c) for c in v])
    _retention = field_validator("log_retention_days")(lambda v: check_retention(v))

    @field_validator("namespaces")
    @classmethod
    def _known_namespaces(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PLATFORM_NAMESPACES))
        if unknown:
            raise ValueError(f"unknown namespace(s) {unknown}; allowed: {PLATFORM_NAMESPACES}")
        return value

    @field_validator("gpu_pool")
    @classmethod
    def _gpu_types(cls, value: NodePoolConfig | None) -> NodePoolConfig | None:
        if value is not None and not value.instance_types:
            raise ValueError("a GPU pool needs instanceTypes (e.g. [g5.xlarge])")
        cpu_only = [name for name in value.instance_types if not GPU_FAMILY.match(name)] if value else []
        if cpu_only:
            raise ValueError(
                f"gpuPool.instanceTypes {cpu_only} have no NVIDIA GPU; use a GPU family (g4dn, g5, g6, g6e, p4d, p5...)"
            )
        return value

    @field_validator("admin_principals")
    @classmethod
    def _principal_arns(cls, value: list[str]) -> list[str]:
        for arn in value:  # access entries take IAM role/user ARNs, never an assumed-role session ARN
            if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+", arn):
                raise ValueError(f"{arn!r} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)")
        # EKS allows one access entry per principal: a repeat would fail the deploy half-way.
        repeated = sorted({arn for arn in value if value.count(arn) > 1})
        if repeated:
            raise ValueError(f"{repeated} listed more than once; each principal gets one access entry")
        return value

    @model_validator(mode="after")
    def _serving_prerequisites(self) -> Self:
        if not self.system_pool.instance_types or self.system_pool.min_size < 1:
            raise ValueError("systemPool needs instanceTypes and minSize >= 1 (CoreDNS and controllers run there)")
        if self.kserve.enabled and "serving" not in self.namespaces:
            raise ValueError("kserve.enabled needs 'serving' in namespaces (InferenceServices run there)")
        return self
