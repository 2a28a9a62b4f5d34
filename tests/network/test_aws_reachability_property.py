"""Property tests of the AWS layer evaluator (mlopsctl.aws_reachability) on random security-group graphs.

Generated stacks: workloads with a unique ``app`` label in a few namespaces, some with a group of their own put on
their pods by a SecurityGroupPolicy (the others keep the cluster group), AWS destinations and AWS sources with one
group each, and random rules (group or CIDR peers, TCP/UDP/all protocols, single ports or ranges). Examples are
bounded to keep the suite fast.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.flows import Workload
from mlopsctl.aws_reachability import (
    ALL_PROTOCOLS,
    AwsLayer,
    GroupRow,
    SecurityGroupRule,
    eks_cluster_default_rules,
    evaluate,
)
from mlopsctl.reachability import ANY_PORT, PROTOCOLS

NAMESPACES = ("ns-a", "ns-b")
CLUSTER = "sg-cluster"
PODS = ("10.40.0.0/18", "10.40.64.0/18")
CIDRS = ("0.0.0.0/0", "10.40.0.0/16", "10.40.0.0/18", "10.40.192.0/24", "10.40.193.0/24", "140.82.112.0/20")
PORTS = st.sampled_from([53, 443, 5000, 5432])
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Stack:
    workloads: list[Workload]
    own: dict[str, str]
    """Workload name -> its own group (a SecurityGroupPolicy puts it on its pods)."""
    rows: list[GroupRow]
    flow_rows: list[dict[str, Any]]
    policies: list[dict[str, Any]]

    def groups(self) -> list[str]:
        return sorted({CLUSTER, *self.own.values(), *(r.security_group_id for r in self.rows)})

    def evaluate(self, rules: list[SecurityGroupRule]) -> AwsLayer:
        return evaluate(rules, self.policies, self.workloads, self.rows, self.flow_rows, pod_cidrs=PODS)


@st.composite
def stacks(draw: st.DrawFn) -> Stack:
    workloads = [
        Workload.of(f"w{i}", draw(st.sampled_from(NAMESPACES)), {"app": f"w{i}"})
        for i in range(draw(st.integers(1, 4)))
    ]
    own = {w.name: f"sg-{w.name}" for w in workloads if draw(st.booleans())}
    policies = [
        {
            "metadata": {"name": f"sgp-{w.name}", "namespace": w.namespace},
            "spec": {"podSelector": {"matchLabels": w.selector}, "securityGroups": {"groupIds": [own[w.name]]}},
        }
        for w in workloads
        if w.name in own
    ]
    destinations = draw(st.integers(1, 3))
    sources = draw(st.integers(0, 2))
    rows = [GroupRow("cluster", "cluster", CLUSTER)]
    rows += [GroupRow(f"aws{i}", "aws", f"sg-aws{i}") for i in range(destinations)]
    rows += [GroupRow(f"src{i}", "awsSource", f"sg-src{i}") for i in range(sources)]
    # Each AWS destination lives in its own /24 of the database tier.
    flow_rows = [
        {"source": workloads[0].name, "destination": f"aws{i}", "port": 443, "protocol": "TCP",
         "destinationKind": "aws", "destinationCidrs": [f"10.40.{192 + i}.0/24"]}
        for i in range(destinations)
    ]  # fmt: skip
    return Stack(workloads, own, rows, flow_rows, policies)


@st.composite
def rule_for(draw: st.DrawFn, stack: Stack) -> SecurityGroupRule:
    groups = stack.groups()
    protocol = draw(st.sampled_from(["TCP", "UDP", ALL_PROTOCOLS]))
    low = draw(PORTS)
    high = low + draw(st.sampled_from([0, 0, 1, 100]))
    if protocol == ALL_PROTOCOLS or draw(st.integers(0, 9)) == 0:
        low, high = 1, 65535
    peer = draw(
        st.one_of(st.sampled_from(groups).map(lambda g: ("g", g)), st.sampled_from(CIDRS).map(lambda c: ("c", c)))
    )
    return SecurityGroupRule(
        group_id=draw(st.sampled_from(groups)),
        direction=draw(st.sampled_from(["ingress", "egress"])),
        protocol=protocol,
        from_port=low,
        to_port=high,
        peer_group=peer[1] if peer[0] == "g" else None,
        peer_cidr=peer[1] if peer[0] == "c" else None,
    )


@st.composite
def stacks_with_rules(draw: st.DrawFn, max_rules: int = 10) -> tuple[Stack, list[SecurityGroupRule]]:
    stack = draw(stacks())
    return stack, draw(st.lists(rule_for(stack), max_size=max_rules))


# --- invariants -------------------------------------------------------------------------------------------------


@SETTINGS
@given(stacks_with_rules(), st.data())
def test_adding_a_rule_never_removes_a_connection(
    case: tuple[Stack, list[SecurityGroupRule]], data: st.DataObject
) -> None:
    stack, rules = case
    extra = data.draw(rule_for(stack))
    before = stack.evaluate(rules).connections
    after = stack.evaluate([*rules, extra]).connections
    # A port merged into a whole range is reported as ANY_PORT: still allowed.
    assert all(c in after or (c[0], c[1], ANY_PORT, c[3]) in after for c in before)


@SETTINGS
@given(stacks_with_rules(), st.randoms(use_true_random=False))
def test_rule_order_does_not_matter(case: tuple[Stack, list[SecurityGroupRule]], rng: random.Random) -> None:
    stack, rules = case
    shuffled = list(rules)
    rng.shuffle(shuffled)
    assert stack.evaluate(rules).connections == stack.evaluate(shuffled).connections


def _admits(rule: SecurityGroupRule, peer_groups: frozenset[str], peer_cidrs: tuple[str, ...] | None) -> bool:
    """An independent restatement of the model: a group peer names a carrier, a CIDR peer overlaps an address."""
    if rule.peer_group is not None:
        return rule.peer_group in peer_groups
    assert rule.peer_cidr is not None
    if peer_cidrs is None:
        return True
    block = ipaddress.ip_network(rule.peer_cidr)
    return any(block.overlaps(ipaddress.ip_network(c)) for c in peer_cidrs)


def _covers(rule: SecurityGroupRule, port: int, protocol: str) -> bool:
    return rule.protocol in (protocol, ALL_PROTOCOLS) and rule.from_port <= port <= rule.to_port


@SETTINGS
@given(stacks_with_rules())
def test_every_connection_has_an_egress_and_an_ingress_allowance(case: tuple[Stack, list[SecurityGroupRule]]) -> None:
    stack, rules = case
    layer = stack.evaluate(rules)
    endpoints = {e.name: e for e in (*layer.sources, *layer.destinations)}
    for source, destination, port, protocol in layer.connections:
        src, dst = endpoints[source], endpoints[destination]
        # A merged ANY_PORT may come from adjacent ranges of several rules: check one port of it.
        probe = 1 if port == ANY_PORT else port
        out = [r for r in layer_rules(rules, src.groups, "egress") if _admits(r, dst.groups, dst.cidrs)]
        into = [r for r in layer_rules(rules, dst.groups, "ingress") if _admits(r, src.groups, src.cidrs)]
        assert any(_covers(r, probe, protocol) for r in out), (source, destination, port, protocol)
        assert any(_covers(r, probe, protocol) for r in into), (source, destination, port, protocol)
    # Without egress rules only the cluster group's pods (EKS's default egress) reach anything; without ingress
    # rules only destinations carrying the cluster group (EKS's default ingress from itself) are reached.
    no_egress = stack.evaluate([r for r in rules if r.direction == "ingress"]).connections
    assert {c[0] for c in no_egress} <= {e.name for e in layer.sources if CLUSTER in e.groups}
    no_ingress = stack.evaluate([r for r in rules if r.direction == "egress"]).connections
    assert {c[1] for c in no_ingress} <= {e.name for e in layer.destinations if CLUSTER in e.groups}


def layer_rules(rules: list[SecurityGroupRule], groups: frozenset[str], direction: str) -> list[SecurityGroupRule]:
    every = [*rules, *eks_cluster_default_rules(CLUSTER)]
    return [r for r in every if r.group_id in groups and r.direction == direction]


@SETTINGS
@given(stacks(), st.data())
def test_rules_rendered_from_declared_flows_allow_exactly_those_flows(stack: Stack, data: st.DataObject) -> None:
    """ZeroTrust's rendering: per flow an egress rule on the source's group naming the destination's group and an
    ingress rule on the destination's group naming the source's; every workload in a flow has a group of its own
    (its SecurityGroupPolicy); the cluster group has only EKS's default rules."""
    sources = [*stack.workloads, *(r for r in stack.rows if r.kind == "awsSource")]
    targets = [*stack.workloads, *(r for r in stack.rows if r.kind == "aws")]
    flows = data.draw(
        st.lists(
            st.tuples(st.sampled_from(sources), st.sampled_from(targets), PORTS, st.sampled_from(["TCP", "UDP"])),
            max_size=8,
        )
    )
    in_flows = {end.name for s, d, _, _ in flows for end in (s, d) if isinstance(end, Workload)}
    own = {w.name: f"sg-{w.name}" for w in stack.workloads if w.name in in_flows}
    policies = [
        {"metadata": {"name": f"sgp-{w.name}", "namespace": w.namespace},
         "spec": {"podSelector": {"matchLabels": w.selector}, "securityGroups": {"groupIds": [own[w.name]]}}}
        for w in stack.workloads
        if w.name in own
    ]  # fmt: skip

    def group(end: Workload | GroupRow) -> str:
        return own[end.name] if isinstance(end, Workload) else end.security_group_id

    rules: list[SecurityGroupRule] = []
    for src, dst, port, protocol in flows:
        rules.append(SecurityGroupRule(group(src), "egress", protocol, port, port, peer_group=group(dst)))
        rules.append(SecurityGroupRule(group(dst), "ingress", protocol, port, port, peer_group=group(src)))
    layer = evaluate(rules, policies, stack.workloads, stack.rows, stack.flow_rows, pod_cidrs=PODS)
    # Workloads in no flow keep the cluster group, whose EKS default rule lets its holders reach each other.
    shared = {w.name for w in stack.workloads if w.name not in own}
    among_shared = {c for c in layer.connections if c[0] in shared and c[1] in shared}
    assert among_shared == {(a, b, ANY_PORT, p) for a in shared for b in shared for p in PROTOCOLS}
    assert layer.connections - among_shared == {(s.name, d.name, port, protocol) for s, d, port, protocol in flows}


