"""EC2 and VPC kinds: instances, launch templates, NAT gateways, Elastic IPs, ENIs, security groups,
subnets, route tables, internet gateways, VPC endpoints and VPCs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import PHOENIX_TAG_KEYS, Found, Handler, check_batch_errors, wait_quietly

_PAGE_SIZE = 100
_GONE_STATES = frozenset({"deleted", "deleting", "terminated", "shutting-down", "failed", "rejected"})


def _ec2(scope: AwsScope) -> Any:
    return scope.client("ec2")


def _tagged(scope: AwsScope, operation: str, key: str, ident: str) -> Iterator[dict[str, Any]]:
    """Items of a describe call that carry either phoenix tag key, each once."""
    ec2 = _ec2(scope)
    seen: set[str] = set()
    for tag_key in PHOENIX_TAG_KEYS:
        tag_filter = [{"Name": "tag-key", "Values": [tag_key]}]
        if ec2.can_paginate(operation):
            # 100 fits every describe call's MaxResults range (route tables allow at most 100) and
            # means fewer calls; moto also truncates some listings at its default page size.
            items: Iterator[dict[str, Any]] = pages(
                ec2, operation, key, Filters=tag_filter, PaginationConfig={"PageSize": _PAGE_SIZE}
            )
        else:
            items = iter(getattr(ec2, operation)(Filters=tag_filter).get(key) or [])
        for item in items:
            if item[ident] not in seen:
                seen.add(item[ident])
                yield item


def _found(kind: str, scope: AwsScope, ident: str, item: dict[str, Any], **kwargs: Any) -> Found:
    tags = tag_dict(item.get("Tags"))
    return Found(kind=kind, id=ident, region=scope.region, tags=tags, name=tags.get("Name", ident), **kwargs)


# --- instances ---------------------------------------------------------------------------------------


def collect_instances(scope: AwsScope) -> Iterator[Found]:
    seen: set[str] = set()
    for reservation in _tagged(scope, "describe_instances", "Reservations", "ReservationId"):
        for instance in reservation.get("Instances", []):
            if instance["InstanceId"] in seen or instance.get("State", {}).get("Name") in _GONE_STATES:
                continue
            seen.add(instance["InstanceId"])
            yield _found("ec2:instance", scope, instance["InstanceId"], instance)


def delete_instance(scope: AwsScope, found: Found) -> None:
    _ec2(scope).terminate_instances(InstanceIds=[found.id])


def settle_instances(scope: AwsScope, done: Sequence[Found]) -> None:
    wait_quietly(scope, "ec2", "instance_terminated", InstanceIds=[f.id for f in done])


# --- launch templates -------------------------------------------------------------------------------


def collect_launch_templates(scope: AwsScope) -> Iterator[Found]:
    for template in _tagged(scope, "describe_launch_templates", "LaunchTemplates", "LaunchTemplateId"):
        yield Found(
            kind="ec2:launch-template",
            id=template["LaunchTemplateId"],
            region=scope.region,
            tags=tag_dict(template.get("Tags")),
            name=template.get("LaunchTemplateName", template["LaunchTemplateId"]),
        )


def delete_launch_template(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_launch_template(LaunchTemplateId=found.id)


# --- NAT gateways -----------------------------------------------------------------------------------


def collect_nat_gateways(scope: AwsScope) -> Iterator[Found]:
    for nat in _tagged(scope, "describe_nat_gateways", "NatGateways", "NatGatewayId"):
        if nat.get("State") not in _GONE_STATES:
            yield _found("ec2:nat-gateway", scope, nat["NatGatewayId"], nat)


def delete_nat_gateway(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_nat_gateway(NatGatewayId=found.id)


def settle_nat_gateways(scope: AwsScope, done: Sequence[Found]) -> None:
    # The gateway's Elastic IP and ENI stay in use until the gateway reaches "deleted" (about a minute).
    wait_quietly(scope, "ec2", "nat_gateway_deleted", NatGatewayIds=[f.id for f in done])


# --- VPC endpoints ----------------------------------------------------------------------------------


def collect_vpc_endpoints(scope: AwsScope) -> Iterator[Found]:
    for endpoint in _tagged(scope, "describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId"):
        if str(endpoint.get("State", "")).lower() not in _GONE_STATES:
            yield _found("ec2:vpc-endpoint", scope, endpoint["VpcEndpointId"], endpoint)


def delete_vpc_endpoint(scope: AwsScope, found: Found) -> None:
    # A batch API: failures come back in the response, not as an exception.
    response = _ec2(scope).delete_vpc_endpoints(VpcEndpointIds=[found.id])
    check_batch_errors("DeleteVpcEndpoints", response.get("Unsuccessful") or [])


# --- network interfaces -----------------------------------------------------------------------------


def collect_network_interfaces(scope: AwsScope) -> Iterator[Found]:
    seen: set[str] = set()
    for eni in _tagged(scope, "describe_network_interfaces", "NetworkInterfaces", "NetworkInterfaceId"):
        seen.add(eni["NetworkInterfaceId"])
        tags = tag_dict(eni.get("TagSet"))
        yield Found(
            kind="ec2:network-interface",
            id=eni["NetworkInterfaceId"],
            region=scope.region,
            tags=tags,
            name=tags.get("Name") or str(eni["NetworkInterfaceId"]),
        )
    yield from _branch_interfaces(scope, seen)


def _branch_interfaces(scope: AwsScope, seen: set[str]) -> Iterator[Found]:
    """Detached interfaces in a stack's security groups that nobody tagged: the branch ENIs the VPC resource
    controller gives pods with their own security group (security groups for pods). When a cluster goes away
    before its pods, the controller cannot delete them, and they would keep the groups and the VPC alive. They
    carry the tags of their group, so they expire with it."""
    groups = {
        g["GroupId"]: tag_dict(g.get("Tags"))
        for g in _tagged(scope, "describe_security_groups", "SecurityGroups", "GroupId")
    }
    ids = sorted(groups)
    for start in range(0, len(ids), 200):  # the filter takes at most 200 values
        filters = [
            {"Name": "group-id", "Values": ids[start : start + 200]},
            {"Name": "status", "Values": ["available"]},
        ]
        for eni in pages(_ec2(scope), "describe_network_interfaces", "NetworkInterfaces", Filters=filters):
            ident = str(eni["NetworkInterfaceId"])
            if ident in seen:
                continue
            seen.add(ident)
            owner = next(g["GroupId"] for g in eni.get("Groups", []) if g["GroupId"] in groups)
            yield Found(kind="ec2:network-interface", id=ident, region=scope.region, tags=groups[owner], name=ident)


def delete_network_interface(scope: AwsScope, found: Found) -> None:
    # An ENI still attached to a terminating instance fails with InvalidNetworkInterface.InUse: retried.
    _ec2(scope).delete_network_interface(NetworkInterfaceId=found.id)


# --- Elastic IPs ------------------------------------------------------------------------------------


def collect_elastic_ips(scope: AwsScope) -> Iterator[Found]:
    for address in _tagged(scope, "describe_addresses", "Addresses", "PublicIp"):
        if "AllocationId" in address:
            yield _found(
                "ec2:elastic-ip",
                scope,
                address["AllocationId"],
                address,
                context={"association": address.get("AssociationId")},
            )


def delete_elastic_ip(scope: AwsScope, found: Found) -> None:
    association = found.context.get("association")
    if association:
        ignore_missing(_ec2(scope).disassociate_address, AssociationId=association)
    _ec2(scope).release_address(AllocationId=found.id)


# --- security groups --------------------------------------------------------------------------------


def collect_security_groups(scope: AwsScope) -> Iterator[Found]:
    for group in _tagged(scope, "describe_security_groups", "SecurityGroups", "GroupId"):
        tags = tag_dict(group.get("Tags"))
        yield Found(
            kind="ec2:security-group",
            id=group["GroupId"],
            region=scope.region,
            tags=tags,
            name=group.get("GroupName", group["GroupId"]),
            # A VPC's default group cannot be deleted; it goes with its VPC.
            protected="default security group (removed with its VPC)" if group.get("GroupName") == "default" else None,
        )


def revoke_security_group_rules(scope: AwsScope, found: Found) -> None:
    """Empty a group before any group is deleted, so groups whose rules reference each other can go."""
    ec2 = _ec2(scope)
    groups = ec2.describe_security_groups(GroupIds=[found.id]).get("SecurityGroups", [])
    for group in groups:
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=found.id, IpPermissions=group["IpPermissions"])
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(GroupId=found.id, IpPermissions=group["IpPermissionsEgress"])


def delete_security_group(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_security_group(GroupId=found.id)


# --- internet gateways ------------------------------------------------------------------------------


def collect_internet_gateways(scope: AwsScope) -> Iterator[Found]:
    for igw in _tagged(scope, "describe_internet_gateways", "InternetGateways", "InternetGatewayId"):
        vpcs = tuple(a["VpcId"] for a in igw.get("Attachments", []) if "VpcId" in a)
        yield _found("ec2:internet-gateway", scope, igw["InternetGatewayId"], igw, context={"vpcs": vpcs})


def delete_internet_gateway(scope: AwsScope, found: Found) -> None:
    ec2 = _ec2(scope)
    for vpc in found.context.get("vpcs", ()):
        # Fails with DependencyViolation while the VPC still has public addresses mapped: retried.
        ignore_missing(ec2.detach_internet_gateway, InternetGatewayId=found.id, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=found.id)


# --- route tables -----------------------------------------------------------------------------------


def collect_route_tables(scope: AwsScope) -> Iterator[Found]:
    for table in _tagged(scope, "describe_route_tables", "RouteTables", "RouteTableId"):
        associations = table.get("Associations", [])
        main = any(a.get("Main") for a in associations)
        yield _found(
            "ec2:route-table",
            scope,
            table["RouteTableId"],
            table,
            context={"associations": tuple(a["RouteTableAssociationId"] for a in associations if not a.get("Main"))},
            protected="main route table (removed with its VPC)" if main else None,
        )


def delete_route_table(scope: AwsScope, found: Found) -> None:
    ec2 = _ec2(scope)
    for association in found.context.get("associations", ()):
        ignore_missing(ec2.disassociate_route_table, AssociationId=association)
    ec2.delete_route_table(RouteTableId=found.id)


# --- subnets and VPCs -------------------------------------------------------------------------------


def collect_subnets(scope: AwsScope) -> Iterator[Found]:
    for subnet in _tagged(scope, "describe_subnets", "Subnets", "SubnetId"):
        yield _found("ec2:subnet", scope, subnet["SubnetId"], subnet)


def delete_subnet(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_subnet(SubnetId=found.id)


def collect_vpcs(scope: AwsScope) -> Iterator[Found]:
    for vpc in _tagged(scope, "describe_vpcs", "Vpcs", "VpcId"):
        yield _found(
            "ec2:vpc",
            scope,
            vpc["VpcId"],
            vpc,
            protected="default VPC of the region" if vpc.get("IsDefault") else None,
        )


def delete_vpc(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_vpc(VpcId=found.id)


INSTANCES = Handler("ec2:instance", collect_instances, delete_instance, settle=settle_instances, done_note="terminated")
LAUNCH_TEMPLATES = Handler("ec2:launch-template", collect_launch_templates, delete_launch_template)
NAT_GATEWAYS = Handler("ec2:nat-gateway", collect_nat_gateways, delete_nat_gateway, settle=settle_nat_gateways)
VPC_ENDPOINTS = Handler("ec2:vpc-endpoint", collect_vpc_endpoints, delete_vpc_endpoint)
NETWORK_INTERFACES = Handler("ec2:network-interface", collect_network_interfaces, delete_network_interface)
ELASTIC_IPS = Handler("ec2:elastic-ip", collect_elastic_ips, delete_elastic_ip, done_note="released")
SECURITY_GROUPS = Handler(
    "ec2:security-group", collect_security_groups, delete_security_group, prepare=revoke_security_group_rules
)
INTERNET_GATEWAYS = Handler("ec2:internet-gateway", collect_internet_gateways, delete_internet_gateway)
ROUTE_TABLES = Handler("ec2:route-table", collect_route_tables, delete_route_table)
SUBNETS = Handler("ec2:subnet", collect_subnets, delete_subnet)
VPCS = Handler("ec2:vpc", collect_vpcs, delete_vpc)
