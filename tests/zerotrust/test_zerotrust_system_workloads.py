"""Issue #17 in ZeroTrust and the matrix: shared namespaces (kube-system), policy aliases, AWS sources into pods."""

from __future__ import annotations

import pytest

from components.zerotrust.component import FlowGraphError, describe_flows, render_network_policies
from contracts.flows import AwsSource, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.reachability import allowed_connections

VPC = "10.40.0.0/16"
CP = ("10.40.197.0/24", "10.40.205.0/24")
API = ExternalDestination("kube-apiserver", ("172.20.0.1/32", *CP))
CONTROL_PLANE = AwsSource("eks-control-plane", "sg-cluster", CP)
AUTOSCALER = Workload.of(
    "kube-system/cluster-autoscaler",
    "kube-system",
    {"app.kubernetes.io/name": "aws-cluster-autoscaler", "app.kubernetes.io/instance": "cluster-autoscaler"},
    own_security_group=False,
)
WEBHOOK = Workload.of("cert-manager/webhook", "cert-manager", {"app.kubernetes.io/name": "webhook"})
GRAPH = FlowGraph([Flow(AUTOSCALER, API, 443), Flow(CONTROL_PLANE, WEBHOOK, 10250), Flow(WEBHOOK, API, 443)])


def by_name(policies: list[dict]) -> dict[tuple[str, str], dict]:
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): p["spec"] for p in policies}


def test_a_shared_namespace_gets_no_namespace_wide_policy_but_isolates_its_workloads() -> None:
    policies = by_name(render_network_policies(GRAPH, ["cert-manager"], VPC, ["kube-system"]))
    assert {key for key in policies if key[0] == "kube-system"} == {
        ("kube-system", "egress-kube-system-cluster-autoscaler"),
        ("kube-system", "ingress-kube-system-cluster-autoscaler"),
    }
    egress = policies[("kube-system", "egress-kube-system-cluster-autoscaler")]["egress"]
    assert egress[0]["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]  # its own DNS
    assert egress[1]["to"] == [{"ipBlock": {"cidr": c}} for c in API.cidrs]
    assert policies[("kube-system", "ingress-kube-system-cluster-autoscaler")]["ingress"] == []  # nothing declared
    # Owned namespaces are unchanged: namespace-wide deny and DNS, per-workload flows only.
    assert ("cert-manager", "default-deny") in policies
    assert policies[("cert-manager", "ingress-cert-manager-webhook")]["ingress"] == [
        {"from": [{"ipBlock": {"cidr": c}} for c in CP], "ports": [{"protocol": "TCP", "port": 10250}]}
    ]


def test_a_namespace_cannot_be_both_owned_and_shared() -> None:
    with pytest.raises(FlowGraphError, match="both"):
        render_network_policies(GRAPH, ["cert-manager", "kube-system"], VPC, ["kube-system"])


def test_workloads_outside_every_namespace_are_still_rejected() -> None:
    with pytest.raises(FlowGraphError, match="kube-system"):
        render_network_policies(GRAPH, ["cert-manager"], VPC)


def test_rows_of_aws_sources_carry_their_cidrs_and_the_matrix_names_them() -> None:
    (row,) = [r for r in describe_flows(GRAPH) if r["source"] == "eks-control-plane"]
    assert row["sourceKind"] == "aws" and row["sourceCidrs"] == list(CP)
    policies = render_network_policies(GRAPH, ["cert-manager"], VPC, ["kube-system"])
    allowed = allowed_connections(policies, GRAPH.workloads, [API], [("eks-control-plane", CP)])
    into_webhook = {c for c in allowed if c[1] == "cert-manager/webhook"}
    assert into_webhook == {("eks-control-plane", "cert-manager/webhook", 10250, "TCP")}
    # Without the source, the same ingress shows as anonymous blocks.
    anonymous = {c[0] for c in allowed_connections(policies, GRAPH.workloads, [API]) if c[1] == "cert-manager/webhook"}
    assert anonymous == {f"ipBlock:{c}" for c in CP}
