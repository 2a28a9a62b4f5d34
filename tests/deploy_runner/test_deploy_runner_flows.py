"""Flows from an AWS source (the deploy runner -> the EKS API): security groups only, checked at the AWS layer."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pod_groups import pod_groups

from components.zerotrust.component import (
    FlowGraphError,
    ZeroTrust,
    ZeroTrustArgs,
    describe_flows,
    render_network_policies,
)
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.connectivity import EGRESS_RULE_TYPE, INGRESS_RULE_TYPE, connectivity
from mlopsctl.engine import Graph, run_program

VPC = "10.40.0.0/16"
PRIVATE = ("10.40.0.0/18", "10.40.64.0/18")
SCHEDULER = Workload.of("airflow/scheduler", "airflow", {"component": "scheduler"})
RUNNER = AwsSource(name="deploy-runner", security_group_id="sg-runner")
API = AwsDestination(name="eks-api-endpoint", cidrs=PRIVATE, security_group_id="sg-cluster")
DB = AwsDestination(name="db", cidrs=("10.40.192.0/21",), security_group_id="sg-db")


def graph(*extra: Flow) -> FlowGraph:
    return FlowGraph([Flow(SCHEDULER, DB, 5432), *extra])


@lru_cache(maxsize=1)
def planned() -> Graph:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        # The pod flow to the same destination group still opens from the workload group, under its old name.
        flows = graph(Flow(RUNNER, API, 443), Flow(SCHEDULER, API, 443))
        zt = ZeroTrust(
            "zerotrust",
            ZeroTrustArgs(
                graph=flows,
                namespaces=["airflow"],
                vpc_cidr=VPC,
                cluster_security_group_id="sg-nodes",
                pod_security_groups=pod_groups(provider, cluster_sg="sg-nodes"),
                k8s_provider=provider,
            ),
        )
        pulumi.export("zeroTrustFlows", zt.described_flows)
        pulumi.export("zeroTrustWorkloads", zt.described_workloads)

    return run_program(program)


def test_an_aws_source_gets_no_network_policy() -> None:
    assert render_network_policies(graph(Flow(RUNNER, API, 443)), ["airflow"], VPC) == render_network_policies(
        graph(), ["airflow"], VPC
    )
    assert graph(Flow(RUNNER, API, 443)).workloads == [SCHEDULER]


@pytest.mark.parametrize(
    ("destination", "error"),
    [
        (SCHEDULER, "an AWS source that reaches pods needs its subnets"),
        (AwsDestination(name="endpoints", cidrs=(VPC,)), "needs pods or an AWS destination with a security group"),
        (ExternalDestination("github", ("140.82.112.0/20",)), "needs pods or an AWS destination with a security group"),
    ],
    ids=["workload-without-subnets", "aws-without-group", "external"],
)
def test_an_aws_source_needs_a_destination_security_groups_can_guard(destination: object, error: str) -> None:
    flows = graph(Flow(RUNNER, destination, 443))  # type: ignore[arg-type]
    with pytest.raises(FlowGraphError, match=error):
        render_network_policies(flows, ["airflow"], VPC)


def test_an_aws_source_reaching_pods_is_admitted_from_its_subnets() -> None:
    balancer = AwsSource(name="alb", security_group_id="sg-alb", cidrs=("10.40.196.0/24",))
    policies = render_network_policies(graph(Flow(balancer, SCHEDULER, 8080)), ["airflow"], VPC)
    (ingress,) = [p for p in policies if p["metadata"]["name"] == "ingress-airflow-scheduler"]
    assert ingress["spec"]["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "10.40.196.0/24"}}], "ports": [{"protocol": "TCP", "port": 8080}]}
    ]


def test_a_name_shared_by_a_workload_and_an_aws_source_is_refused() -> None:
    impostor = AwsSource(name="airflow/scheduler", security_group_id="sg-x")
    with pytest.raises(FlowGraphError, match="two different endpoints are named 'airflow/scheduler'"):
        render_network_policies(graph(Flow(impostor, API, 443)), ["airflow"], VPC)


def test_described_rows_mark_aws_sources_only() -> None:
    rows = describe_flows(graph(Flow(RUNNER, API, 443)))
    runner = next(r for r in rows if r["source"] == "deploy-runner")
    assert runner["sourceKind"] == "aws" and runner["destinationCidrs"] == list(PRIVATE)
    assert all("sourceKind" not in r for r in rows if r is not runner)


def test_zero_trust_opens_both_ends_group_to_group() -> None:
    built = planned()
    egress = {r.name: r.inputs for r in built.by_type(EGRESS_RULE_TYPE)}
    ingress = {r.name: r.inputs for r in built.by_type(INGRESS_RULE_TYPE)}
    description = "zero-trust flow deploy-runner -> eks-api-endpoint tcp/443"
    assert {name: rule for name, rule in egress.items() if "deploy-runner" in name} == {
        "zerotrust-deploy-runner-eks-api-endpoint-tcp-443-egress": {
            "securityGroupId": "sg-runner",
            "referencedSecurityGroupId": "sg-cluster",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "description": description,
        }
    }
    assert ingress["zerotrust-deploy-runner-eks-api-endpoint-tcp-443-ingress"] == {
        "securityGroupId": "sg-cluster",
        "referencedSecurityGroupId": "sg-runner",
        "ipProtocol": "tcp",
        "fromPort": 443,
        "toPort": 443,
        "description": description,
    }
    # Pod flows open from the workload's own group, never from the runner's nor the cluster's.
    scheduler_group = ingress["zerotrust-airflow-scheduler-db-tcp-5432-ingress"]["referencedSecurityGroupId"]
    assert scheduler_group not in ("sg-nodes", "sg-runner", "sg-cluster")
    assert ingress["zerotrust-airflow-scheduler-eks-api-endpoint-tcp-443-ingress"]["referencedSecurityGroupId"] == (
        scheduler_group
    )
    assert all("cidrIpv4" not in rule for rule in ingress.values())


def test_connectivity_checks_aws_source_flows_at_the_aws_layer() -> None:
    report = connectivity(planned())
    assert report.ok, report.to_markdown()
    runner = ("deploy-runner", "eks-api-endpoint", 443, "TCP")
    assert report.aws_layer == {runner} and runner in report.declared and runner in report.computed
    (row,) = [r for r in report.rows if r.source == "deploy-runner"]
    assert (row.layer, row.status) == ("aws", "ok")
    assert "| deploy-runner | eks-api-endpoint | 443 | TCP | yes | yes (security groups) | ok |" in report.to_markdown()
    json_row = next(r for r in report.to_json()["rows"] if r["source"] == "deploy-runner")
    assert json_row["layer"] == "aws" and json_row["allowed"] is True
    assert all("layer" not in r for r in report.to_json()["rows"] if r["source"] != "deploy-runner")


@pytest.mark.parametrize("dropped", [EGRESS_RULE_TYPE, INGRESS_RULE_TYPE])
def test_a_missing_security_group_rule_makes_the_aws_flow_missing(dropped: str) -> None:
    built = planned()
    kept = tuple(r for r in built.resources if not (r.type == dropped and "deploy-runner" in r.name))
    report = connectivity(dataclasses.replace(built, resources=kept))
    assert not report.ok
    assert report.missing == {("deploy-runner", "eks-api-endpoint", 443, "TCP")}


def test_a_cidr_rule_does_not_count_as_the_group_to_group_flow() -> None:
    built = planned()
    widened = tuple(
        dataclasses.replace(r, inputs={**r.inputs, "cidrIpv4": "10.40.0.0/16"})
        if r.type == INGRESS_RULE_TYPE and "deploy-runner" in r.name
        else r
        for r in built.resources
    )
    report = connectivity(dataclasses.replace(built, resources=widened))
    assert report.missing == {("deploy-runner", "eks-api-endpoint", 443, "TCP")}
