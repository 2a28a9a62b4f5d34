"""ec2-route-table-database-tier-isolated: the database tier's subnets have no route out of the VPC.

The network puts each destination (each database, the warehouse, the interface endpoints, the EKS control-plane
ENIs) in its own small subnet of the database tier, tagged ``mlops:tier`` with the destination's slot, on a route
table with the local route only (``components/network``). A default route (``0.0.0.0/0`` or ``::/0``) or any
route through an internet, NAT or egress-only gateway on a table associated with such a subnet gives the
databases a path to the internet the zero-trust flows never declared.

Subnets whose ``mlops:tier`` is a routed tier may route out: ``public``, ``private``, ``runner``, and the
``ingress`` slot, whose load balancers call the identity provider's token and user-info endpoints themselves when
people sign in (ALB ``authenticate-oidc``/``authenticate-cognito``,
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html), so the
network routes it through its AZ's NAT. Every other ``mlops:tier`` value is a database-tier slot. Joins (routes
and associations carry only ids): by property dependency (``routeTableId=table.id``, which also works in a first
preview) or by literal id, learned from the route table associations computed from the same table. Inline
``routes`` of ``aws.ec2.RouteTable`` are checked too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.ec2._types import SUBNET
from policies.mlops.props import as_list, as_map, get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule

ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
TIER_TAG = "mlops:tier"
ROUTED_TIERS = frozenset({"public", "private", "runner", "ingress"})
"""Tiers that route out of the VPC by design (``ingress``: load balancers authenticating people against an IdP);
every other ``mlops:tier`` is a database-tier slot."""
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")
GATEWAY_TARGETS = {
    "gatewayId": ("igw-", "internet gateway"),
    "natGatewayId": ("nat-", "NAT gateway"),
    "egressOnlyGatewayId": ("eigw-", "egress-only internet gateway"),
}
"""Route target input -> (id prefix of a gateway to the internet, what it is)."""


class _Index:
    """Which route tables and subnets the stack's ids name (built once per evaluation)."""

    def __init__(self, stack: StackInput) -> None:
        self.urns = {kind: {r.urn for r in stack.of_type(kind)} for kind in (SUBNET, ROUTE_TABLE)}
        # Literal id -> URNs of the subnet/table the associations computed it from. Only associations teach ids:
        # they are what ties a table to its subnets, and a hand-edited route whose dependency and literal id
        # disagree must not make another table look like the one it names.
        self.learned: dict[tuple[str, str], dict[str, set[str]]] = {}
        for prop, kind in (("subnetId", SUBNET), ("routeTableId", ROUTE_TABLE)):
            table = self.learned.setdefault((prop, kind), {})
            for resource in stack.of_type(ASSOCIATION):
                deps = [u for u in resource.property_dependencies.get(prop, ()) if u in self.urns[kind]]
                value = known(resource.props, prop)
                if len(deps) == 1 and isinstance(value, str) and value:
                    table.setdefault(value, set()).add(deps[0])

    def targets(self, resource: StackResource, prop: str, kind: str) -> set[str]:
        """URNs of the ``kind`` resources ``resource.prop`` names: by dependency and by learned literal id."""
        urns = {u for u in resource.property_dependencies.get(prop, ()) if u in self.urns[kind]}
        value = known(resource.props, prop)
        if isinstance(value, str):
            urns |= self.learned[(prop, kind)].get(value, set())
        return urns


def _isolated_tables(stack: StackInput, index: _Index) -> dict[str, set[str]]:
    """Route table URN -> names of the database-tier subnets associated with it."""
    tiers = {}
    for subnet in stack.of_type(SUBNET):
        tier = get(known(subnet.props, "tags"), TIER_TAG)
        if isinstance(tier, str) and tier not in ROUTED_TIERS:
            tiers[subnet.urn] = f"{subnet.name} ({TIER_TAG}={tier})"
    tables: dict[str, set[str]] = {}
    for association in stack.of_type(ASSOCIATION):
        with stack.item():
            subnet_urns = index.targets(association, "subnetId", SUBNET) & tiers.keys()
            for table_urn in index.targets(association, "routeTableId", ROUTE_TABLE):
                for subnet_urn in subnet_urns:
                    tables.setdefault(table_urn, set()).add(tiers[subnet_urn])
    return tables


def _way_out(route: Mapping[str, Any]) -> str | None:
    """Why ``route`` leaves the VPC, or None."""
    for key, (prefix, what) in GATEWAY_TARGETS.items():
        target = route.get(key)
        if isinstance(target, str) and target.startswith(prefix):
            return f"goes through {what} {target}"
    for key in ("destinationCidrBlock", "destinationIpv6CidrBlock", "cidrBlock", "ipv6CidrBlock"):
        if route.get(key) in DEFAULT_ROUTES:
            return f"is a default route ({route.get(key)})"
    return None


def _describe(subnets: set[str]) -> str:
    shown = sorted(subnets)
    return ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")


def _check(stack: StackInput, report: StackReport) -> None:
    index = _Index(stack)
    tables = _isolated_tables(stack, index)
    if not tables:
        return
    names = {r.urn: r.name for r in stack.of_type(ROUTE_TABLE)}
    for route in stack.of_type(ROUTE):
        with stack.item():
            why = _way_out(route.props)
            if why is None:
                continue
            for table_urn in sorted(index.targets(route, "routeTableId", ROUTE_TABLE) & tables.keys()):
                report(
                    f"route {route.name} on {names.get(table_urn, table_urn)} {why}; the table serves database-tier "
                    f"subnets {_describe(tables[table_urn])}",
                    route.urn,
                )
    for table in stack.of_type(ROUTE_TABLE):
        with stack.item():
            if table.urn not in tables:
                continue
            for position, entry in enumerate(as_list(known(table.props, "routes"))):
                why = _way_out(as_map(entry))
                if why:
                    report(
                        f"{table.name}.routes[{position}] {why}; the table serves database-tier subnets "
                        f"{_describe(tables[table.urn])}",
                        table.urn,
                    )


RULE = stack_rule(
    name="ec2-route-table-database-tier-isolated",
    description=(
        "Route tables of database-tier subnets (each destination's own subnets) have no default route and no route "
        "through an internet, NAT or egress-only gateway."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the route: database-tier subnets keep the local route only (components/network). A destination "
        "that needs an AWS API reaches it through the interface endpoints."
    ),
    resource_types=(SUBNET, ROUTE_TABLE, ROUTE, ASSOCIATION),
    check=_check,
)
