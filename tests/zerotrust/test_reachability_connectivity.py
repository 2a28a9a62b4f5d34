"""mlopsctl.connectivity: the matrix computed from a plan's graph, compared with its declared flows."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import pulumi
import pulumi_kubernetes as k8s
from pod_groups import pod_groups
from rich.console import Console
from rich.table import Table

from components.zerotrust.component import ZeroTrust, ZeroTrustArgs
from contracts.flows import AwsDestination, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.connectivity import NETWORK_POLICY_TYPE, build_report, connectivity
from mlopsctl.engine import Graph, run_program
from mlopsctl.reachability import INTERNET

VPC = "10.40.0.0/16"
MLFLOW = Workload.of("mlflow/server", "mlflow", {"app": "mlflow"})
WORKER = Workload.of("airflow/worker", "airflow", {"component": "worker"})
PREDICTOR = Workload.of("serving/predictor", "serving", {"app": "predictor"})


@lru_cache(maxsize=2)
def build(extra_policy: bool = False) -> Graph:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        graph = FlowGraph()
        endpoints = AwsDestination(name="vpc-endpoints", cidrs=(VPC,), security_group_id="sg-e")
        graph.add([Flow(WORKER, MLFLOW, 5000), Flow(PREDICTOR, MLFLOW, 5000), Flow(MLFLOW, endpoints, 443)])
        graph.add([Flow(MLFLOW, AwsDestination(name="db", cidrs=("10.40.192.0/21",), security_group_id="sg-d"), 5432)])
        graph.add([Flow(WORKER, ExternalDestination("github", ("140.82.112.0/20",)), 443)])
        zt = ZeroTrust("zt", ZeroTrustArgs(graph=graph, namespaces=["airflow", "mlflow", "serving"], vpc_cidr=VPC,
                                           cluster_security_group_id="sg-n", pod_security_groups=pod_groups(provider, cluster_sg="sg-n"), k8s_provider=provider))  # fmt: skip
        pulumi.export("zeroTrustFlows", zt.described_flows)
        pulumi.export("zeroTrustWorkloads", zt.described_workloads)
        if extra_policy:  # someone else's policy opening the internet to MLflow
            k8s.networking.v1.NetworkPolicy(
                "leak",
                metadata={"name": "leak", "namespace": "mlflow"},
                spec={"podSelector": {}, "policyTypes": ["Egress"],
                      "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]},
                opts=pulumi.ResourceOptions(provider=provider),
            )  # fmt: skip

    return run_program(program)


def test_the_rendered_policies_match_the_declared_flows() -> None:
    report = connectivity(build())
    assert report.ok
    assert report.declared == report.computed
    assert len(report.rows) == 5 and all(r.status == "ok" for r in report.rows)
    assert ("mlflow/server", "db", 5432, "TCP") in report.computed
    assert ("airflow/worker", "github", 443, "TCP") in report.computed


def test_an_undeclared_opening_is_unexpected() -> None:
    report = connectivity(build(extra_policy=True))
    assert not report.ok
    assert report.unexpected == {("mlflow/server", INTERNET, 443, "TCP")}
    assert not report.missing


def test_a_missing_policy_is_reported_missing() -> None:
    graph = build()
    kept = tuple(r for r in graph.resources if not r.name.endswith("ingress-mlflow-server"))
    report = connectivity(dataclasses.replace(graph, resources=kept))
    assert report.missing == {
        ("airflow/worker", "mlflow/server", 5000, "TCP"),
        ("serving/predictor", "mlflow/server", 5000, "TCP"),
    }
    assert {r.status for r in report.rows if r.destination == "mlflow/server"} == {"missing"}


def test_a_stack_without_zero_trust_outputs_is_not_ok() -> None:
    graph = dataclasses.replace(build(), outputs={})
    report = connectivity(graph)
    assert not report.ok and "zeroTrustFlows" in report.notes[0]


def test_unsupported_policies_become_a_note() -> None:
    graph = build()
    policy = graph.by_type(NETWORK_POLICY_TYPE)[0]
    named = dataclasses.replace(
        policy,
        urn=policy.urn + "-named",
        inputs={"metadata": {"name": "n", "namespace": "mlflow"},
                "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]}},
    )  # fmt: skip
    report = connectivity(dataclasses.replace(graph, resources=(*graph.resources, named)))
    assert not report.ok and "named port" in report.notes[0]


def test_table_and_markdown() -> None:
    report = build_report(
        frozenset({("a", "b", 80, "TCP"), ("a", "c", 443, "TCP")}),
        frozenset({("a", "b", 80, "TCP"), ("a", INTERNET, 0, "TCP")}),
    )
    table = report.to_table()
    assert isinstance(table, Table) and table.row_count == 3
    console = Console(record=True, width=160)
    console.print(table)
    text = console.export_text()
    assert "unexpected" in text and "missing" in text and "any" in text
    markdown = report.to_markdown().splitlines()
    assert markdown[0].startswith("**Connectivity:** DOES NOT match")
    assert "| Source | Destination | Port | Protocol | Declared | Allowed | Status |" in markdown
    assert "| a | internet | any | TCP | no | yes | **unexpected** |" in markdown
    assert "| a | c | 443 | TCP | yes | no | **missing** |" in markdown
    assert report.to_json()["rows"][0] == {
        "source": "a", "destination": "b", "port": 80, "protocol": "TCP",
        "declared": True, "allowed": True, "status": "ok",
    }  # fmt: skip


def test_destinations_sharing_cidrs_are_compared_under_one_label() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        cidrs = ("10.40.192.0/21", "10.40.200.0/21")
        graph = FlowGraph(
            [
                Flow(MLFLOW, AwsDestination(name="mlflow-db", cidrs=cidrs, security_group_id="sg-m"), 5432),
                Flow(WORKER, AwsDestination(name="airflow-db", cidrs=cidrs, security_group_id="sg-a"), 5432),
                Flow(MLFLOW, AwsDestination(name="vpc-endpoints", cidrs=(VPC,)), 443),
                Flow(PREDICTOR, AwsDestination(name="vpc-interface-endpoints", cidrs=(VPC,)), 443),
            ]
        )
        zt = ZeroTrust("zt", ZeroTrustArgs(graph=graph, namespaces=["airflow", "mlflow", "serving"], vpc_cidr=VPC,
                                           cluster_security_group_id="sg-n", pod_security_groups=pod_groups(provider, cluster_sg="sg-n"), k8s_provider=provider))  # fmt: skip
        pulumi.export("zeroTrustFlows", zt.described_flows)
        pulumi.export("zeroTrustWorkloads", zt.described_workloads)

    report = connectivity(run_program(program))
    assert report.ok, report.to_markdown()
    assert ("mlflow/server", "airflow-db / mlflow-db", 5432, "TCP") in report.computed
    assert ("serving/predictor", "vpc-endpoints / vpc-interface-endpoints", 443, "TCP") in report.computed
