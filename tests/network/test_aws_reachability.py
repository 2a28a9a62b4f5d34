"""mlopsctl.aws_reachability (the AWS layer evaluator) and its place in mlopsctl.connectivity, on hand-built inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from google.protobuf import struct_pb2

from contracts.flows import Workload
from mlopsctl.aws_reachability import (
    ALL_PROTOCOLS,
    EGRESS_RULE_TYPE,
    INGRESS_RULE_TYPE,
    SECURITY_GROUP_POLICY_TYPE,
    SECURITY_GROUP_RULE_TYPE,
    SECURITY_GROUP_TYPE,
    Endpoint,
    GroupRow,
    SecurityGroupRule,
    UnsupportedSecurityGroupError,
    allowed_connections,
    destination_labels,
    eks_cluster_default_rules,
    evaluate,
    pod_security_groups,
    rules_of,
)
from mlopsctl.connectivity import SECURITY_GROUPS_OUTPUT, connectivity
from mlopsctl.engine import Graph, Registration
from mlopsctl.reachability import ANY_PORT

TRACKER = Workload.of("mlflow/server", "mlflow", {"app": "mlflow"})
WORKER = Workload.of("airflow/worker", "airflow", {"component": "worker"})
STATSD = Workload.of("airflow/statsd", "airflow", {"component": "statsd"})
PODS = ("10.40.0.0/18", "10.40.64.0/18")
DB_CIDRS = ("10.40.192.0/24", "10.40.200.0/24")


def ingress(group: str, peer: str, port: int | None = None, protocol: str = "TCP", **extra: Any) -> SecurityGroupRule:
    low, high = (1, 65535) if port is None else (port, port)
    kind = (
        {"peer_cidr": peer}
        if "/" in peer
        else {"peer_prefix_list": peer}
        if peer.startswith("pl-")
        else {"peer_group": peer}
    )
    return SecurityGroupRule(group, "ingress", protocol, low, high, **kind, **extra)  # type: ignore[arg-type]


def egress(group: str, peer: str, port: int | None = None, protocol: str = "TCP") -> SecurityGroupRule:
    rule = ingress(group, peer, port, protocol)
    return SecurityGroupRule(rule.group_id, "egress", rule.protocol, rule.from_port, rule.to_port,
                             rule.peer_group, rule.peer_cidr, rule.peer_prefix_list)  # fmt: skip


# --- rules from resource inputs ---------------------------------------------------------------------------------


def test_vpc_rule_resources_give_one_rule_each() -> None:
    assert rules_of(INGRESS_RULE_TYPE, {"securityGroupId": "sg-db", "referencedSecurityGroupId": "sg-app",
                                        "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432}, name="r") == [
        SecurityGroupRule("sg-db", "ingress", "TCP", 5432, 5432, peer_group="sg-app", name="r")
    ]  # fmt: skip
    assert rules_of(EGRESS_RULE_TYPE, {"securityGroupId": "sg-app", "cidrIpv4": "10.40.0.0/16", "ipProtocol": "udp",
                                       "fromPort": 53.0, "toPort": 53.0}) == [
        SecurityGroupRule("sg-app", "egress", "UDP", 53, 53, peer_cidr="10.40.0.0/16")
    ]  # fmt: skip
    (everything,) = rules_of(INGRESS_RULE_TYPE, {"securityGroupId": "sg-a", "prefixListId": "pl-1", "ipProtocol": "-1"})
    assert (everything.protocol, everything.from_port, everything.to_port) == (ALL_PROTOCOLS, 1, 65535)
    assert everything.peer_prefix_list == "pl-1"


def test_security_group_rule_resources_and_self() -> None:
    rules = rules_of(SECURITY_GROUP_RULE_TYPE, {"type": "ingress", "securityGroupId": "sg-a", "protocol": "6",
                                                "fromPort": 0, "toPort": 65535, "self": True,
                                                "cidrBlocks": ["10.0.0.0/8"], "ipv6CidrBlocks": ["2600:1f18::/56"]})  # fmt: skip
    assert [(r.direction, r.protocol, r.from_port, r.to_port, r.peer_group, r.peer_cidr) for r in rules] == [
        ("ingress", "TCP", 1, 65535, "sg-a", None),
        ("ingress", "TCP", 1, 65535, None, "10.0.0.0/8"),
        ("ingress", "TCP", 1, 65535, None, "2600:1f18::/56"),
    ]
    out = rules_of(SECURITY_GROUP_RULE_TYPE, {"type": "egress", "securityGroupId": "sg-a", "protocol": "all",
                                              "fromPort": 0, "toPort": 0, "sourceSecurityGroupId": "sg-b"})  # fmt: skip
    assert [(r.direction, r.protocol, r.peer_group) for r in out] == [("egress", ALL_PROTOCOLS, "sg-b")]


def test_inline_rules_need_the_groups_id() -> None:
    inputs = {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "securityGroups": ["sg-b"], "self": True}],
              "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]}  # fmt: skip
    assert rules_of(SECURITY_GROUP_TYPE, inputs) == []
    rules = rules_of(SECURITY_GROUP_TYPE, inputs, name="sg", group_id="sg-a")
    assert [(r.group_id, r.direction, r.peer_group or r.peer_cidr, r.name) for r in rules] == [
        ("sg-a", "ingress", "sg-b", "sg.ingress[0]"),
        ("sg-a", "ingress", "sg-a", "sg.ingress[0]"),
        ("sg-a", "egress", "0.0.0.0/0", "sg.egress[0]"),
    ]


@pytest.mark.parametrize(
    "inputs",
    [
        {"securityGroupId": "sg-a", "cidrIpv4": "10.0.0.0/8", "ipProtocol": "icmp", "fromPort": 8, "toPort": 0},
        {"securityGroupId": "sg-a", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},  # no peer
        {"cidrIpv4": "10.0.0.0/8", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},  # no group
    ],
)
def test_rules_outside_the_model_give_nothing(inputs: dict[str, Any]) -> None:
    assert rules_of(INGRESS_RULE_TYPE, inputs) == []


def test_a_malformed_cidr_is_a_clear_error() -> None:
    with pytest.raises(UnsupportedSecurityGroupError, match="not a CIDR: 'ten'"):
        rules_of(INGRESS_RULE_TYPE, {"securityGroupId": "sg-a", "cidrIpv4": "ten", "ipProtocol": "tcp"})


# --- pods' groups -----------------------------------------------------------------------------------------------


def sgp(namespace: str, selector: Mapping[str, Any] | None, groups: Sequence[str], **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"securityGroups": {"groupIds": list(groups)}, **spec}
    if selector is not None:
        body["podSelector"] = selector
    return {"metadata": {"name": f"sgp-{len(groups)}", "namespace": namespace}, "spec": body}


def test_pods_carry_the_union_of_matching_policies_of_their_namespace() -> None:
    policies = [
        sgp("mlflow", {"matchLabels": {"app": "mlflow"}}, ["sg-mlflow", "sg-dns"]),
        sgp("mlflow", {}, ["sg-ns"]),  # an empty selector selects every pod of the namespace
        sgp("airflow", {"matchLabels": {"app": "mlflow"}}, ["sg-elsewhere"]),
        sgp("mlflow", {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["mlflow"]}]}, ["sg-not"]),
    ]
    assert pod_security_groups(TRACKER, policies, frozenset({"sg-cluster"})) == (
        frozenset({"sg-mlflow", "sg-dns", "sg-ns"}),
        True,
    )
    assert pod_security_groups(WORKER, policies, frozenset({"sg-cluster"})) == (frozenset({"sg-cluster"}), False)


def test_service_account_selectors_and_missing_selectors_are_unsupported() -> None:
    with pytest.raises(UnsupportedSecurityGroupError, match="serviceAccountSelector"):
        pod_security_groups(TRACKER, [sgp("mlflow", None, ["sg-a"], serviceAccountSelector={})], frozenset())
    with pytest.raises(UnsupportedSecurityGroupError, match="no podSelector"):
        pod_security_groups(TRACKER, [sgp("mlflow", None, ["sg-a"])], frozenset())


# --- evaluation -------------------------------------------------------------------------------------------------

APP = Endpoint("app", frozenset({"sg-app"}), PODS)
DB = Endpoint("db", frozenset({"sg-db"}), DB_CIDRS)


def test_a_connection_needs_egress_at_the_source_and_ingress_at_the_destination() -> None:
    both = [egress("sg-app", "sg-db", 5432), ingress("sg-db", "sg-app", 5432)]
    assert allowed_connections(both, [APP], [DB]) == {("app", "db", 5432, "TCP")}
    assert allowed_connections(both[:1], [APP], [DB]) == set()
    assert allowed_connections(both[1:], [APP], [DB]) == set()


def test_ports_and_protocols_intersect() -> None:
    rules = [egress("sg-app", "sg-db", None), ingress("sg-db", "sg-app", 5432), ingress("sg-db", "sg-app", 53, "UDP")]
    assert allowed_connections(rules, [APP], [DB]) == {("app", "db", 5432, "TCP")}
    wide = [egress("sg-app", "sg-db", None, ALL_PROTOCOLS), ingress("sg-db", "sg-app", None, ALL_PROTOCOLS)]
    assert allowed_connections(wide, [APP], [DB]) == {("app", "db", ANY_PORT, p) for p in ("TCP", "UDP", "SCTP")}
    ranged = [
        egress("sg-app", "sg-db", None),
        SecurityGroupRule("sg-db", "ingress", "TCP", 8000, 8002, peer_group="sg-app"),
    ]
    assert allowed_connections(ranged, [APP], [DB]) == {("app", "db", p, "TCP") for p in (8000, 8001, 8002)}


@pytest.mark.parametrize(
    ("egress_cidr", "reaches"),
    [("0.0.0.0/0", True), ("10.40.0.0/16", True), ("10.40.192.0/24", True), ("10.40.100.0/24", False)],
)
def test_a_cidr_egress_admits_destinations_it_overlaps(egress_cidr: str, reaches: bool) -> None:
    rules = [egress("sg-app", egress_cidr, 5432), ingress("sg-db", "sg-app", 5432)]
    assert bool(allowed_connections(rules, [APP], [DB])) is reaches


def test_a_cidr_ingress_admits_sources_by_address_or_every_source_when_addresses_are_unknown() -> None:
    rules = [egress("sg-app", "sg-db", 5432), ingress("sg-db", "10.40.0.0/18", 5432)]
    assert allowed_connections(rules, [APP], [DB]) == {("app", "db", 5432, "TCP")}
    elsewhere = Endpoint("app", frozenset({"sg-app"}), ("10.40.128.0/18",))
    assert allowed_connections(rules, [elsewhere], [DB]) == set()
    unknown = Endpoint("app", frozenset({"sg-app"}), None)
    assert allowed_connections(rules, [unknown], [DB]) == {("app", "db", 5432, "TCP")}


def test_prefix_lists_admit_everything_unless_resolved() -> None:
    rules = [egress("sg-app", "sg-db", 5432), ingress("sg-db", "pl-1", 5432)]
    assert allowed_connections(rules, [APP], [DB]) == {("app", "db", 5432, "TCP")}
    assert allowed_connections(rules, [APP], [DB], prefix_lists={"pl-1": ["52.0.0.0/8"]}) == set()
    assert allowed_connections(rules, [APP], [DB], prefix_lists={"pl-1": ["10.40.0.0/16"]}) == {
        ("app", "db", 5432, "TCP")
    }


def test_the_eks_cluster_group_default_rules() -> None:
    rules = eks_cluster_default_rules("sg-cluster")
    pods = Endpoint("pods", frozenset({"sg-cluster"}), PODS)
    db = Endpoint("db", frozenset({"sg-db"}), DB_CIDRS)
    found = allowed_connections([*rules, ingress("sg-db", "sg-cluster", 5432)], [pods], [db, pods])
    assert found == {("pods", "db", 5432, "TCP"), *(("pods", "pods", ANY_PORT, p) for p in ("TCP", "UDP", "SCTP"))}


ROWS = [
    GroupRow("cluster", "cluster", "sg-cluster"),
    GroupRow("rds/tracking", "aws", "sg-db"),
    GroupRow("eks-api-endpoint", "aws", "sg-cluster"),
    GroupRow("kube-apiserver", "aws", "sg-cluster"),
    GroupRow("deploy-runner", "awsSource", "sg-runner"),
    GroupRow("pod-dns", "shared", "sg-dns"),
]
FLOWS = [{"source": "mlflow/server", "destination": "rds/tracking", "port": 5432, "protocol": "TCP",
          "destinationKind": "aws", "destinationCidrs": list(DB_CIDRS)}]  # fmt: skip


def test_before_security_groups_for_pods_every_pod_reaches_a_database_admitting_the_cluster_group() -> None:
    layer = evaluate([ingress("sg-db", "sg-cluster", 5432)], [], [TRACKER, WORKER, STATSD], ROWS, FLOWS, pod_cidrs=PODS)
    to_db = {(s, d) for s, d, _, _ in layer.connections if d == "rds/tracking"}
    assert to_db == {
        ("mlflow/server", "rds/tracking"),
        ("airflow/worker", "rds/tracking"),
        ("airflow/statsd", "rds/tracking"),
    }
    assert layer.own_groups == frozenset() and layer.pod_groups["airflow/worker"] == {"sg-cluster"}
    assert layer.aws_sources == {"deploy-runner"} and "cluster" not in {s.name for s in layer.sources}
    # Without EKS's default egress on the cluster group nothing leaves those pods.
    assert (
        evaluate([ingress("sg-db", "sg-cluster", 5432)], [], [WORKER], ROWS, FLOWS, eks_defaults=False).connections
        == set()
    )


def test_with_a_group_of_its_own_only_the_declared_workload_reaches_the_database() -> None:
    policies = [sgp("mlflow", {"matchLabels": {"app": "mlflow"}}, ["sg-mlflow", "sg-dns"])]
    rules = [egress("sg-mlflow", "sg-db", 5432), ingress("sg-db", "sg-mlflow", 5432)]
    layer = evaluate(rules, policies, [TRACKER, WORKER], ROWS, FLOWS, pod_cidrs=PODS)
    assert {c for c in layer.connections if c[1] == "rds/tracking"} == {("mlflow/server", "rds/tracking", 5432, "TCP")}
    assert layer.own_groups == {"mlflow/server"}
    (db,) = [d for d in layer.destinations if d.name == "rds/tracking"]
    assert db.cidrs == DB_CIDRS  # from the declared flows' destinationCidrs


def test_destinations_sharing_their_groups_get_one_label() -> None:
    layer = evaluate([], [], [TRACKER], ROWS, FLOWS)
    assert destination_labels(layer) == {
        "eks-api-endpoint": "eks-api-endpoint / kube-apiserver",
        "kube-apiserver": "eks-api-endpoint / kube-apiserver",
        "rds/tracking": "rds/tracking",
    }


def test_group_rows_are_validated() -> None:
    assert GroupRow.parse({"name": "a", "kind": "awsSource", "securityGroupId": "sg-a", "cidrs": ["10.0.0.0/24"]}) == (
        GroupRow("a", "awsSource", "sg-a", ("10.0.0.0/24",))
    )
    for bad in ({"name": "a", "kind": "node", "securityGroupId": "sg-a"}, {"name": "a", "kind": "aws"}, "x"):
        with pytest.raises(UnsupportedSecurityGroupError, match="zeroTrustSecurityGroups"):
            GroupRow.parse(bad)


# --- connectivity: the AWS layer of the report ------------------------------------------------------------------

PREFIX = "urn:pulumi:dev::mlops-platform::"


def reg(
    type_: str, name: str, inputs: Mapping[str, Any], deps: Mapping[str, Sequence[str]] | None = None
) -> Registration:
    property_dependencies = {k: tuple(v) for k, v in (deps or {}).items()}
    return Registration(
        urn=f"{PREFIX}{type_}::{name}", type=type_, name=name, parent=None, custom=True, remote=False, provider=None,
        dependencies=tuple(sorted({u for v in property_dependencies.values() for u in v})),
        property_dependencies=property_dependencies, protect=False, retain_on_delete=False, inputs=dict(inputs),
        wire=struct_pb2.Struct(), wire_json={},
    )  # fmt: skip


def vpc_rule(type_: str, name: str, group: str, peer: str, port: int) -> Registration:
    key = "cidrIpv4" if "/" in peer else "referencedSecurityGroupId"
    return reg(
        type_, name, {"securityGroupId": group, key: peer, "ipProtocol": "tcp", "fromPort": port, "toPort": port}
    )


OUTPUTS: dict[str, Any] = {
    "zeroTrustWorkloads": [
        {"name": w.name, "namespace": w.namespace, "labels": w.selector} for w in (TRACKER, WORKER, STATSD)
    ],
    "zeroTrustFlows": [
        *FLOWS,
        {"source": "airflow/worker", "destination": "mlflow/server", "port": 5000, "protocol": "TCP",
         "destinationKind": "workload"},
        {"source": "deploy-runner", "destination": "eks-api-endpoint", "port": 443, "protocol": "TCP",
         "destinationKind": "aws", "destinationCidrs": ["10.40.197.0/24"], "sourceKind": "aws"},
    ],
    SECURITY_GROUPS_OUTPUT: [
        {"name": "cluster", "kind": "cluster", "securityGroupId": "sg-cluster"},
        {"name": "rds/tracking", "kind": "aws", "securityGroupId": "sg-db"},
        {"name": "eks-api-endpoint", "kind": "aws", "securityGroupId": "sg-api"},
        {"name": "deploy-runner", "kind": "awsSource", "securityGroupId": "sg-runner"},
        {"name": "mlflow/server", "kind": "workload", "securityGroupId": "sg-mlflow"},
        {"name": "airflow/worker", "kind": "workload", "securityGroupId": "sg-worker"},
    ],
}  # fmt: skip


def platform(*changes: Registration, drop: Sequence[str] = (), outputs: Mapping[str, Any] = OUTPUTS) -> Graph:
    """Security groups for pods done right: the tracking server and the worker carry their own groups; statsd
    keeps the cluster group, which nothing admits; the API endpoint has a group of its own here (``sg-api``);
    every declared flow has its two rules. No NetworkPolicy: the Kubernetes layer is not what these tests look at
    (its pods are not isolated), so only AWS-layer rows are asserted."""
    resources = [
        reg(SECURITY_GROUP_POLICY_TYPE, "sgp-mlflow", sgp("mlflow", {"matchLabels": {"app": "mlflow"}}, ["sg-mlflow"])),
        reg(SECURITY_GROUP_POLICY_TYPE, "sgp-worker", sgp("airflow", {"matchLabels": {"component": "worker"}}, ["sg-worker"])),
        vpc_rule(EGRESS_RULE_TYPE, "mlflow-db-egress", "sg-mlflow", "sg-db", 5432),
        vpc_rule(INGRESS_RULE_TYPE, "mlflow-db-ingress", "sg-db", "sg-mlflow", 5432),
        vpc_rule(EGRESS_RULE_TYPE, "worker-mlflow-egress", "sg-worker", "sg-mlflow", 5000),
        vpc_rule(INGRESS_RULE_TYPE, "worker-mlflow-ingress", "sg-mlflow", "sg-worker", 5000),
        vpc_rule(EGRESS_RULE_TYPE, "runner-api-egress", "sg-runner", "sg-api", 443),
        vpc_rule(INGRESS_RULE_TYPE, "runner-api-ingress", "sg-api", "sg-runner", 443),
    ]  # fmt: skip
    kept = [r for r in resources if r.name not in drop]
    return Graph(project="mlops-platform", stack="dev", config={}, resources=(*kept, *changes), outputs=dict(outputs))


def aws_rows(graph: Graph) -> dict[tuple[str, str, int, str], str]:
    report = connectivity(graph)
    return {(r.source, r.destination, r.port, r.protocol): r.status for r in report.rows if r.layer == "aws"}


def test_the_aws_layer_matches_the_declared_flows() -> None:
    report = connectivity(platform())
    assert aws_rows(platform()) == {
        ("mlflow/server", "rds/tracking", 5432, "TCP"): "ok",
        ("airflow/worker", "mlflow/server", 5000, "TCP"): "ok",
        ("deploy-runner", "eks-api-endpoint", 443, "TCP"): "ok",
    }
    assert report.counts()["aws"].declared == 3 and report.counts()["aws"].unexpected == 0
    assert report.info == ()
    json_layers = report.to_json()["layers"]
    assert json_layers["aws"] == {"declared": 3, "allowed": 3, "missing": 0, "unexpected": 0}
    assert "aws: 3 declared, 3 allowed, 0 missing, 0 unexpected" in report.to_markdown().splitlines()[0]


def test_the_cluster_group_on_a_database_is_unexpected_for_every_pod_that_carries_it() -> None:
    graph = platform(vpc_rule(INGRESS_RULE_TYPE, "db-from-cluster", "sg-db", "sg-cluster", 5432))
    rows = aws_rows(graph)
    assert rows[("airflow/statsd", "rds/tracking", 5432, "TCP")] == "unexpected"  # keeps the cluster group
    assert ("airflow/worker", "rds/tracking", 5432, "TCP") not in rows  # its own group is not the cluster's
    report = connectivity(graph)
    assert not report.ok and ("airflow/statsd", "rds/tracking", 5432, "TCP") in report.unexpected


def test_a_missing_ingress_rule_on_a_pod_group_makes_the_flow_missing() -> None:
    graph = platform(drop=["worker-mlflow-ingress"])
    assert aws_rows(graph)[("airflow/worker", "mlflow/server", 5000, "TCP")] == "missing"
    assert ("airflow/worker", "mlflow/server", 5000, "TCP") in connectivity(graph).missing


def test_a_wide_cidr_ingress_on_a_pod_group_is_unexpected_from_every_source() -> None:
    rows = aws_rows(platform(vpc_rule(INGRESS_RULE_TYPE, "mlflow-vpc", "sg-mlflow", "10.40.0.0/16", 5000)))
    # statsd carries the cluster group (EKS's default egress to anywhere) and holds an address in the block; the
    # runner's only egress rule names the API endpoint's group.
    assert rows[("airflow/statsd", "mlflow/server", 5000, "TCP")] == "unexpected"
    assert rows[("airflow/worker", "mlflow/server", 5000, "TCP")] == "ok"


def test_inline_rules_are_attributed_through_the_references_to_their_group() -> None:
    inline = reg(SECURITY_GROUP_TYPE, "db-sg", {"ingress": [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432,
                                                             "cidrBlocks": ["10.40.0.0/16"]}]})  # fmt: skip
    instance = reg("aws:rds/instance:Instance", "db", {"vpcSecurityGroupIds": ["sg-db"]},
                   deps={"vpcSecurityGroupIds": [inline.urn]})  # fmt: skip
    rows = aws_rows(platform(inline, instance))
    assert rows[("airflow/statsd", "rds/tracking", 5432, "TCP")] == "unexpected"
    orphan = reg(SECURITY_GROUP_TYPE, "lost-sg", {"ingress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]})
    report = connectivity(platform(orphan))
    assert any("lost-sg" in note for note in report.info) and report.notes == ()
    assert report.counts()["aws"].unexpected == 0


def test_a_control_plane_sharing_the_cluster_group_is_reached_by_every_pod_carrying_it() -> None:
    # On EKS the API endpoint's ENIs carry the cluster group, whose default rule admits all traffic from itself.
    rows = [
        {**r, "securityGroupId": "sg-cluster"} if r["name"] == "eks-api-endpoint" else r
        for r in OUTPUTS[SECURITY_GROUPS_OUTPUT]
    ]
    graph = platform(
        vpc_rule(EGRESS_RULE_TYPE, "runner-cluster-egress", "sg-runner", "sg-cluster", 443),
        vpc_rule(INGRESS_RULE_TYPE, "runner-cluster-ingress", "sg-cluster", "sg-runner", 443),
        drop=["runner-api-egress", "runner-api-ingress"],
        outputs={**OUTPUTS, SECURITY_GROUPS_OUTPUT: rows},
    )
    found = aws_rows(graph)
    assert {k: v for k, v in found.items() if v != "ok"} == {
        **{("airflow/statsd", "eks-api-endpoint", ANY_PORT, p): "unexpected" for p in ("TCP", "UDP", "SCTP")},
        ("deploy-runner", "airflow/statsd", 443, "TCP"): "unexpected",  # the runner's rule admits every holder
    }
    assert found[("deploy-runner", "eks-api-endpoint", 443, "TCP")] == "ok"


def test_without_the_security_groups_output_the_aws_layer_is_an_informational_note() -> None:
    outputs = {k: v for k, v in OUTPUTS.items() if k != SECURITY_GROUPS_OUTPUT}
    report = connectivity(platform(outputs=outputs))
    assert report.notes == () and report.info[0].startswith("AWS layer not computed")
    # Only the AWS source's flow is checked, by its two rules (the legacy check needs their descriptions).
    assert {(r.source, r.layer, r.status) for r in report.rows if r.layer == "aws"} == {
        ("deploy-runner", "aws", "missing")
    }
    assert "> AWS layer not computed" in report.to_markdown()
    assert report.to_json()["info"] == list(report.info)


def test_unsupported_security_group_policies_become_a_note() -> None:
    odd = reg(SECURITY_GROUP_POLICY_TYPE, "sgp-sa", sgp("mlflow", None, ["sg-x"], serviceAccountSelector={}))
    report = connectivity(platform(odd))
    assert not report.ok and report.notes[0].startswith("cannot evaluate the security groups: SecurityGroupPolicy")
    # Declared AWS-layer flows stay declared (and so missing): nothing was shown to allow them.
    assert ("mlflow/server", "rds/tracking", 5432, "TCP") in report.missing


def test_flows_of_an_aws_endpoint_without_a_group_are_not_compared_at_the_aws_layer() -> None:
    outputs = {
        **OUTPUTS,
        SECURITY_GROUPS_OUTPUT: [r for r in OUTPUTS[SECURITY_GROUPS_OUTPUT] if r["name"] != "rds/tracking"],
    }
    report = connectivity(platform(outputs=outputs))
    assert ("mlflow/server", "rds/tracking", 5432, "TCP") not in aws_rows(platform(outputs=outputs))
    assert report.info == (
        "not checked at the AWS layer: the flows of rds/tracking, which zeroTrustSecurityGroups gives no security group",
    )


def test_a_workload_declared_on_the_cluster_group_is_the_nodes_at_this_layer() -> None:
    # statsd declared own_security_group=False (ZeroTrust's row names the cluster group): what the cluster group
    # reaches is the nodes' business here; its own flows are compared by NetworkPolicies only.
    rows = [
        *OUTPUTS[SECURITY_GROUPS_OUTPUT],
        {"name": "airflow/statsd", "kind": "workload", "securityGroupId": "sg-cluster"},
    ]
    graph = platform(
        vpc_rule(INGRESS_RULE_TYPE, "db-from-cluster", "sg-db", "sg-cluster", 5432),
        outputs={**OUTPUTS, SECURITY_GROUPS_OUTPUT: rows},
    )
    assert not [key for key in aws_rows(graph) if "airflow/statsd" in key[:2]]
    # Without that row it is a workload that lost its own group: still flagged.
    flagged = aws_rows(platform(vpc_rule(INGRESS_RULE_TYPE, "db-from-cluster", "sg-db", "sg-cluster", 5432)))
    assert flagged[("airflow/statsd", "rds/tracking", 5432, "TCP")] == "unexpected"
