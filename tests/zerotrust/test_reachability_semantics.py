"""allowed_connections follows Kubernetes NetworkPolicy semantics (hand-written cases, each able to fail)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.flows import AwsDestination, ExternalDestination, Workload
from mlopsctl.reachability import (
    ANY_PORT,
    INTERNET,
    UnsupportedPolicyError,
    allowed_connections,
    destination_labels,
    selector_matches,
)

A = Workload.of("a", "ns1", {"app": "a"})
B = Workload.of("b", "ns1", {"app": "b"})
C = Workload.of("c", "ns2", {"app": "c"})
GIT = ExternalDestination("git", ("140.82.112.0/20",))
ALL_PORTS = {(ANY_PORT, p) for p in ("TCP", "UDP", "SCTP")}


def policy(ns: str, selector: dict[str, Any], types: list[str], **rules: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": ns},
        "spec": {"podSelector": selector, "policyTypes": types, **rules},
    }


def deny(ns: str) -> dict[str, Any]:
    return policy(ns, {}, ["Ingress", "Egress"])


def pod(w: Workload) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": w.namespace}},
            "podSelector": {"matchLabels": w.selector}}  # fmt: skip


def tcp(port: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port}]


def pairs(conns: set[tuple[str, str, int, str]], src: str, dst: str) -> set[tuple[int, str]]:
    return {(port, proto) for s, d, port, proto in conns if (s, d) == (src, dst)}


def test_no_policies_means_everything_is_open() -> None:
    conns = allowed_connections([], [A, B])
    assert pairs(conns, "a", "b") == ALL_PORTS
    assert pairs(conns, "a", INTERNET) == ALL_PORTS
    assert pairs(conns, INTERNET, "b") == ALL_PORTS


def test_default_deny_isolates_both_directions() -> None:
    conns = allowed_connections([deny("ns1"), deny("ns2")], [A, B, C])
    assert conns == set()


def test_both_ends_must_allow() -> None:
    egress = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"], egress=[{"to": [pod(B)], "ports": tcp(80)}])
    ingress = policy("ns1", {"matchLabels": {"app": "b"}}, ["Ingress"], ingress=[{"from": [pod(A)], "ports": tcp(80)}])
    assert allowed_connections([deny("ns1"), egress], [A, B]) == set()
    assert allowed_connections([deny("ns1"), ingress], [A, B]) == set()
    assert allowed_connections([deny("ns1"), egress, ingress], [A, B]) == {("a", "b", 80, "TCP")}


def test_a_pod_not_isolated_for_egress_can_reach_whatever_admits_it() -> None:
    # Only ingress is isolated in ns1: A's egress is open, B admits A on 80.
    ingress = policy("ns1", {"matchLabels": {"app": "b"}}, ["Ingress"], ingress=[{"from": [pod(A)], "ports": tcp(80)}])
    conns = allowed_connections([ingress], [A, B])
    assert pairs(conns, "a", "b") == {(80, "TCP")}
    assert pairs(conns, "a", INTERNET) == ALL_PORTS  # not isolated for egress: the internet is open


def test_policies_are_additive_and_ports_pair_with_their_peers() -> None:
    egress = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"],
                    egress=[{"to": [pod(B)], "ports": tcp(80)}, {"to": [pod(C)], "ports": tcp(443)}])  # fmt: skip
    more = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"], egress=[{"to": [pod(B)], "ports": tcp(8080)}])
    open_in = [policy(ns, {}, ["Ingress"], ingress=[{}]) for ns in ("ns1", "ns2")]
    conns = allowed_connections([deny("ns1"), deny("ns2"), egress, more, *open_in], [A, B, C])
    assert pairs(conns, "a", "b") == {(80, "TCP"), (8080, "TCP")}
    assert pairs(conns, "a", "c") == {(443, "TCP")}


def test_namespace_and_pod_selectors() -> None:
    # podSelector alone: same namespace only; namespaceSelector alone: every pod there.
    only_pod = policy("ns2", {}, ["Ingress"], ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}])
    conns = allowed_connections([only_pod], [A, B, C])
    assert pairs(conns, "a", "c") == set()
    only_ns = policy("ns2", {}, ["Ingress"], ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ns1"}}}]}])  # fmt: skip
    conns = allowed_connections([only_ns], [A, B, C])
    assert pairs(conns, "a", "c") == ALL_PORTS and pairs(conns, "b", "c") == ALL_PORTS
    assert pairs(conns, "c", "c") == set()


def test_match_expressions() -> None:
    labels = {"app": "x", "tier": "web"}
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["x", "y"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["x"]}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, labels)
    assert not selector_matches({"matchLabels": {"app": "x", "tier": "db"}}, labels)
    assert selector_matches({}, labels)


def test_port_ranges_protocols_and_named_ports() -> None:
    egress = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"],
                    egress=[{"to": [pod(B)], "ports": [{"port": 8000, "endPort": 8002}, {"protocol": "UDP"}]}])  # fmt: skip
    conns = allowed_connections([deny("ns1"), egress, policy("ns1", {}, ["Ingress"], ingress=[{}])], [A, B])
    assert pairs(conns, "a", "b") == {(8000, "TCP"), (8001, "TCP"), (8002, "TCP"), (ANY_PORT, "UDP")}
    named = policy("ns1", {}, ["Egress"], egress=[{"ports": [{"port": "http"}]}])
    with pytest.raises(UnsupportedPolicyError, match="named port 'http'"):
        allowed_connections([named], [A])


def test_policy_types_default_from_the_spec() -> None:
    # No policyTypes and no egress section: Ingress only, so egress stays open.
    spec_only = {"metadata": {"name": "p", "namespace": "ns1"}, "spec": {"podSelector": {}, "ingress": []}}
    conns = allowed_connections([spec_only], [A, B])
    assert pairs(conns, "a", "b") == set() and pairs(conns, "a", INTERNET) == ALL_PORTS


def test_ip_blocks_are_named_after_destinations_or_reported() -> None:
    db = AwsDestination(name="db", cidrs=("10.40.192.0/21", "10.40.200.0/21"))
    egress = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"], egress=[
        {"to": [{"ipBlock": {"cidr": "10.40.192.0/21"}}, {"ipBlock": {"cidr": "10.40.200.0/21"}}], "ports": tcp(5432)},
        {"to": [{"ipBlock": {"cidr": "140.82.112.0/20"}}], "ports": tcp(443)},
        {"to": [{"ipBlock": {"cidr": "10.40.192.0/21"}}], "ports": tcp(22)},   # half of db: reported raw
        {"to": [{"ipBlock": {"cidr": "172.16.0.0/12", "except": ["172.16.0.0/16"]}}], "ports": tcp(80)},
    ])  # fmt: skip
    conns = allowed_connections([deny("ns1"), egress], [A], [db, GIT])
    assert conns == {
        ("a", "db", 5432, "TCP"),
        ("a", "git", 443, "TCP"),
        ("a", "ipBlock:10.40.192.0/21", 22, "TCP"),
        ("a", "ipBlock:172.16.0.0/12 except 172.16.0.0/16", 80, "TCP"),
    }
    # Without the destination list, the public block is the internet.
    assert ("a", INTERNET, 443, "TCP") in allowed_connections([deny("ns1"), egress], [A])


@pytest.mark.parametrize(
    ("cidr", "excepts", "internet"),
    [
        ("0.0.0.0/0", [], True),
        ("::/0", [], True),
        ("0.0.0.0/0", ["0.0.0.0/1", "128.0.0.0/1"], False),
        ("8.8.8.8/32", [], True),
        ("2600:1f18::/32", [], True),
        ("10.0.0.0/8", [], False),
        ("100.64.0.0/10", [], False),
        ("fd00::/8", [], False),
        ("192.0.0.0/2", ["192.168.0.0/16"], True),
    ],
)
def test_internet_is_any_public_address(cidr: str, excepts: list[str], internet: bool) -> None:
    egress = policy("ns1", {}, ["Egress"], egress=[{"to": [{"ipBlock": {"cidr": cidr, "except": excepts}}], "ports": tcp(443)}])  # fmt: skip
    assert (("a", INTERNET, 443, "TCP") in allowed_connections([egress], [A])) is internet


def test_ingress_from_outside_is_reported() -> None:
    open_lb = policy("ns1", {"matchLabels": {"app": "b"}}, ["Ingress"], ingress=[{"from": [{"ipBlock": {"cidr": "10.40.216.0/21"}}], "ports": tcp(8443)}])  # fmt: skip
    conns = allowed_connections([deny("ns1"), open_lb], [A, B])
    assert conns == {("ipBlock:10.40.216.0/21", "b", 8443, "TCP")}


def test_destinations_with_equal_cidrs_share_one_label() -> None:
    mlflow_db = AwsDestination(name="mlflow-db", cidrs=("10.40.192.0/21", "10.40.200.0/21"))
    airflow_db = AwsDestination(name="airflow-db", cidrs=("10.40.200.0/21", "10.40.192.0/21"))
    assert destination_labels([mlflow_db, airflow_db, GIT]) == {
        "mlflow-db": "airflow-db / mlflow-db",
        "airflow-db": "airflow-db / mlflow-db",
        "git": "git",
    }
    egress = policy("ns1", {"matchLabels": {"app": "a"}}, ["Egress"], egress=[
        {"to": [{"ipBlock": {"cidr": "10.40.192.0/21"}}, {"ipBlock": {"cidr": "10.40.200.0/21"}}], "ports": tcp(5432)},
    ])  # fmt: skip
    # The policy cannot tell the two databases apart: one row, both names on it.
    assert allowed_connections([deny("ns1"), egress], [A], [mlflow_db, airflow_db]) == {
        ("a", "airflow-db / mlflow-db", 5432, "TCP")
    }


def test_ingress_from_an_aws_sources_subnets_is_named_after_it() -> None:
    balancer = ("alb/people", ["10.40.196.0/24", "10.40.204.0/24"])
    admit = policy("ns1", {"matchLabels": A.selector}, ["Ingress"], ingress=[
        {"from": [{"ipBlock": {"cidr": c}} for c in balancer[1]], "ports": [{"protocol": "TCP", "port": 5000}]}
    ])  # fmt: skip
    allowed = allowed_connections([deny("ns1"), admit], [A], sources=[balancer])
    assert allowed == {("alb/people", "a", 5000, "TCP")}
    # Half of its subnets is not the load balancer: the block keeps its address name.
    half = policy("ns1", {"matchLabels": A.selector}, ["Ingress"], ingress=[
        {"from": [{"ipBlock": {"cidr": balancer[1][0]}}], "ports": [{"protocol": "TCP", "port": 5000}]}
    ])  # fmt: skip
    assert allowed_connections([deny("ns1"), half], [A], sources=[balancer]) == {
        ("ipBlock:10.40.196.0/24", "a", 5000, "TCP")
    }
