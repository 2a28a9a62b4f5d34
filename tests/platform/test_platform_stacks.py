"""The whole program per shipped stack: components present, wired safely, compliant, zero trust holding."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from mlopsctl.connectivity import connectivity
from mlopsctl.engine import Graph
from mlopsctl.plan import build_plan, dumps
from mlopsctl.policy import evaluate

GraphOf = Callable[[str], Graph]
STACKS = ("dev", "prod", "phoenix")
COMPONENTS = {
    "mlops:platform:MlopsPlatform",
    "mlops:network:Network",
    "mlops:cluster:ServingCluster",
    "mlops:datalake:DataLake",
    "mlops:tracking:TrackingServer",
    "mlops:orchestrator:Orchestrator",
    "mlops:zerotrust:ZeroTrust",
}


def component_types(graph: Graph) -> set[str]:
    return {r.type for r in graph.resources if not r.custom and r.type.startswith("mlops:")}


def test_dev_and_prod_contain_the_platform(graph_of: GraphOf) -> None:
    assert component_types(graph_of("dev")) >= COMPONENTS
    assert "mlops:warehouse:Warehouse" not in component_types(graph_of("dev"))
    assert COMPONENTS | {"mlops:warehouse:Warehouse"} <= component_types(graph_of("prod"))


@pytest.mark.parametrize("stack", STACKS)
def test_no_mandatory_violation_and_connectivity_equals_declared_flows(stack: str, graph_of: GraphOf) -> None:
    graph = graph_of(stack)
    report = evaluate(graph)
    assert [v for v in report.violations if v.level == "mandatory"] == []
    matrix = connectivity(graph)
    assert matrix.ok and not matrix.missing and not matrix.unexpected
    assert len(matrix.declared) >= 25


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_resource_uses_the_cluster_provider(stack: str, graph_of: GraphOf) -> None:
    graph = graph_of(stack)
    (provider,) = graph.by_type("pulumi:providers:kubernetes")
    k8s = [r for r in graph.resources if r.custom and r.type.startswith("kubernetes:")]
    assert len(k8s) > 30
    assert {r.provider.rsplit("::", 1)[0] if r.provider else None for r in k8s} == {provider.urn}


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_uses_the_platform_provider(stack: str, graph_of: GraphOf) -> None:
    # The default provider has no region from the stack and no default tags: nothing may fall back to it.
    graph = graph_of(stack)
    (provider,) = graph.by_type("pulumi:providers:aws")
    aws_resources = [r for r in graph.resources if r.custom and r.type.startswith("aws:")]
    strays = sorted(r.name for r in aws_resources if (r.provider or "").rsplit("::", 1)[0] != provider.urn)
    assert aws_resources and strays == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_workload_namespace_is_default_deny_both_ways(stack: str, graph_of: GraphOf) -> None:
    graph = graph_of(stack)
    policies = [r.inputs for r in graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    deny_all = {
        p["metadata"]["namespace"]
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    }
    namespaces = {r.inputs["metadata"]["name"] for r in graph.by_type("kubernetes:core/v1:Namespace")}
    assert namespaces and namespaces <= deny_all


@pytest.mark.parametrize("stack", STACKS)
def test_no_security_group_rule_opens_to_the_internet(stack: str, graph_of: GraphOf) -> None:
    graph = graph_of(stack)
    open_cidrs = {"0.0.0.0/0", "::/0"}
    inline = [
        rule
        for group in graph.by_type("aws:ec2/securityGroup:SecurityGroup")
        for rule in group.inputs.get("ingress", [])
    ]
    assert all(not open_cidrs & set(rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", [])) for rule in inline)
    rules = [r.inputs for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    assert rules and all(not open_cidrs & {r.get("cidrIpv4"), r.get("cidrIpv6")} for r in rules)
    # Flows to AWS destinations are opened from the cluster's workload security group only.
    assert any(r.get("referencedSecurityGroupId", "").startswith("sg-") for r in rules)


@pytest.mark.parametrize("stack", STACKS)
def test_no_password_in_any_input(stack: str, graph_of: GraphOf) -> None:
    plan = dumps(build_plan(graph_of(stack)))
    assert not re.search(r'"(masterPassword|password|adminUserPassword)": "(?!\[secret\])', plan)
    assert '"manageMasterUserPassword": true' in plan


def test_phoenix_resources_carry_expiry_tags(graph_of: GraphOf) -> None:
    graph = graph_of("phoenix")
    (provider,) = graph.by_type("pulumi:providers:aws")
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags["mlops:phoenix"] == "true" and tags["mlops:environment"] == "phoenix"
    assert tags["mlops:expires-at"] == "2026-11-23T12:00:00Z"
    templates = graph.by_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert templates
    for template in templates:
        for spec in template.inputs["tagSpecifications"]:
            assert spec["tags"]["mlops:expires-at"] == "2026-11-23T12:00:00Z"


def test_prod_is_protected_and_highly_available_where_dev_is_not(graph_of: GraphOf) -> None:
    prod, dev = graph_of("prod"), graph_of("dev")
    assert sum(r.protect for r in prod.resources) > sum(r.protect for r in dev.resources) == 0
    multi_az = {r.name: r.inputs["multiAz"] for r in prod.by_type("aws:rds/instance:Instance")}
    assert multi_az and all(multi_az.values())
    assert all(not r.inputs.get("multiAz") for r in dev.by_type("aws:rds/instance:Instance"))


def test_database_tls_mode_is_exported(graph_of: GraphOf) -> None:
    # No RDS CA bundle is committed for eu-west-1 yet: TLS is required but not verified.
    assert graph_of("dev").outputs["databaseTls"] == {"airflow": "require", "mlflow": "require"}
