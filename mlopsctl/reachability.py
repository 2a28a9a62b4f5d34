"""Who can actually talk to whom under a set of Kubernetes NetworkPolicies: a pure evaluator.

Kubernetes semantics (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
- a pod is isolated for a direction once any policy in its namespace selects it (``spec.podSelector``)
  with that direction in ``policyTypes``; a non-isolated pod allows everything in that direction;
- policies are additive: traffic is allowed in a direction if any rule of any selecting policy allows it;
- a connection needs both ends: egress allowed at the source AND ingress allowed at the destination;
- a rule with no ``to``/``from`` peers matches every peer, one with no ``ports`` matches every port;
- a peer with ``namespaceSelector`` and ``podSelector`` selects those pods in those namespaces; a
  ``podSelector`` alone selects pods of the policy's namespace; namespaces carry the label
  ``kubernetes.io/metadata.name: <name>``.

Model: each :class:`~contracts.flows.Workload` is a set of pods carrying exactly its labels. ``ipBlock``
peers are taken to match addresses outside the cluster only (Kubernetes leaves ipBlock-to-pod-IP behaviour
to the network plugin), and are reported by the name of the AWS/external destination whose CIDRs they
equal, as ``ipBlock:<cidr>`` when they equal none, or as :data:`INTERNET` when they include any public
address. Ports: :data:`ANY_PORT` (0) stands for the whole 1-65535 range; other ranges (``endPort``) are
listed port by port. Named ports cannot be resolved without pod specs and raise
:class:`UnsupportedPolicyError`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from contracts.flows import AwsDestination, ExternalDestination, Workload

Connection = tuple[str, str, int, str]
"""(source name, destination name, port or ANY_PORT, protocol)."""
ANY_PORT = 0
"""Port value of a connection allowed on every port of its protocol."""
INTERNET = "internet"
"""Pseudo-endpoint: any public IP address."""
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

PortRange = tuple[str, int, int]
"""(protocol, first port, last port)."""
_Range = PortRange
_ALL: frozenset[_Range] = frozenset((p, 1, 65535) for p in PROTOCOLS)
_IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Address space that is not the public internet (RFC 6890 special-purpose blocks).
_V4_NOT_PUBLIC = tuple(
    ipaddress.IPv4Network(c)
    for c in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_V6_NOT_PUBLIC = (ipaddress.IPv6Network("2001:db8::/32"),)


class UnsupportedPolicyError(ValueError):
    """A policy uses a feature this evaluator cannot decide (named ports, malformed peers)."""


@dataclass(frozen=True)
class _Rule:
    peers: tuple[Mapping[str, Any], ...] | None
    """None: every peer (``to``/``from`` absent or empty)."""
    ports: frozenset[_Range]


@dataclass(frozen=True)
class _Policy:
    name: str
    namespace: str
    selector: Mapping[str, Any]
    ingress: tuple[_Rule, ...] | None
    """None: the policy does not cover ingress."""
    egress: tuple[_Rule, ...] | None


def allowed_connections(
    policies: Sequence[Mapping[str, Any]],
    workloads: Sequence[Workload],
    destinations: Sequence[AwsDestination | ExternalDestination] = (),
    sources: Sequence[tuple[str, Sequence[str]]] = (),
) -> set[Connection]:
    """Every connection the policies allow between ``workloads``, and from them to ``destinations``/the internet.

    Destinations with identical CIDR sets cannot be told apart by NetworkPolicies (two RDS instances in the
    database subnets): they are reported under one joint label, see :func:`destination_labels`.

    Also reports ingress the policies admit from outside: under the name of one of ``sources`` ((name, CIDRs) of
    AWS resources that reach pods, such as a load balancer) whose CIDRs are all admitted, else :data:`INTERNET` or
    ``ipBlock:<cidr>``.
    """
    parsed = [_parse(p) for p in policies]
    labels = destination_labels(destinations)
    groups = {labels[d.name]: frozenset(_normal(c) for c in d.cidrs) for d in destinations}
    named_destinations = sorted(groups.items())
    result: set[Connection] = set()
    for src in workloads:
        egress = _rules_for(parsed, src, "egress")
        for dst in workloads:
            ingress = _rules_for(parsed, dst, "ingress")
            out = _ALL if egress is None else _ports_towards(egress, _pod_matcher(dst))
            into = _ALL if ingress is None else _ports_towards(ingress, _pod_matcher(src))
            for port, protocol in expand_ports(intersect_ranges(out, into)):
                result.add((src.name, dst.name, port, protocol))
        blocks = _ip_allowances(egress)
        result |= {(src.name, name, port, proto) for name, port, proto in _name_blocks(blocks, named_destinations)}
    joint = source_labels(sources)
    named_sources = sorted({(joint[name], frozenset(_normal(c) for c in cidrs)) for name, cidrs in sources if cidrs})
    for dst in workloads:
        blocks = _ip_allowances(_rules_for(parsed, dst, "ingress"))
        result |= {(name, dst.name, port, proto) for name, port, proto in _name_blocks(blocks, named_sources)}
    return result


def source_labels(sources: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """The name each AWS source reaching pods is reported under: its own, or ``"a / b"`` for sources in the same
    subnets (two load balancers in the ingress subnets: a NetworkPolicy admits both or neither)."""
    groups: dict[frozenset[str], set[str]] = {}
    for name, cidrs in sources:
        groups.setdefault(frozenset(_normal(c) for c in cidrs), set()).add(name)
    return {name: " / ".join(sorted(names)) for names in groups.values() for name in names}


def destination_labels(destinations: Sequence[AwsDestination | ExternalDestination]) -> dict[str, str]:
    """The name each destination is reported under: its own, or ``"a / b"`` for destinations with equal CIDRs."""
    groups: dict[frozenset[str], set[str]] = {}
    for dest in destinations:
        groups.setdefault(frozenset(_normal(c) for c in dest.cidrs), set()).add(dest.name)
    return {name: " / ".join(sorted(names)) for names in groups.values() for name in names}


def _parse(policy: Mapping[str, Any]) -> _Policy:
    meta = policy.get("metadata") or {}
    spec = policy.get("spec") or {}
    name = str(meta.get("name", "?"))
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") is not None else ["Ingress"])

    def rules(key: str, peer_key: str) -> tuple[_Rule, ...]:
        parsed = []
        for rule in spec.get(key) or []:
            peers = rule.get(peer_key) or None
            parsed.append(_Rule(tuple(peers) if peers else None, _ports(rule.get("ports"), name)))
        return tuple(parsed)

    return _Policy(
        name=name,
        namespace=str(meta.get("namespace") or "default"),
        selector=spec.get("podSelector") or {},
        ingress=rules("ingress", "from") if "Ingress" in types else None,
        egress=rules("egress", "to") if "Egress" in types else None,
    )


def _ports(ports: Iterable[Mapping[str, Any]] | None, policy: str) -> frozenset[_Range]:
    if not ports:
        return _ALL
    ranges = set()
    for entry in ports:
        protocol = str(entry.get("protocol") or "TCP")
        port = entry.get("port")
        if port is None:
            ranges.add((protocol, 1, 65535))
        elif isinstance(port, str) and not port.isdigit():
            raise UnsupportedPolicyError(f"policy {policy}: named port {port!r} cannot be resolved without pod specs")
        else:
            first = int(port)
            ranges.add((protocol, first, int(entry.get("endPort") or first)))
    return frozenset(ranges)


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels AND matchExpressions); an empty selector matches all."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], set(expr.get("values") or [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(op)
        if ok is None:
            raise UnsupportedPolicyError(f"unknown selector operator {op!r}")
        if not ok:
            return False
    return True


def _rules_for(policies: Sequence[_Policy], pod: Workload, direction: str) -> list[tuple[_Policy, _Rule]] | None:
    """The rules that govern ``pod`` in ``direction``, or None when no policy isolates it there."""
    isolated = False
    rules: list[tuple[_Policy, _Rule]] = []
    for policy in policies:
        section = policy.ingress if direction == "ingress" else policy.egress
        if section is None or policy.namespace != pod.namespace or not selector_matches(policy.selector, pod.selector):
            continue
        isolated = True
        rules.extend((policy, rule) for rule in section)
    return rules if isolated else None


_PeerMatcher = Callable[[_Policy, Mapping[str, Any]], bool]


def _pod_matcher(pod: Workload) -> _PeerMatcher:
    def matches(policy: _Policy, peer: Mapping[str, Any]) -> bool:
        if "ipBlock" in peer:
            return False  # ipBlocks are addresses outside the cluster in this model
        if "namespaceSelector" not in peer and "podSelector" not in peer:
            raise UnsupportedPolicyError(f"policy {policy.name}: a peer needs a selector or an ipBlock")
        if "namespaceSelector" in peer:
            ns_ok = selector_matches(peer["namespaceSelector"], {NAMESPACE_NAME_LABEL: pod.namespace})
        else:
            ns_ok = pod.namespace == policy.namespace
        return ns_ok and selector_matches(peer.get("podSelector"), pod.selector)

    return matches


def _ports_towards(rules: Sequence[tuple[_Policy, _Rule]], matches: _PeerMatcher) -> frozenset[_Range]:
    allowed: set[_Range] = set()
    for policy, rule in rules:
        if rule.peers is None or any(matches(policy, peer) for peer in rule.peers):
            allowed |= rule.ports
    return frozenset(allowed)


def intersect_ranges(a: frozenset[PortRange], b: frozenset[PortRange]) -> set[PortRange]:
    """The port ranges both sides allow, per protocol."""
    return {
        (pa, max(la, lb), min(ha, hb))
        for pa, la, ha in a
        for pb, lb, hb in b
        if pa == pb and max(la, lb) <= min(ha, hb)
    }


def expand_ports(ranges: Iterable[PortRange]) -> set[tuple[int, str]]:
    """Merge ranges per protocol, then name them: ANY_PORT for 1-65535, else each port."""
    out: set[tuple[int, str]] = set()
    for protocol in sorted({r[0] for r in ranges}):
        merged: list[list[int]] = []
        for _, lo, hi in sorted(r for r in ranges if r[0] == protocol):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        for lo, hi in merged:
            if (lo, hi) == (1, 65535):
                out.add((ANY_PORT, protocol))
            else:
                out.update((port, protocol) for port in range(lo, hi + 1))
    return out


_Block = tuple[str, tuple[str, ...]]  # (cidr, except cidrs)
_EVERYTHING: _Block = ("*", ())  # a rule without peers, or a pod not isolated: every address


def _ip_allowances(rules: Sequence[tuple[_Policy, _Rule]] | None) -> dict[tuple[int, str], set[_Block]]:
    """Address blocks allowed per (port, protocol) by ``rules`` (None: not isolated, everything allowed)."""
    if rules is None:
        return {key: {_EVERYTHING} for key in expand_ports(_ALL)}
    allowed: dict[tuple[int, str], set[_Block]] = {}
    for _, rule in rules:
        if rule.peers is None:
            blocks = {_EVERYTHING}
        else:
            blocks = {
                (
                    _normal(peer["ipBlock"]["cidr"]),
                    tuple(sorted(_normal(e) for e in peer["ipBlock"].get("except") or ())),
                )
                for peer in rule.peers
                if "ipBlock" in peer
            }
        if blocks:
            for key in expand_ports(rule.ports):
                allowed.setdefault(key, set()).update(blocks)
    return allowed


def _name_blocks(
    allowed: Mapping[tuple[int, str], set[_Block]], destinations: Sequence[tuple[str, frozenset[str]]]
) -> set[tuple[str, int, str]]:
    """Name allowed blocks: a destination whose CIDRs are all allowed exactly; else INTERNET or ``ipBlock:<cidr>``."""
    named: set[tuple[str, int, str]] = set()
    for (port, protocol), blocks in allowed.items():
        if _EVERYTHING in blocks:
            named |= {(label, port, protocol) for label, _ in destinations}
            named.add((INTERNET, port, protocol))
            continue
        plain = {cidr for cidr, excepts in blocks if not excepts}
        consumed: set[str] = set()
        for label, cidrs in destinations:
            if cidrs <= plain:
                named.add((label, port, protocol))
                consumed |= cidrs
        for cidr, excepts in blocks:
            if cidr in consumed and not excepts:
                continue
            if _has_public(cidr, excepts):
                named.add((INTERNET, port, protocol))
            else:
                label = f"ipBlock:{cidr}" + (f" except {','.join(excepts)}" if excepts else "")
                named.add((label, port, protocol))
    return named


def _normal(cidr: str) -> str:
    return str(ipaddress.ip_network(cidr, strict=False))


@lru_cache(maxsize=4096)
def _has_public(cidr: str, excepts: tuple[str, ...] = ()) -> bool:
    """Whether ``cidr`` minus ``excepts`` contains any public internet address."""
    net = ipaddress.ip_network(cidr)
    pieces = _subtract([net], [ipaddress.ip_network(e) for e in excepts])
    for piece in pieces:
        if isinstance(piece, ipaddress.IPv4Network):
            if _subtract([piece], list(_V4_NOT_PUBLIC)):
                return True
        elif piece.overlaps(_V6_GLOBAL_UNICAST):
            inner = piece if piece.subnet_of(_V6_GLOBAL_UNICAST) else _V6_GLOBAL_UNICAST
            if _subtract([inner], list(_V6_NOT_PUBLIC)):
                return True
    return False


def _subtract(pieces: list[Any], holes: Sequence[Any]) -> list[Any]:
    """Address blocks ``pieces`` minus ``holes`` (all CIDRs: nested or disjoint)."""
    for hole in holes:
        remaining: list[Any] = []
        for piece in pieces:
            if piece.version != hole.version or not piece.overlaps(hole):
                remaining.append(piece)
            elif piece.subnet_of(hole):
                continue
            else:
                remaining.extend(piece.address_exclude(hole))
        pieces = remaining
    return pieces
