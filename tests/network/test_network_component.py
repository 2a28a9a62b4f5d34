"""The Network component under the offline engine: structure, controls, counts per AZ count and NAT mode."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from typing import Any

import pulumi
import pytest

from components.network.component import Network, NetworkArgs
from components.network.config import NetworkConfig
from mlopsctl.engine import Graph, Registration, run_program

SUBNET = "aws:ec2/subnet:Subnet"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
_BUILT: dict[tuple[Any, ...], Network] = {}


@cache
def build(az_count: int = 3, nat: str = "single", public_lb: bool = False) -> Graph:
    config = NetworkConfig(
        az_count=az_count,
        nat=nat,
    )

    def program() -> None:
        network = Network("net", NetworkArgs(config=config, environment="dev", public_entry=public_lb))
        _BUILT[(az_count, nat, public_lb)] = network
        pulumi.export("vpcId", network.vpc_id)
        pulumi.export("private", network.private_subnet_ids)
        pulumi.export("endpointSubnets", network.slot_subnet_ids["endpoints"])
        pulumi.export("public", network.public_subnet_ids)
        pulumi.export("endpointsSg", network.endpoints_security_group_id)
        pulumi.export("azs", network.availability_zones)

    return run_program(program, config={"aws:region": "eu-west-1"})


def subnets(graph: Graph, tier: str) -> list[Registration]:
    return [r for r in graph.by_type(SUBNET) if r.inputs["tags"]["mlops:tier"] == tier]


def counts(graph: Graph) -> Counter[str]:
    return Counter(r.type.split(":")[-1] for r in graph.resources)


@pytest.mark.parametrize(
    ("az_count", "nat", "public_lb", "expected"),
    [
        # (private, destination subnets (endpoints + control plane), public, igw, nat, eip, total registrations)
        # total = 24 + 7 per AZ; public tier + 3 + 2 per AZ; NAT mode + 2 per gateway + 1 route per AZ
        (2, "none", False, (2, 4, 0, 0, 0, 0, 38)),
        (2, "none", True, (2, 4, 2, 1, 0, 0, 45)),
        (2, "single", False, (2, 4, 2, 1, 1, 1, 49)),
        (2, "per-az", False, (2, 4, 2, 1, 2, 2, 51)),
        (3, "none", False, (3, 6, 0, 0, 0, 0, 45)),
        (3, "single", False, (3, 6, 3, 1, 1, 1, 59)),
        (3, "per-az", False, (3, 6, 3, 1, 3, 3, 63)),
    ],
)
def test_tiers_and_nat_per_configuration(az_count: int, nat: str, public_lb: bool, expected: tuple[int, ...]) -> None:
    graph = build(az_count, nat, public_lb)
    c = counts(graph)
    found = (
        len(subnets(graph, "private")),
        len(subnets(graph, "endpoints")) + len(subnets(graph, "control-plane")),
        len(subnets(graph, "public")),
        c["InternetGateway"],
        c["NatGateway"],
        c["Eip"],
        len(graph.resources),
    )
    assert found == expected
    assert graph.outputs["azs"] == [f"eu-west-1{x}" for x in "abc"[:az_count]]
    assert len(graph.outputs["private"]) == az_count and len(graph.outputs["public"]) == expected[2]


def test_subnets_spread_over_azs_with_planned_cidrs_and_lb_tags() -> None:
    graph = build(3, "single")
    network = _BUILT[(3, "single", False)]
    private = sorted(subnets(graph, "private"), key=lambda r: r.name)
    assert [r.inputs["availabilityZone"] for r in private] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert [r.inputs["cidrBlock"] for r in private] == network.private_subnet_cidrs
    assert all(r.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for r in private)
    assert all(r.inputs["tags"]["kubernetes.io/role/elb"] == "1" for r in subnets(graph, "public"))
    assert all("kubernetes.io/role/elb" not in r.inputs["tags"] for r in private + subnets(graph, "endpoints"))
    assert all(r.inputs["mapPublicIpOnLaunch"] is False for r in graph.by_type(SUBNET))
    for slot in ("endpoints", "control-plane"):
        cidrs = [r.inputs["cidrBlock"] for r in sorted(subnets(graph, slot), key=lambda r: r.name)]
        assert cidrs == network.slot_subnet_cidrs[slot]
    # One eighth of each AZ's database-tier /21: /24s no pod address is in.
    assert network.slot_subnet_cidrs["endpoints"] == ["10.40.195.0/24", "10.40.203.0/24", "10.40.211.0/24"]


def test_vpc_has_dns_support_and_hostnames() -> None:
    (vpc,) = build().by_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True


def test_default_security_group_is_emptied() -> None:
    (default_sg,) = build().by_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs["ingress"] == [] and default_sg.inputs["egress"] == []


def test_routes_private_via_nat_database_nowhere() -> None:
    graph = build(3, "per-az")
    routes = graph.by_type("aws:ec2/route:Route")
    nat_routes = [r for r in routes if "natGatewayId" in r.inputs]
    igw_routes = [r for r in routes if "gatewayId" in r.inputs]
    assert len(nat_routes) == 3 and len({r.inputs["natGatewayId"] for r in nat_routes}) == 3
    assert len(igw_routes) == 1 and igw_routes[0].name == "net-public-default"
    database_rt = next(r for r in graph.by_type("aws:ec2/routeTable:RouteTable") if r.name == "net-database-rt")
    assert not [r for r in routes if database_rt.urn in r.dependencies]
    assert not build(2, "none").by_type("aws:ec2/route:Route")  # no NAT, no public tier: no way out
    associations = graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert len(associations) == 12  # every subnet explicitly associated, none on the main table


def test_flow_logs_encrypted_with_retention() -> None:
    graph = build()
    (flow_log,) = graph.by_type("aws:ec2/flowLog:FlowLog")
    (group,) = graph.by_type("aws:cloudwatch/logGroup:LogGroup")
    (key,) = graph.by_type("aws:kms/key:Key")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"].endswith(":log-group:/mlops/dev/vpc-flow-logs")
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert key.inputs["enableKeyRotation"] is True
    policy = json.loads(key.inputs["policy"])
    assert {"Service": "logs.eu-west-1.amazonaws.com"} in [s["Principal"] for s in policy["Statement"]]


def test_endpoints_private_dns_in_their_own_subnets_behind_a_group_without_rules() -> None:
    graph = build()
    (s3,) = [r for r in graph.by_type(ENDPOINT) if r.inputs["vpcEndpointType"] == "Gateway"]
    assert s3.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3" and len(s3.inputs["routeTableIds"]) == 3
    assert "aws:ResourceAccount" in s3.inputs["policy"]
    endpoints = {
        r.inputs["serviceName"].removeprefix("com.amazonaws.eu-west-1."): r
        for r in graph.by_type(ENDPOINT)
        if r.inputs["vpcEndpointType"] == "Interface"
    }
    assert set(endpoints) == {
        *("s3", "ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager", "kms", "monitoring", "sns"),
        *("autoscaling", "ec2", "eks"),
    }
    # S3 over the interface endpoint for every caller in the VPC: pod traffic stays in the VPC CIDR.
    s3_interface = endpoints.pop("s3")
    assert s3_interface.inputs["dnsOptions"] == {"privateDnsOnlyForInboundResolverEndpoint": False}
    assert s3.urn in s3_interface.dependencies
    assert "aws:ResourceAccount" in s3_interface.inputs["policy"]
    endpoint_subnets = set(graph.outputs["endpointSubnets"])
    for endpoint in endpoints.values():
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert set(endpoint.inputs["subnetIds"]) == endpoint_subnets
        assert endpoint.inputs["securityGroupIds"] == [graph.outputs["endpointsSg"]]
        if "policy" not in endpoint.inputs:  # services without endpoint policies get AWS's default
            assert endpoint.inputs["serviceName"].endswith(".eks")
            continue
        assert json.loads(endpoint.inputs["policy"])["Statement"][0]["Condition"] == {
            "StringEquals": {"aws:PrincipalAccount": "123456789012"}
        }
    # No CIDR admits anyone: the zero-trust graph adds 443 from each declared caller's group.
    assert not graph.by_type(INGRESS_RULE)


def test_endpoints_destination_describes_the_endpoints() -> None:
    build()
    network = _BUILT[(3, "single", False)]
    assert network.endpoints.name == "vpc-endpoints"
    assert network.endpoints.cidrs == ("10.40.195.0/24", "10.40.203.0/24", "10.40.211.0/24")
    assert network.vpc_cidr == "10.40.0.0/16"


@pytest.mark.parametrize("args", [(2, "none", False), (2, "none", True), (3, "per-az", False)])
def test_no_security_group_rule_admits_the_internet(args: tuple[int, str, bool]) -> None:
    graph = build(*args)
    for rule in graph.by_type(INGRESS_RULE):
        assert rule.inputs.get("cidrIpv4") not in ("0.0.0.0/0",) and rule.inputs.get("cidrIpv6") != "::/0"
    for group in graph.by_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress")


def test_children_are_parented_and_named_after_the_component() -> None:
    graph = build()
    (component,) = graph.by_type("mlops:network:Network")
    assert all(r.name.startswith("net-") for r in graph.resources if r is not component)
    assert all(r.parent is not None for r in graph.resources if r is not component)
    tags = [r.inputs.get("tags", {}) for r in graph.resources if r.custom]
    assert not any("owner" in t or "environment" in t for t in tags)  # required tags come from the provider
