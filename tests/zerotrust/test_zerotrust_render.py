"""render_network_policies: default deny, DNS, one egress + one ingress rule per flow, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.zerotrust.component import FlowGraphError, describe_flows, describe_workloads, render_network_policies
from contracts.flows import AwsDestination, ExternalDestination, Flow, FlowGraph, Workload

VPC = "10.40.0.0/16"
NAMESPACES = ["airflow", "mlflow", "serving"]
MLFLOW = Workload.of("mlflow/server", "mlflow", {"app.kubernetes.io/name": "mlflow"})
WORKER = Workload.of("airflow/worker", "airflow", {"component": "worker", "release": "airflow"})
PREDICTOR = Workload.of("serving/predictor", "serving", {"app": "predictor"})
ENDPOINTS = AwsDestination(name="vpc-endpoints", cidrs=(VPC,), security_group_id="sg-endpoints")
DB = AwsDestination(name="mlflow-db", cidrs=("10.40.192.0/21", "10.40.200.0/21"), security_group_id="sg-db")
GIT = ExternalDestination(name="github", cidrs=("140.82.112.0/20",))


def platform_graph() -> FlowGraph:
    graph = FlowGraph()
    graph.add(
        [
            Flow(WORKER, MLFLOW, 5000),
            Flow(PREDICTOR, MLFLOW, 5000),
            Flow(MLFLOW, DB, 5432),
            Flow(MLFLOW, ENDPOINTS, 443),
            Flow(WORKER, ENDPOINTS, 443),
            Flow(WORKER, GIT, 443),
            Flow(WORKER, MLFLOW, 5000),  # declared twice (two components): rendered once
        ]
    )
    return graph


def by_name(policies: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in policies}


def test_every_namespace_denies_both_directions_and_allows_dns_only_to_kube_dns() -> None:
    policies = by_name(render_network_policies(platform_graph(), [*NAMESPACES, "notebooks"], VPC))
    for ns in [*NAMESPACES, "notebooks"]:
        deny = policies[(ns, "default-deny")]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = policies[(ns, "allow-dns-egress")]["spec"]
        assert dns["policyTypes"] == ["Egress"] and "ingress" not in dns
        (rule,) = dns["egress"]
        assert rule["to"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ]
        assert rule["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def test_each_flow_is_an_egress_rule_at_source_and_ingress_rule_at_destination() -> None:
    policies = by_name(render_network_policies(platform_graph(), NAMESPACES, VPC))
    ingress = policies[("mlflow", "ingress-mlflow-server")]["spec"]
    assert ingress["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "mlflow"}}
    assert ingress["policyTypes"] == ["Ingress"]
    assert ingress["ingress"] == [
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "airflow"}},
                    "podSelector": {"matchLabels": {"component": "worker", "release": "airflow"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 5000}],
        },
        {
            "from": [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "serving"}},
                    "podSelector": {"matchLabels": {"app": "predictor"}},
                }
            ],
            "ports": [{"protocol": "TCP", "port": 5000}],
        },
    ]
    egress = policies[("airflow", "egress-airflow-worker")]["spec"]["egress"]
    assert [(r["to"], r["ports"][0]["port"]) for r in egress] == [
        ([_peer(MLFLOW)], 5000),
        ([{"ipBlock": {"cidr": VPC}}], 443),
        ([{"ipBlock": {"cidr": "140.82.112.0/20"}}], 443),
    ]
    db_egress = policies[("mlflow", "egress-mlflow-server")]["spec"]["egress"][0]
    assert db_egress["to"] == [{"ipBlock": {"cidr": "10.40.192.0/21"}}, {"ipBlock": {"cidr": "10.40.200.0/21"}}]
    # Workloads with no flows in a direction get no policy for it (default-deny covers them).
    assert ("serving", "ingress-serving-predictor") not in policies
    assert ("airflow", "ingress-airflow-worker") not in policies


def _peer(w: Workload) -> dict[str, Any]:
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": w.namespace}},
        "podSelector": {"matchLabels": w.selector},
    }


def test_no_policy_opens_the_internet() -> None:
    text = json.dumps(render_network_policies(platform_graph(), NAMESPACES, VPC))
    assert "0.0.0.0/0" not in text and "::/0" not in text
    assert '"to": []' not in text and '"from": []' not in text


def test_rendering_is_deterministic_and_sorted() -> None:
    first = render_network_policies(platform_graph(), NAMESPACES, VPC)
    reversed_graph = FlowGraph(list(reversed(platform_graph().flows)))
    keys = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in first]
    assert keys == sorted(keys)
    assert [p["metadata"]["name"] for p in render_network_policies(reversed_graph, NAMESPACES, VPC)] == [
        p["metadata"]["name"] for p in first
    ]
    assert first == render_network_policies(platform_graph(), NAMESPACES, VPC)


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        ([Flow(Workload.of("x", "other", {"a": "b"}), MLFLOW, 80)], "namespace 'other'"),
        ([Flow(Workload.of("x", "mlflow", {}), MLFLOW, 80)], "no labels"),
        ([Flow(Workload.of("x", "mlflow", {"app.kubernetes.io/name": "mlflow", "tier": "web"}), MLFLOW, 80)], "selects the pods"),
        ([Flow(MLFLOW, AwsDestination(name="anywhere", cidrs=("0.0.0.0/0",)), 443)], "outside the VPC"),
        ([Flow(MLFLOW, AwsDestination(name="other-vpc", cidrs=("10.50.0.0/16",)), 443)], "outside the VPC"),
        ([Flow(MLFLOW, AwsDestination(name="none", cidrs=()), 443)], "no CIDRs"),
        ([Flow(WORKER, Workload.of("mlflow/server", "mlflow", {"app": "other"}), 80), Flow(WORKER, MLFLOW, 80)], "named 'mlflow/server'"),
        ([Flow(WORKER, Workload.of("a/b", "airflow", {"x": "1"}), 80), Flow(WORKER, Workload.of("a-b", "airflow", {"x": "2"}), 80)], "same policy name"),
    ],
)  # fmt: skip
def test_graphs_that_would_allow_more_than_declared_are_rejected(flows: list[Flow], message: str) -> None:
    with pytest.raises(FlowGraphError, match=message):
        render_network_policies(FlowGraph(flows), NAMESPACES, VPC)


def test_same_aws_destination_declared_twice_by_value_is_accepted() -> None:
    twin = AwsDestination(name="vpc-endpoints", cidrs=(VPC,), security_group_id="sg-endpoints")
    graph = FlowGraph([Flow(MLFLOW, ENDPOINTS, 443), Flow(WORKER, twin, 443)])
    assert len(render_network_policies(graph, NAMESPACES, VPC)) == 2 * 3 + 2


def test_long_workload_names_give_valid_policy_names() -> None:
    long = Workload.of("serving/" + "very-long-model-name-" * 5, "serving", {"app": "long"})
    policies = render_network_policies(FlowGraph([Flow(long, MLFLOW, 5000)]), NAMESPACES, VPC)
    names = [p["metadata"]["name"] for p in policies]
    assert all(len(n) <= 63 for n in names)
    assert any(n.startswith("egress-serving-very-long") for n in names)


def test_descriptions_for_stack_outputs() -> None:
    flows = describe_flows(platform_graph())
    assert len(flows) == 6  # the duplicate is described once
    assert {
        "source": "mlflow/server",
        "destination": "mlflow-db",
        "port": 5432,
        "protocol": "TCP",
        "destinationKind": "aws",
        "destinationCidrs": ["10.40.192.0/21", "10.40.200.0/21"],
    } in flows
    assert json.loads(json.dumps(flows)) == flows  # plain data, exportable
    assert describe_workloads(platform_graph()) == [
        {"name": "airflow/worker", "namespace": "airflow", "labels": {"component": "worker", "release": "airflow"}},
        {"name": "mlflow/server", "namespace": "mlflow", "labels": {"app.kubernetes.io/name": "mlflow"}},
        {"name": "serving/predictor", "namespace": "serving", "labels": {"app": "predictor"}},
    ]
