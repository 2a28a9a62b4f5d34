"""Property tests: for random flow graphs, the rendered policies allow exactly the declared flows.

Generated workloads carry a unique ``app`` label (as real workloads do; the renderer rejects overlapping
selectors), destinations get pairwise distinct CIDRs. Examples are bounded to keep the suite fast.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from components.zerotrust.component import describe_flows, render_network_policies
from contracts.flows import AwsDestination, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.reachability import INTERNET, allowed_connections

VPC = "10.40.0.0/16"
NAMESPACES = ("ns-a", "ns-b", "ns-c")
PORTS = st.one_of(st.sampled_from([53, 80, 443, 5000, 5432, 8080]), st.integers(1, 65535))
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def flow_graphs(draw: st.DrawFn) -> tuple[FlowGraph, list[AwsDestination | ExternalDestination]]:
    workloads = [
        Workload.of(
            f"w{i}",
            draw(st.sampled_from(NAMESPACES)),
            {"app": f"w{i}", **({"tier": draw(st.sampled_from(["web", "db"]))} if draw(st.booleans()) else {})},
        )
        for i in range(draw(st.integers(1, 6)))
    ]
    # Distinct /24s inside the VPC for AWS destinations; distinct blocks outside it for external ones.
    subnets = draw(st.lists(st.integers(0, 255), min_size=0, max_size=6, unique=True))
    aws: list[AwsDestination | ExternalDestination] = []
    while subnets:
        take, subnets = subnets[: draw(st.integers(1, 2))], subnets[2:] if len(subnets) > 1 else []
        aws.append(AwsDestination(name=f"aws{len(aws)}", cidrs=tuple(f"10.40.{n}.0/24" for n in take)))
    outside = draw(
        st.lists(
            st.sampled_from(["0.0.0.0/0", "140.82.112.0/20", "52.94.0.0/22", "192.168.7.0/24", "2600:1f18::/32"]),
            max_size=3,
            unique=True,
        )
    )
    external = [ExternalDestination(f"ext{i}", (cidr,)) for i, cidr in enumerate(outside)]
    destinations: list[Any] = [*workloads, *aws, *external]
    flows = draw(
        st.lists(
            st.builds(
                Flow,
                source=st.sampled_from(workloads),
                destination=st.sampled_from(destinations),
                port=PORTS,
                protocol=st.sampled_from(["TCP", "UDP"]),
            ),
            max_size=12,
        )
    )
    return FlowGraph(flows), [*aws, *external]


def declared(graph: FlowGraph) -> set[tuple[str, str, int, str]]:
    return {(f["source"], f["destination"], f["port"], f["protocol"]) for f in describe_flows(graph)}


@SETTINGS
@given(flow_graphs())
def test_computed_matrix_equals_declared_flows(case: tuple[FlowGraph, list[Any]]) -> None:
    graph, destinations = case
    policies = render_network_policies(graph, NAMESPACES, VPC)
    assert allowed_connections(policies, graph.workloads, destinations) == declared(graph)


@SETTINGS
@given(flow_graphs())
def test_no_workload_reaches_the_internet_unless_declared(case: tuple[FlowGraph, list[Any]]) -> None:
    graph, _ = case
    policies = render_network_policies(graph, NAMESPACES, VPC)
    # Evaluate without naming destinations: every public address a workload can reach shows as INTERNET.
    reach = {(s, p, proto) for s, d, p, proto in allowed_connections(policies, graph.workloads) if d == INTERNET}
    expected = {
        (f.source.name, f.port, f.protocol)
        for f in graph.flows
        if isinstance(f.destination, ExternalDestination)
        and any(not ipaddress.ip_network(c).is_private for c in f.destination.cidrs)
    }
    assert reach == expected
    # And no source is ever reachable from outside the cluster.
    assert not {c for c in allowed_connections(policies, graph.workloads) if c[1] in {w.name for w in graph.workloads}
                and c[0] not in {w.name for w in graph.workloads}}  # fmt: skip


@SETTINGS
@given(flow_graphs(), st.data())
def test_dropping_a_default_deny_is_detected(case: tuple[FlowGraph, list[Any]], data: st.DataObject) -> None:
    graph, destinations = case
    targets = {f.destination.name for f in graph.flows}
    exposed = [w for w in graph.workloads if w.name not in targets]  # no ingress policy of its own
    assume(exposed)
    namespace = data.draw(st.sampled_from(sorted({w.namespace for w in exposed})))
    policies = [
        p
        for p in render_network_policies(graph, NAMESPACES, VPC)
        if (p["metadata"]["namespace"], p["metadata"]["name"]) != (namespace, "default-deny")
    ]
    computed = allowed_connections(policies, graph.workloads, destinations)
    assert computed != declared(graph)
    # Ingress opens (egress stays isolated by the DNS policy, which selects every pod for Egress).
    assert {c[1] for c in computed if c[0] == INTERNET} == {w.name for w in exposed if w.namespace == namespace}
