"""Pricers of network resources: NAT gateways, public IPv4 addresses, VPC endpoints, load balancers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlopsctl.cost.charges import Charge, PlanContext
from mlopsctl.cost.charges import inputs_of as _inputs


def nat_gateway(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    gateways = max(1, ctx.count("aws:ec2/natGateway:NatGateway"))
    share = ctx.usage.network.natDataProcessedGb / gateways
    return [
        Charge("NAT gateway", ctx.hours, "gateway-hours", "nat.hour"),
        Charge(
            "NAT gateway data processed", share, "GB", "nat.gbProcessed", f"{gateways} gateway(s) share the assumed GB"
        ),
    ]


def eip(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    return [Charge("Public IPv4 address (Elastic IP)", ctx.hours, "address-hours", "vpc.publicIpv4Hour")]


def _interface(r: Mapping[str, Any]) -> bool:
    return str(_inputs(r).get("vpcEndpointType", "Gateway")) == "Interface"


def vpc_endpoint(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    if not _interface(r):
        return []  # gateway endpoints (S3, DynamoDB) are free
    azs = max(1, len(_inputs(r).get("subnetIds") or ()))
    service = ".".join(str(_inputs(r).get("serviceName", "")).split(".")[3:]) or "?"
    endpoints = max(1, ctx.count("aws:ec2/vpcEndpoint:VpcEndpoint", _interface))
    share = ctx.usage.network.interfaceEndpointDataProcessedGb / endpoints
    return [
        Charge(f"Interface endpoint {service} ({azs} AZ)", azs * ctx.hours, "endpoint-AZ-hours", "vpce.interfaceHour"),
        Charge("Interface endpoint data processed", share, "GB", "vpce.gbProcessed"),
    ]


def load_balancer(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    kind = str(_inputs(r).get("loadBalancerType", "application"))
    lcu = ctx.usage.loadBalancers.lcuPerHour * ctx.hours
    return [
        Charge(f"{kind.capitalize()} load balancer", ctx.hours, "LB-hours", f"elb.{kind}.hour"),
        Charge("Load balancer capacity units", lcu, "LCU-hours", f"elb.{kind}.lcuHour"),
    ]


def k8s_service(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    spec = _inputs(r).get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return []
    note = "created in the cluster by the load balancer controller, not by Pulumi"
    return [
        Charge(
            "Network load balancer for a Service of type LoadBalancer", ctx.hours, "LB-hours", "elb.network.hour", note
        )
    ]
