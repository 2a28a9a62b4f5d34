"""The ZeroTrust component under the offline engine: NetworkPolicy resources and security-group rules."""

from __future__ import annotations

from functools import lru_cache

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.zerotrust.component import FlowGraphError, ZeroTrust, ZeroTrustArgs
from contracts.flows import AwsDestination, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.engine import Graph, run_program

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "10.40.0.0/16"
MLFLOW = Workload.of("mlflow/server", "mlflow", {"app": "mlflow"})
WORKER = Workload.of("airflow/worker", "airflow", {"component": "worker"})
SCHEDULER = Workload.of("airflow/scheduler", "airflow", {"component": "scheduler"})


def flows() -> FlowGraph:
    endpoints = AwsDestination(name="vpc-endpoints", cidrs=(VPC,), security_group_id=pulumi.Output.from_input("sg-e"))
    db = AwsDestination(name="mlflow-db", cidrs=("10.40.192.0/21",), security_group_id="sg-db")
    graph = FlowGraph()
    graph.add([Flow(MLFLOW, db, 5432), Flow(MLFLOW, endpoints, 443), Flow(WORKER, MLFLOW, 5000)])
    graph.add([Flow(WORKER, endpoints, 443), Flow(SCHEDULER, endpoints, 443)])  # one SG rule for all three
    graph.add([Flow(WORKER, ExternalDestination("github", ("140.82.112.0/20",)), 443)])  # no SG rule
    graph.add([Flow(WORKER, AwsDestination(name="athena-private", cidrs=("10.40.0.0/18",)), 443)])  # no SG
    return graph


@lru_cache(maxsize=1)
def build() -> Graph:
    def program() -> None:
        provider = k8s.Provider("cluster-k8s", kubeconfig="{}")
        namespace = k8s.core.v1.Namespace(
            "ns-mlflow", metadata={"name": "mlflow"}, opts=pulumi.ResourceOptions(provider=provider)
        )
        zt = ZeroTrust(
            "zt",
            ZeroTrustArgs(
                graph=flows(),
                namespaces=["airflow", "mlflow", "serving"],
                vpc_cidr=VPC,
                workload_security_group_id="sg-nodes",
                k8s_provider=provider,
                depends_on=[namespace],
            ),
        )
        pulumi.export("zeroTrustFlows", zt.described_flows)
        pulumi.export("zeroTrustWorkloads", zt.described_workloads)
        pulumi.export("ruleIds", zt.security_group_rule_ids)

    return run_program(program, config={"aws:region": "eu-west-1"})


def test_policies_are_created_with_the_cluster_provider_after_the_namespaces() -> None:
    graph = build()
    policies = graph.by_type(POLICY)
    # 3 namespaces x (default-deny, dns) + egress mlflow, ingress mlflow, egress worker, egress scheduler
    assert len(policies) == 10
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    (namespace,) = graph.by_type("kubernetes:core/v1:Namespace")
    (component,) = graph.by_type("mlops:zerotrust:ZeroTrust")
    for policy in policies:
        assert policy.provider is not None and policy.provider.startswith(provider.urn + "::")
        assert namespace.urn in policy.dependencies
        assert policy.parent == component.urn
    deny = {p.inputs["metadata"]["namespace"] for p in policies if p.inputs["metadata"]["name"] == "default-deny"}
    assert deny == {"airflow", "mlflow", "serving"}
    assert all(
        p.inputs["spec"]["policyTypes"] == ["Ingress", "Egress"] for p in policies if p.name.endswith("default-deny")
    )


def test_security_group_rules_reference_the_workload_group_never_a_cidr() -> None:
    rules = {r.name: r.inputs for r in build().by_type(RULE)}
    assert set(rules) == {"zt-mlflow-db-tcp-5432", "zt-vpc-endpoints-tcp-443"}
    for inputs in rules.values():
        assert inputs["referencedSecurityGroupId"] == "sg-nodes"
        assert "cidrIpv4" not in inputs and "cidrIpv6" not in inputs and "prefixListId" not in inputs
        assert inputs["fromPort"] == inputs["toPort"] and inputs["ipProtocol"] == "tcp"
    assert rules["zt-mlflow-db-tcp-5432"]["securityGroupId"] == "sg-db"
    assert rules["zt-vpc-endpoints-tcp-443"]["securityGroupId"] == "sg-e"
    assert "airflow/scheduler" in rules["zt-vpc-endpoints-tcp-443"]["description"]
    assert len(build().outputs["ruleIds"]) == 2


def test_outputs_describe_flows_and_workloads() -> None:
    outputs = build().outputs
    assert len(outputs["zeroTrustFlows"]) == 7
    assert {"source": "airflow/worker", "destination": "mlflow/server", "port": 5000, "protocol": "TCP",
            "destinationKind": "workload"} in outputs["zeroTrustFlows"]  # fmt: skip
    assert {w["name"] for w in outputs["zeroTrustWorkloads"]} == {
        "airflow/scheduler",
        "airflow/worker",
        "mlflow/server",
    }


def test_a_bad_graph_is_a_clear_error() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        bad = FlowGraph([Flow(Workload.of("x", "nowhere", {"a": "b"}), MLFLOW, 80)])
        ZeroTrust("zt", ZeroTrustArgs(graph=bad, namespaces=["mlflow"], vpc_cidr=VPC,
                                      workload_security_group_id="sg", k8s_provider=provider))  # fmt: skip

    with pytest.raises(FlowGraphError, match="namespace 'nowhere'"):
        run_program(program)
