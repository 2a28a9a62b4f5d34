"""What a first `pulumi up` in a fresh account needs from the cluster, checked on the shipped stacks."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.cluster.node_pools import AUTOSCALING_ROLE_NAME, autoscaling_service_linked_role
from mlopsctl.engine import Graph, run_program

SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
KEY = "aws:kms/key:Key"
K8S_PROVIDER = "pulumi:providers:kubernetes"


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_node_key_waits_for_the_autoscaling_service_linked_role(graph_of: Any, stack: str) -> None:
    # KMS refuses a key policy naming a principal that does not exist yet, and a fresh account has no
    # AWSServiceRoleForAutoScaling until its first Auto Scaling group (terraform-aws-eks#3013).
    graph: Graph = graph_of(stack)
    [role] = graph.by_type(SLR)
    assert role.inputs == {"awsServiceName": "autoscaling.amazonaws.com"}
    assert role.retain_on_delete, "one per account, shared with every Auto Scaling group: never deleted"
    [node_key] = [k for k in graph.by_type(KEY) if k.name.endswith("node-key")]
    policy = json.loads(node_key.inputs["policy"])
    named = {p for s in policy["Statement"] for p in [s["Principal"].get("AWS")] if isinstance(p, str)}
    assert any(p.endswith(f"/aws-service-role/autoscaling.amazonaws.com/{AUTOSCALING_ROLE_NAME}") for p in named)
    assert role.urn in node_key.dependencies


def test_an_existing_role_is_adopted_not_created_again(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = f"arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/{AUTOSCALING_ROLE_NAME}"
    monkeypatch.setattr(aws.iam, "get_roles", lambda **_: SimpleNamespace(arns=[arn], names=[AUTOSCALING_ROLE_NAME]))

    class Holder(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("test:index:Holder", "holder")
            autoscaling_service_linked_role("slr", parent=self)

    [role] = run_program(Holder).by_type(SLR)
    assert role.import_id == arn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kubernetes_resource_waits_for_access_nodes_and_dns(graph_of: Any, stack: str) -> None:
    # All Kubernetes resources use the cluster's provider, so ordering the provider orders them all.
    graph: Graph = graph_of(stack)
    [provider] = graph.by_type(K8S_PROVIDER)
    types = {r.urn: r.type for r in graph.resources}
    needed = {types[d] for d in provider.dependencies}
    assert {
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
    } <= needed
    coredns = [d for d in provider.dependencies if d.endswith("::serving-coredns")]
    assert coredns, provider.dependencies
