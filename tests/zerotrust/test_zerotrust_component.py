"""The ZeroTrust component under the offline engine: NetworkPolicy resources and security-group rules."""

from __future__ import annotations

from functools import lru_cache

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pod_groups import pod_groups

from components.zerotrust.component import FlowGraphError, ZeroTrust, ZeroTrustArgs
from contracts.flows import AwsDestination, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.engine import Graph, run_program

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
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
                cluster_security_group_id="sg-nodes",
                pod_security_groups=pod_groups(provider, cluster_sg="sg-nodes"),
                k8s_provider=provider,
                depends_on=[namespace],
            ),
        )
        pulumi.export("zeroTrustFlows", zt.described_flows)
        pulumi.export("zeroTrustWorkloads", zt.described_workloads)
        pulumi.export("ruleIds", zt.security_group_rule_ids)
        pulumi.export("zeroTrustSecurityGroups", zt.described_security_groups)

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


def test_every_flow_opens_group_to_group_never_from_a_cidr_or_the_cluster_group() -> None:
    graph = build()
    groups = {
        r.inputs["tags"]["mlops:workload"]: r for r in graph.by_type(GROUP) if "mlops:workload" in r.inputs["tags"]
    }
    assert set(groups) == {"mlflow/server", "airflow/worker", "airflow/scheduler"}
    ingress = {r.name: r.inputs for r in graph.by_type(RULE) if r.name.startswith("zt-")}
    egress = {r.name: r.inputs for r in graph.by_type(EGRESS) if r.name.startswith("zt-")}
    # One pair per flow with a group at both ends: 5 flows (github has no group, athena-private neither).
    assert len(ingress) == 5
    for inputs in ingress.values():
        assert "cidrIpv4" not in inputs and "cidrIpv6" not in inputs and "prefixListId" not in inputs
        assert inputs["referencedSecurityGroupId"] != "sg-nodes"
        assert inputs["fromPort"] == inputs["toPort"] and inputs["ipProtocol"] == "tcp"
    db = ingress["zt-mlflow-server-mlflow-db-tcp-5432-ingress"]
    assert db["securityGroupId"] == "sg-db"
    # Only the MLflow server's own group reaches the database: not the worker's, not the scheduler's.
    admitted_by_db = {i["referencedSecurityGroupId"] for i in ingress.values() if i["securityGroupId"] == "sg-db"}
    assert len(admitted_by_db) == 1
    mlflow_egress = egress["zt-mlflow-server-mlflow-db-tcp-5432-egress"]
    assert mlflow_egress["referencedSecurityGroupId"] == "sg-db"
    assert mlflow_egress["securityGroupId"] == db["referencedSecurityGroupId"]
    # To a host outside the VPC: egress to its CIDR only, nothing to admit it.
    (github,) = [e for name, e in egress.items() if "github" in name]
    assert github["cidrIpv4"] == "140.82.112.0/20" and github["fromPort"] == 443
    assert len(build().outputs["ruleIds"]) == 11


def test_each_workload_group_is_put_on_its_pods_with_the_dns_group() -> None:
    graph = build()
    policies = graph.by_type("kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy")
    assert {(p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]) for p in policies} == {
        ("mlflow", "pod-sg-mlflow-server"),
        ("airflow", "pod-sg-airflow-worker"),
        ("airflow", "pod-sg-airflow-scheduler"),
    }
    (dns,) = [g for g in graph.by_type(GROUP) if g.name == "pod-sg-dns"]
    for policy in policies:
        assert policy.inputs["spec"]["podSelector"]["matchLabels"] in (
            MLFLOW.selector,
            WORKER.selector,
            SCHEDULER.selector,
        )
        assert len(policy.inputs["spec"]["securityGroups"]["groupIds"]) == 2
    dns_rules = [r.inputs for r in graph.by_type(RULE) + graph.by_type(EGRESS) if r.name.startswith("pod-sg-dns")]
    assert {(r["ipProtocol"], r["fromPort"]) for r in dns_rules} == {("udp", 53), ("tcp", 53)}
    assert all("cidrIpv4" not in r for r in dns_rules)
    rows = {row["name"]: row for row in graph.outputs["zeroTrustSecurityGroups"]}
    assert rows["cluster"] == {"name": "cluster", "kind": "cluster", "securityGroupId": "sg-nodes"}
    assert rows["mlflow-db"]["kind"] == "aws" and rows["mlflow/server"]["kind"] == "workload"
    assert dns.inputs["vpcId"] == "vpc-1"


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
                                      cluster_security_group_id="sg", pod_security_groups=pod_groups(provider, cluster_sg="sg"), k8s_provider=provider))  # fmt: skip

    with pytest.raises(FlowGraphError, match="namespace 'nowhere'"):
        run_program(program)
