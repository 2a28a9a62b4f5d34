"""ec2-security-group-destination-ingress: database, warehouse and endpoint groups admit callers' groups only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from policy_testkit import DELETE, UNKNOWN, messages, mutate, reg, urn, violations

from mlopsctl.engine import Registration
from policies.mlops.ec2 import security_group_destination_ingress as rule_module
from policies.mlops.ec2._types import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE
from policies.mlops.rule import Level

RULE = rule_module.RULE
CLUSTER = "aws:eks/cluster:Cluster"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"

U_CLUSTER = urn(CLUSTER, "cluster")
GROUPS = {name: urn(SECURITY_GROUP, name) for name in ("db-sg", "wh-sg", "ep-sg", "pod-sg", "other-sg", "dns-sg")}
IDS = {"db-sg": "sg-db", "wh-sg": "sg-wh", "ep-sg": "sg-ep", "pod-sg": "sg-pod", "other-sg": "sg-other"}
CLUSTER_SG = "sg-cluster"

DB_RULE = {
    "securityGroupId": "sg-db",
    "referencedSecurityGroupId": "sg-pod",
    "ipProtocol": "tcp",
    "fromPort": 5432,
    "toPort": 5432,
}
DB_DEPS = {"securityGroupId": [GROUPS["db-sg"]], "referencedSecurityGroupId": [GROUPS["pod-sg"]]}


def stack(
    *extra: Registration, db_rule: Mapping[str, Any] = DB_RULE, db_deps: Mapping[str, Sequence[str]] = DB_DEPS
) -> list[Registration]:
    """A compliant stack: a database, a warehouse, interface endpoints and a gateway endpoint, each admitting
    declared callers by group; the nodes (cluster group) reach the endpoints on 443."""
    resources = [reg(SECURITY_GROUP, name, {"vpcId": "vpc-1"}) for name in GROUPS]
    resources += [
        reg(CLUSTER, "cluster", {"vpcConfig": {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-extra"]}}),
        reg("aws:rds/instance:Instance", "db", {"vpcSecurityGroupIds": ["sg-db"]}, deps={"vpcSecurityGroupIds": [GROUPS["db-sg"]]}),
        reg("aws:redshiftserverless/workgroup:Workgroup", "wh", {"securityGroupIds": ["sg-wh"]}, deps={"securityGroupIds": [GROUPS["wh-sg"]]}),
        reg("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr", {"vpcEndpointType": "Interface", "securityGroupIds": ["sg-ep"]}, deps={"securityGroupIds": [GROUPS["ep-sg"]]}),
        reg("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
        reg(INGRESS_RULE, "db-from-pod", db_rule, deps=db_deps),
        reg(INGRESS_RULE, "wh-from-pod", {**DB_RULE, "securityGroupId": "sg-wh", "fromPort": 5439, "toPort": 5439},
            deps={"securityGroupId": [GROUPS["wh-sg"]], "referencedSecurityGroupId": [GROUPS["pod-sg"]]}),
        reg(INGRESS_RULE, "ep-from-nodes", {"securityGroupId": "sg-ep", "referencedSecurityGroupId": CLUSTER_SG, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
            deps={"securityGroupId": [GROUPS["ep-sg"]], "referencedSecurityGroupId": [U_CLUSTER]}),
        # Pod DNS to CoreDNS: computed from the cluster alone, it tells the rule the cluster group's id.
        reg(EGRESS_RULE, "dns-to-coredns", {"securityGroupId": "sg-dns", "referencedSecurityGroupId": CLUSTER_SG, "ipProtocol": "udp", "fromPort": 53, "toPort": 53},
            deps={"securityGroupId": [GROUPS["dns-sg"]], "referencedSecurityGroupId": [U_CLUSTER]}),
        # Unguarded groups may admit address ranges (this rule is not about them).
        reg(INGRESS_RULE, "other-from-vpc", {"securityGroupId": "sg-other", "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080},
            deps={"securityGroupId": [GROUPS["other-sg"]]}),
    ]  # fmt: skip
    return [*resources, *extra]


def db_messages(rule: Mapping[str, Any], deps: Mapping[str, Sequence[str]] = DB_DEPS) -> list[str]:
    return messages(RULE, *stack(db_rule=rule, db_deps=deps))


DB = "security group db-sg (guards RDS instance db): ingress rule db-from-pod (tcp/5432) admits"


def test_the_compliant_stack_passes() -> None:
    assert messages(RULE, *stack()) == []


def test_metadata() -> None:
    assert RULE.name == "ec2-security-group-destination-ingress"
    assert RULE.meta.level == Level.MANDATORY and RULE.meta.kind == "stack"


@pytest.mark.parametrize(
    ("field", "value", "source"),
    [
        ("cidrIpv4", "10.0.0.0/16", "CIDR 10.0.0.0/16"),
        ("cidrIpv6", "2600:1f18::/56", "CIDR 2600:1f18::/56"),
        ("prefixListId", "pl-123", "prefix list pl-123"),
    ],
)
def test_an_address_range_source_on_a_database_group_is_a_violation(field: str, value: str, source: str) -> None:
    rule = mutate(mutate(DB_RULE, "referencedSecurityGroupId", DELETE), field, value)
    deps = {"securityGroupId": DB_DEPS["securityGroupId"]}
    assert db_messages(rule, deps) == [f"{DB} {source}"]


def test_the_cluster_group_on_a_database_is_a_violation_and_names_the_rule() -> None:
    rule = mutate(DB_RULE, "referencedSecurityGroupId", CLUSTER_SG)
    deps = {**DB_DEPS, "referencedSecurityGroupId": [U_CLUSTER]}
    found = violations(RULE, *stack(db_rule=rule, db_deps=deps))
    assert [v.message for v in found] == [f"{DB} the EKS cluster security group of cluster"]
    assert found[0].urn == urn(INGRESS_RULE, "db-from-pod") and found[0].level == "mandatory"


def test_the_cluster_group_is_recognised_by_its_id_without_dependencies() -> None:
    rule = mutate(DB_RULE, "referencedSecurityGroupId", CLUSTER_SG)  # a literal: no dependency on the cluster
    assert db_messages(rule, {"securityGroupId": DB_DEPS["securityGroupId"]}) == [
        f"{DB} the EKS cluster security group of cluster"
    ]


def test_a_cluster_dependency_with_unknown_ids_is_a_violation_during_preview() -> None:
    # First preview: neither the database group's nor the cluster group's id is known; dependencies join them.
    rule = mutate(mutate(DB_RULE, "referencedSecurityGroupId", UNKNOWN), "securityGroupId", UNKNOWN)
    deps = {**DB_DEPS, "referencedSecurityGroupId": [U_CLUSTER]}
    assert db_messages(rule, deps) == [f"{DB} the EKS cluster security group of cluster"]


def test_the_guarded_group_is_recognised_by_its_literal_id() -> None:
    rule = mutate(mutate(DB_RULE, "referencedSecurityGroupId", DELETE), "cidrIpv4", "10.0.0.0/8")
    # Without a dependency the rule cannot know the group's resource name: it names the id.
    assert db_messages(rule, {}) == [f"{DB.replace('db-sg', 'sg-db')} CIDR 10.0.0.0/8"]


def test_a_clusters_additional_group_is_not_the_cluster_group() -> None:
    rule = mutate(DB_RULE, "referencedSecurityGroupId", "sg-extra")
    assert db_messages(rule, {**DB_DEPS, "referencedSecurityGroupId": [U_CLUSTER]}) == []


def test_the_warehouse_group_is_guarded() -> None:
    extra = reg(INGRESS_RULE, "wh-open", {"securityGroupId": "sg-wh", "cidrIpv4": "10.1.0.0/16", "ipProtocol": "tcp", "fromPort": 5439, "toPort": 5439},
                deps={"securityGroupId": [GROUPS["wh-sg"]]})  # fmt: skip
    assert messages(RULE, *stack(extra)) == [
        "security group wh-sg (guards Redshift Serverless workgroup wh): ingress rule wh-open (tcp/5439) admits "
        "CIDR 10.1.0.0/16"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ipProtocol": "-1", "fromPort": DELETE, "toPort": DELETE}, "all traffic"),
        ({"fromPort": 0, "toPort": 65535}, "tcp/0-65535"),
        ({"fromPort": 5432, "toPort": 5432}, "tcp/5432"),
    ],
)
def test_the_cluster_group_on_endpoints_is_allowed_on_443_only(change: dict[str, Any], expected: str) -> None:
    inputs: dict[str, Any] = {"securityGroupId": "sg-ep", "referencedSecurityGroupId": CLUSTER_SG, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443}  # fmt: skip
    for key, value in change.items():
        inputs = mutate(inputs, key, value)
    extra = reg(INGRESS_RULE, "ep-wide", inputs, deps={"securityGroupId": [GROUPS["ep-sg"]], "referencedSecurityGroupId": [U_CLUSTER]})  # fmt: skip
    assert messages(RULE, *stack(extra)) == [
        f"security group ep-sg (guards interface VPC endpoint ecr): ingress rule ep-wide ({expected}) admits the EKS "
        "cluster security group of cluster"
    ]


def test_a_cidr_on_interface_endpoints_is_a_violation_even_on_443() -> None:
    extra = reg(INGRESS_RULE, "ep-vpc", {"securityGroupId": "sg-ep", "cidrIpv4": "10.0.0.0/16", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
                deps={"securityGroupId": [GROUPS["ep-sg"]]})  # fmt: skip
    assert messages(RULE, *stack(extra)) == [
        "security group ep-sg (guards interface VPC endpoint ecr): ingress rule ep-vpc (tcp/443) admits CIDR 10.0.0.0/16"
    ]


def test_a_group_shared_by_a_database_and_endpoints_gets_no_endpoint_exception() -> None:
    shared = reg("aws:ec2/vpcEndpoint:VpcEndpoint", "sts", {"vpcEndpointType": "Interface", "securityGroupIds": ["sg-db"]},
                 deps={"securityGroupIds": [GROUPS["db-sg"]]})  # fmt: skip
    nodes = reg(INGRESS_RULE, "db-nodes", {"securityGroupId": "sg-db", "referencedSecurityGroupId": CLUSTER_SG, "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
                deps={"securityGroupId": [GROUPS["db-sg"]], "referencedSecurityGroupId": [U_CLUSTER]})  # fmt: skip
    assert messages(RULE, *stack(shared, nodes)) == [
        "security group db-sg (guards RDS instance db; interface VPC endpoint sts): ingress rule db-nodes (tcp/443) "
        "admits the EKS cluster security group of cluster"
    ]


def test_security_group_rule_resources() -> None:
    cidr = reg(SECURITY_GROUP_RULE, "db-legacy", {"type": "ingress", "securityGroupId": "sg-db", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16", "10.1.0.0/16"]},
               deps={"securityGroupId": [GROUPS["db-sg"]]})  # fmt: skip
    nodes = reg(SECURITY_GROUP_RULE, "db-legacy-nodes", {"type": "ingress", "securityGroupId": "sg-db", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "sourceSecurityGroupId": CLUSTER_SG},
                deps={"securityGroupId": [GROUPS["db-sg"]], "sourceSecurityGroupId": [U_CLUSTER]})  # fmt: skip
    egress = reg(SECURITY_GROUP_RULE, "db-egress", {"type": "egress", "securityGroupId": "sg-db", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
                 deps={"securityGroupId": [GROUPS["db-sg"]]})  # fmt: skip
    head = "security group db-sg (guards RDS instance db): ingress rule"
    assert sorted(messages(RULE, *stack(cidr, nodes, egress))) == [
        f"{head} db-legacy (tcp/5432) admits CIDR 10.0.0.0/16",
        f"{head} db-legacy (tcp/5432) admits CIDR 10.1.0.0/16",
        f"{head} db-legacy-nodes (tcp/5432) admits the EKS cluster security group of cluster",
    ]


def test_inline_ingress_of_a_guarded_group() -> None:
    resources = stack()
    inline = {"vpcId": "vpc-1", "ingress": [
        {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "securityGroups": ["sg-pod"]},
        {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/16"]},
        {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "securityGroups": [CLUSTER_SG]},
    ]}  # fmt: skip
    resources = [reg(SECURITY_GROUP, "db-sg", inline) if r.name == "db-sg" else r for r in resources]
    found = violations(RULE, *resources)
    head = "security group db-sg (guards RDS instance db): ingress rule"
    assert [v.message for v in found] == [
        f"{head} db-sg.ingress[1] (tcp/5432) admits CIDR 10.0.0.0/16",
        f"{head} db-sg.ingress[2] (tcp/5432) admits the EKS cluster security group of cluster",
    ]
    assert {v.urn for v in found} == {GROUPS["db-sg"]}


def test_inline_ingress_of_an_unguarded_group_is_not_checked() -> None:
    inline = {
        "vpcId": "vpc-1",
        "ingress": [{"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["10.0.0.0/8"]}],
    }
    resources = [reg(SECURITY_GROUP, "other-sg", inline) if r.name == "other-sg" else r for r in stack()]
    assert messages(RULE, *resources) == []


def test_gateway_endpoints_and_missing_properties_are_not_applicable() -> None:
    # A rule without a source (missing property) admits nothing; a gateway endpoint has no group to guard.
    assert (
        db_messages(
            mutate(DB_RULE, "referencedSecurityGroupId", DELETE), {"securityGroupId": DB_DEPS["securityGroupId"]}
        )
        == []
    )
    gateway = reg("aws:ec2/vpcEndpoint:VpcEndpoint", "s3-odd", {"vpcEndpointType": "Gateway", "securityGroupIds": ["sg-other"]},
                  deps={"securityGroupIds": [GROUPS["other-sg"]]})  # fmt: skip
    assert messages(RULE, *stack(gateway)) == []


def test_a_stack_without_guarded_resources_has_nothing_to_check() -> None:
    lone = reg(INGRESS_RULE, "open", {"securityGroupId": "sg-x", "cidrIpv4": "10.0.0.0/8", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432})  # fmt: skip
    assert messages(RULE, lone) == []