@SETTINGS
@given(stacks_with_rules(), st.data())
def test_an_open_ingress_admits_every_source_whose_egress_reaches_the_destination(
    case: tuple[Stack, list[SecurityGroupRule]], data: st.DataObject
) -> None:
    stack, rules = case
    layer = stack.evaluate(rules)
    target = data.draw(st.sampled_from(list(layer.destinations)))
    group = data.draw(st.sampled_from(sorted(target.groups)))
    opened = stack.evaluate([*rules, SecurityGroupRule(group, "ingress", ALL_PROTOCOLS, peer_cidr="0.0.0.0/0")])
    reaching = {s for s, d, _, _ in opened.connections if d == target.name}
    with_egress = {
        src.name
        for src in layer.sources
        if any(_admits(r, target.groups, target.cidrs) for r in layer_rules(rules, src.groups, "egress"))
    }
    assert reaching == with_egress


@SETTINGS
@given(stacks_with_rules(max_rules=4), st.data())
def test_open_egress_and_open_ingress_connect_every_source_on_every_port(
    case: tuple[Stack, list[SecurityGroupRule]], data: st.DataObject
) -> None:
    stack, rules = case
    layer = stack.evaluate(rules)
    target = data.draw(st.sampled_from(list(layer.destinations)))
    opened = [*rules, SecurityGroupRule(sorted(target.groups)[0], "ingress", ALL_PROTOCOLS, peer_cidr="0.0.0.0/0")]
    opened += [SecurityGroupRule(g, "egress", ALL_PROTOCOLS, peer_cidr="0.0.0.0/0") for g in stack.groups()]
    found = stack.evaluate(opened).connections
    for source in layer.sources:
        assert {(source.name, target.name, ANY_PORT, p) for p in PROTOCOLS} <= found
