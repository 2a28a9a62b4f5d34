"""The two deploy layers of one stack (docs/adr/0001-deploying-a-private-cluster.md).

- ``aws``: everything that needs only AWS APIs (VPC, EKS control plane and nodes, databases, buckets,
  IAM, KMS, the in-VPC deploy runner), plus component and provider registrations. It can be deployed
  from anywhere: ``pulumi up --target`` with :func:`layer_urns` of ``aws`` is the bootstrap.
- ``kubernetes``: what only the in-VPC deployer can apply: every resource that talks to the cluster's
  private API (the Kubernetes provider and all ``kubernetes:*`` resources), and the Lake Formation grants,
  which only a Lake Formation admin may make (the runner's role is one; whoever bootstraps need not be).
  It is deployed by the in-VPC runner, as part of a whole-stack run.

One stack, one state: the layers are a classification of its resources, not two programs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Layer = Literal["aws", "kubernetes"]
LAYERS: tuple[Layer, ...] = ("aws", "kubernetes")

KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes"
DEPLOYER_GRANT_TYPES = frozenset({"aws:lakeformation/permissions:Permissions"})
"""AWS resources only the deployer (a Lake Formation admin) can create: applied with the Kubernetes layer."""


def layer_of(resource_type: str) -> Layer:
    """The layer a resource of ``resource_type`` belongs to."""
    if (
        resource_type.startswith("kubernetes:")
        or resource_type == KUBERNETES_PROVIDER_TYPE
        or resource_type in DEPLOYER_GRANT_TYPES
    ):
        return "kubernetes"
    return "aws"


def layer_urns(resources: Iterable[tuple[str, str]], layer: Layer) -> list[str]:
    """URNs of the ``(urn, type)`` pairs in ``layer``, sorted: the ``--target`` list of a layered operation."""
    return sorted(urn for urn, resource_type in resources if layer_of(resource_type) == layer)
