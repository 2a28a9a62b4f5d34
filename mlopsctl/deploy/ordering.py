"""Invariants 1 and 2: the order of a first deploy, and the layer split behind the private-cluster bootstrap.

1. **Ordering**: every Kubernetes-layer resource that talks to the cluster (:mod:`mlopsctl.layers`: the
   Kubernetes provider and ``kubernetes:*`` resources; not the layer's AWS-API grants) waits for an EKS
   access policy association (the deployer's cluster access: without it the API answers 401/403) and a
   managed node group (without nodes nothing schedules and every wait times out).
2. **Layer closure**: no AWS-layer resource depends on a Kubernetes-layer one, so ``pulumi up --target``
   with the AWS layer's URNs bootstraps from outside the VPC; and a stack with Kubernetes resources has an
   in-VPC deploy runner (a CodeBuild project with a ``vpcConfig``) to apply them through the private API.
"""

from __future__ import annotations

from typing import Any

from mlopsctl.deploy.graphs import Finding, index_of, short
from mlopsctl.engine import Graph
from mlopsctl.layers import DEPLOYER_GRANT_TYPES, layer_of

ORDERING, LAYER_CLOSURE = "ordering", "layer-closure"
ACCESS_POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOY_RUNNER = "aws:codebuild/project:Project"

# (type every Kubernetes-layer resource must wait for, finding suffix, why)
REQUIRED_BEFORE_KUBERNETES: tuple[tuple[str, str, str], ...] = (
    (
        ACCESS_POLICY_ASSOCIATION,
        "access-policy",
        "an EKS access policy association (the deployer's cluster access; until it exists the API refuses the deployer)",
    ),
    (
        NODE_GROUP,
        "node-group",
        "a managed node group (without nodes no pod schedules and every readiness wait times out)",
    ),
)


def check_ordering(graph: Graph) -> list[Finding]:
    """Kubernetes-layer resources that do not wait for cluster access and for a node group."""
    index = index_of(graph)
    findings = []
    for resource in graph.resources:
        if layer_of(resource.type) != "kubernetes" or resource.type in DEPLOYER_GRANT_TYPES:
            continue  # AWS-API resources of the Kubernetes layer (Lake Formation grants) need no cluster
        types = {index.by_urn[u].type for u in index.closure(resource.urn) if u in index.by_urn}
        for required, suffix, what in REQUIRED_BEFORE_KUBERNETES:
            if required not in types:
                findings.append(
                    Finding(
                        ORDERING,
                        f"{ORDERING}:{resource.name}:{suffix}",
                        resource.urn,
                        f"{resource.type} {resource.name} does not depend on {what}: add it to dependsOn "
                        "(of the resource or of the Kubernetes provider).",
                    )
                )
    return findings


def check_layer_closure(graph: Graph) -> list[Finding]:
    """AWS-layer resources that depend on Kubernetes-layer ones, and a missing in-VPC deploy runner."""
    index = index_of(graph)
    findings = []
    for resource in graph.resources:
        if layer_of(resource.type) != "aws":
            continue
        bad = sorted(
            {u for u in index.direct(resource) if u in index.by_urn and layer_of(index.by_urn[u].type) == "kubernetes"}
        )
        if bad:
            names = ", ".join(short(u) for u in bad)
            findings.append(
                Finding(
                    LAYER_CLOSURE,
                    f"{LAYER_CLOSURE}:{resource.name}",
                    resource.urn,
                    f"{resource.type} {resource.name} (AWS layer) depends on Kubernetes-layer {names}: the AWS-layer "
                    "bootstrap (`pulumi up --target` from outside the VPC) cannot create it. Drop the dependency "
                    "or move the resource to the Kubernetes layer.",
                )
            )
    has_kubernetes = any(layer_of(r.type) == "kubernetes" for r in graph.resources)
    if has_kubernetes and not any(_in_vpc(r.inputs.get("vpcConfig")) for r in index.of_type(DEPLOY_RUNNER)):
        findings.append(
            Finding(
                LAYER_CLOSURE,
                f"{LAYER_CLOSURE}:deploy-runner",
                None,
                "the stack has Kubernetes-layer resources but no in-VPC deploy runner "
                f"({DEPLOY_RUNNER} with a vpcConfig): nothing can reach the private cluster API to apply them "
                "(configure mlops:deploy.runner).",
            )
        )
    return findings


def _in_vpc(vpc_config: Any) -> bool:
    if not isinstance(vpc_config, dict):
        return False
    subnets = vpc_config.get("subnets")
    return bool(subnets) and (not isinstance(subnets, list) or all(isinstance(s, str) and s for s in subnets))
