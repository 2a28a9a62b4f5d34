"""The system workloads of issue #17: the controllers installed with the cluster as zero-trust workloads.

Their selectors are checked against the labels read in each chart's templates at the pinned version (the table below,
restated independently of ``components.cluster.system_flows`` with its sources), their flows against what the
controllers do, and their rendered NetworkPolicies against the rules: the control plane reaches the webhook ports
only, no ipBlock is VPC-wide, kube-system gets no namespace-wide deny.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from cluster_testkit import control_plane_cidrs, endpoints, network_args

from components.cluster import charts, secrets_values, system_flows
from components.cluster.component import ServingCluster, ServingClusterArgs
from components.cluster.config import ClusterConfig, KServeConfig
from components.cluster.secrets_operator import SecretsOperator, SecretsOperatorArgs
from components.config import PlatformConfig, load_stack_file
from components.network.config import NetworkConfig
from components.zerotrust.component import render_network_policies
from contracts.flows import AwsSource, ExternalDestination, Flow, FlowGraph, Workload
from mlopsctl.deploy.air_gap import CONTROLLER_SERVICES
from mlopsctl.engine import Graph, run_program

ROOT = Path(__file__).resolve().parents[2]
VPC = "10.40.0.0/16"
CP_CIDRS = control_plane_cidrs(VPC)
ENDPOINTS = endpoints(VPC)
API = ExternalDestination(name="kube-apiserver", cidrs=("172.20.0.1/32", *CP_CIDRS), security_group_id="sg-0cluster")
CONTROL_PLANE = system_flows.control_plane_source("sg-0cluster", CP_CIDRS)
NAME = "app.kubernetes.io/name"
INSTANCE = "app.kubernetes.io/instance"
COMPONENT = "app.kubernetes.io/component"

# Workload -> (namespace, pod labels it selects on), read in the charts' templates at the pinned tags:
CHART_LABELS: dict[str, tuple[str, dict[str, str]]] = {
    # cert-manager/cert-manager v1.21.1, deploy/charts/cert-manager/templates/{deployment,cainjector-deployment,
    # webhook-deployment}.yaml spec.selector.matchLabels and startupapicheck-job.yaml's pod labels; _helpers.tpl:
    # "webhook.name" / "cainjector.name" / "startupapicheck.name" are fixed strings, "cert-manager.name" the chart's.
    "cert-manager/controller": (
        "cert-manager",
        {NAME: "cert-manager", INSTANCE: "cert-manager", COMPONENT: "controller"},
    ),
    "cert-manager/cainjector": (
        "cert-manager",
        {NAME: "cainjector", INSTANCE: "cert-manager", COMPONENT: "cainjector"},
    ),
    "cert-manager/webhook": ("cert-manager", {NAME: "webhook", INSTANCE: "cert-manager", COMPONENT: "webhook"}),
    "cert-manager/startupapicheck": (
        "cert-manager",
        {NAME: "startupapicheck", INSTANCE: "cert-manager", COMPONENT: "startupapicheck"},
    ),
    # kserve/kserve v0.15.2, charts/kserve-resources/templates/deployment.yaml spec.selector.matchLabels.
    "kserve/controller-manager": (
        "kserve",
        {"control-plane": "kserve-controller-manager", "controller-tools.k8s.io": "1.0"},
    ),
    # kubernetes/autoscaler cluster-autoscaler-chart-9.51.0/9.53.0/9.59.0, templates/deployment.yaml selector =
    # _helpers.tpl "cluster-autoscaler.instance-name": the release and "<cloudProvider: aws>-cluster-autoscaler".
    "kube-system/cluster-autoscaler": (
        "kube-system",
        {INSTANCE: "cluster-autoscaler", NAME: "aws-cluster-autoscaler"},
    ),
    # external-secrets/external-secrets helm-chart-2.3.0, deploy/charts/external-secrets/templates/_helpers.tpl
    # "external-secrets{,-webhook,-cert-controller}.selectorLabels" (the three deployments' selectors).
    "external-secrets/controller": ("external-secrets", {NAME: "external-secrets", INSTANCE: "external-secrets"}),
    "external-secrets/webhook": ("external-secrets", {NAME: "external-secrets-webhook", INSTANCE: "external-secrets"}),
    "external-secrets/cert-controller": (
        "external-secrets",
        {NAME: "external-secrets-cert-controller", INSTANCE: "external-secrets"},
    ),
}

WEBHOOK_PORTS = {
    "cert-manager/webhook": 10250,  # values.yaml webhook.securePort (cert-manager v1.21.1)
    "kserve/controller-manager": 9443,  # templates/deployment.yaml containerPort webhook-server (kserve v0.15.2)
    "external-secrets/webhook": 10250,  # values.yaml webhook.port (external-secrets helm-chart-2.3.0)
}


def all_system_flows(config: ClusterConfig | None = None) -> list[Flow]:
    flows = system_flows.system_flows(
        config or ClusterConfig(), autoscaler=True, api_server=API, control_plane=CONTROL_PLANE, endpoints=ENDPOINTS
    )
    return flows + secrets_values.operator_flows(api_server=API, control_plane=CONTROL_PLANE, endpoints=ENDPOINTS)


def workloads_of(flows: list[Flow]) -> dict[str, Workload]:
    return {w.name: w for w in FlowGraph(flows).workloads}


def rendered(flows: list[Flow]) -> list[dict[str, Any]]:
    """The policies ZeroTrust renders for these flows (kube-system passed like the others, so this works with
    ZeroTrust before and after it learns shared namespaces; the tests below look at per-workload policies)."""
    namespaces = ["cert-manager", "kserve", "external-secrets", "kube-system"]
    return render_network_policies(FlowGraph(flows), namespaces, VPC)


# --- Labels --------------------------------------------------------------------------------------------------


def test_every_system_workload_selects_the_labels_its_chart_sets() -> None:
    declared = workloads_of(all_system_flows())
    assert set(declared) == set(CHART_LABELS)
    for name, (namespace, labels) in CHART_LABELS.items():
        assert declared[name].namespace == namespace, name
        assert declared[name].selector == labels, name
        # Installed with the cluster, before any SecurityGroupPolicy: they keep the cluster security group.
        assert declared[name].own_security_group is False, name
    assert {s.workload.name for s in system_flows.CHART_SELECTORS} == set(CHART_LABELS)


def test_the_labels_were_read_at_the_versions_the_platform_pins() -> None:
    # Bumping a chart makes this fail: re-read its templates, then update the table and ``read_at``.
    read_at = {s.chart: s.read_at for s in system_flows.CHART_SELECTORS}
    kserve = KServeConfig()
    assert read_at["cert-manager"] == kserve.cert_manager_version
    assert read_at["kserve"] == kserve.version
    assert read_at["external-secrets"] == secrets_values.ESO_CHART_VERSION
    autoscaler_versions = {version for version, _ in charts.CLUSTER_AUTOSCALER_RELEASES.values()}
    assert autoscaler_versions <= set(read_at["cluster-autoscaler"].split(", "))
    for selector in system_flows.CHART_SELECTORS:
        assert "@" in selector.source and selector.chart in selector.source, selector


def test_no_workload_selects_another_ones_pods() -> None:
    workloads = list(workloads_of(all_system_flows()).values())
    for a in workloads:
        for b in workloads:
            if a is not b and a.namespace == b.namespace:
                assert not set(a.labels) <= set(b.labels), (a.name, b.name)


def test_values_keep_the_webhook_ports_and_the_label_inputs() -> None:
    # Nothing the platform sets changes what the labels and ports were read from.
    cert_manager = charts.cert_manager_values()
    assert "securePort" not in cert_manager["webhook"] and "nameOverride" not in cert_manager
    kserve = charts.kserve_values(storage_region="eu-west-1")["kserve"]["controller"]
    assert "labels" not in kserve and "podLabels" not in kserve
    eso = secrets_values.operator_values()
    assert "port" not in eso["webhook"] and "nameOverride" not in eso and "fullnameOverride" not in eso
    autoscaler = charts.cluster_autoscaler_values(
        cluster_name="mlops-dev", region="eu-west-1", role_arn="arn:aws:iam::1:role/r", image_tag="v1.34.5"
    )
    assert autoscaler["cloudProvider"] == "aws" and "nameOverride" not in autoscaler
    verified = {
        "cert-manager/webhook": system_flows.CERT_MANAGER_WEBHOOK_PORT,
        "kserve/controller-manager": system_flows.KSERVE_WEBHOOK_PORT,
        "external-secrets/webhook": secrets_values.WEBHOOK_PORT,
    }
    assert verified == WEBHOOK_PORTS


# --- Flows ---------------------------------------------------------------------------------------------------


def test_every_system_workload_reaches_the_api_on_443() -> None:
    flows = all_system_flows()
    to_api = {f.source.name for f in flows if f.destination is API}
    assert to_api == set(CHART_LABELS)
    assert all(f.port == 443 and f.protocol == "TCP" for f in flows if f.destination is API)


def test_the_control_plane_reaches_the_webhook_ports_only() -> None:
    flows = all_system_flows()
    from_control_plane = {(f.destination.name, f.port) for f in flows if f.source is CONTROL_PLANE}
    assert from_control_plane == set(WEBHOOK_PORTS.items())
    # Rendered: every ingress rule of the system workloads admits the control-plane subnets, on its webhook port.
    ingress = [p for p in rendered(flows) if p["metadata"]["name"].startswith("ingress-")]
    selected = set()
    for policy in ingress:
        for rule in policy["spec"]["ingress"]:
            assert [peer["ipBlock"]["cidr"] for peer in rule["from"]] == CP_CIDRS
            (port,) = rule["ports"]
            selected.add((tuple(sorted(policy["spec"]["podSelector"]["matchLabels"].items())), port["port"]))
    expected = {(tuple(sorted(CHART_LABELS[name][1].items())), port) for name, port in WEBHOOK_PORTS.items()}
    assert selected == expected


def test_only_the_autoscaler_and_the_secrets_controller_reach_the_endpoints() -> None:
    flows = all_system_flows()
    assert {f.source.name for f in flows if f.destination is ENDPOINTS} == {
        "kube-system/cluster-autoscaler",
        "external-secrets/controller",
    }


def test_no_system_policy_has_a_vpc_wide_ipblock() -> None:
    vpc = ipaddress.ip_network(VPC)
    narrow = {*CP_CIDRS, *ENDPOINTS.cidrs}
    for policy in rendered(all_system_flows()):
        spec = policy["spec"]
        for rule in [*spec.get("egress", []), *spec.get("ingress", [])]:
            for peer in [*rule.get("to", []), *rule.get("from", [])]:
                if "ipBlock" not in peer:
                    continue
                block = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                assert block.prefixlen == 32 or str(block) in narrow, (policy["metadata"], block)
                assert not vpc.subnet_of(block), (policy["metadata"], block)  # type: ignore[arg-type]


def test_rendered_system_policies_are_valid_manifests() -> None:
    for policy in rendered(all_system_flows()):
        kubernetes_validate.validate(policy, "1.34", strict=True)


def test_kube_system_declares_the_autoscaler_only() -> None:
    # No CoreDNS, no device plugin, no EKS add-on: kube-system gets no namespace-wide deny (system_flows).
    declared = workloads_of(all_system_flows())
    assert [name for name, w in declared.items() if w.namespace == "kube-system"] == ["kube-system/cluster-autoscaler"]
    assert system_flows.shared_namespaces(autoscaler=True) == ["kube-system"]
    assert system_flows.shared_namespaces(autoscaler=False) == []


def test_kserve_off_declares_no_cert_manager_or_kserve_workload() -> None:
    flows = system_flows.system_flows(
        ClusterConfig(kserve=KServeConfig(enabled=False)),
        autoscaler=False,
        api_server=API,
        control_plane=CONTROL_PLANE,
        endpoints=ENDPOINTS,
    )
    assert flows == []


def test_autoscaler_endpoint_services_match_the_air_gap_check() -> None:
    (needs,) = [n for n in CONTROLLER_SERVICES if n.controller == "cluster-autoscaler"]
    assert set(system_flows.AUTOSCALER_ENDPOINT_SERVICES) == set(needs.services)


def test_the_default_network_offers_the_autoscalers_endpoints() -> None:
    assert set(system_flows.AUTOSCALER_ENDPOINT_SERVICES) <= set(NetworkConfig().interface_endpoints)


# --- The components ------------------------------------------------------------------------------------------


def build_cluster(config: PlatformConfig) -> tuple[Graph, ServingCluster]:
    holder: list[ServingCluster] = []

    def program() -> None:
        provider = aws.Provider("aws", region=config.region)
        holder.append(
            ServingCluster(
                "serving",
                ServingClusterArgs(
                    config=config.cluster,
                    environment=config.environment,
                    region=config.region,
                    vpc_id="vpc-0123",
                    subnet_ids=["subnet-0a", "subnet-0b"],
                    vpc_cidr=config.network.cidr,
                    tags=config.required_tags,
                    namespaces=config.cluster.namespaces,
                    **network_args(config.network.cidr),
                ),
                opts=pulumi.ResourceOptions(providers={"aws": provider}),
            )
        )

    return run_program(program, config={"aws:region": config.region}), holder[0]


@pytest.fixture(scope="module")
def dev_cluster() -> tuple[Graph, ServingCluster]:
    return build_cluster(load_stack_file(ROOT / "stacks" / "Pulumi.dev.yaml"))


def test_cluster_flows_carry_the_system_flows(dev_cluster: tuple[Graph, ServingCluster]) -> None:
    _, cluster = dev_cluster
    names = workloads_of(cluster.flows)
    assert {n for n in names if names[n].own_security_group is False} == {
        n for n in CHART_LABELS if not n.startswith("external-secrets/")
    }
    api = [f for f in cluster.flows if f.destination is cluster.api_server]
    assert {f.source.name for f in api} == {n for n in CHART_LABELS if not n.startswith("external-secrets/")}
    webhooks = {(f.destination.name, f.port) for f in cluster.flows if f.source is cluster.control_plane}
    assert webhooks == {(n, p) for n, p in WEBHOOK_PORTS.items() if not n.startswith("external-secrets/")}


def test_instance_labels_are_the_release_names(dev_cluster: tuple[Graph, ServingCluster]) -> None:
    graph, _ = dev_cluster
    releases = {r.inputs["name"]: r.inputs for r in graph.by_type("kubernetes:helm.sh/v3:Release")}
    for name, (namespace, labels) in CHART_LABELS.items():
        if INSTANCE in labels and not name.startswith("external-secrets/"):
            assert releases[labels[INSTANCE]]["namespace"] == namespace, name
    assert releases["kserve"]["namespace"] == "kserve"


def test_secrets_operator_exposes_its_flows_namespace_and_aliases() -> None:
    captured: list[SecretsOperator] = []

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        captured.append(
            SecretsOperator(
                "secrets-operator",
                SecretsOperatorArgs(
                    k8s_provider=provider, api_server=API, control_plane=CONTROL_PLANE, endpoints=ENDPOINTS
                ),
            )
        )

    graph = run_program(program, config={"aws:region": "eu-west-1"})
    operator = captured[0]
    assert graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []
    assert {(f.source.name, f.destination.name, f.port) for f in operator.flows} == {
        ("external-secrets/controller", "kube-apiserver", 443),
        ("external-secrets/webhook", "kube-apiserver", 443),
        ("external-secrets/cert-controller", "kube-apiserver", 443),
        ("external-secrets/controller", "vpc-endpoints", 443),
        ("eks-control-plane", "external-secrets/webhook", 10250),
    }
    (release,) = graph.by_type("kubernetes:helm.sh/v3:Release")
    assert (
        release.inputs["name"] == secrets_values.ESO_RELEASE == CHART_LABELS["external-secrets/controller"][1][INSTANCE]
    )
    assert operator.namespace_resource is not None and operator.namespace == "external-secrets"
    # ZeroTrust's namespace-wide policies take over the two names this component used: one resource, new parent.
    assert set(operator.policy_aliases) == {
        ("external-secrets", "default-deny"),
        ("external-secrets", "allow-dns-egress"),
    }
    for (_, policy), aliases in operator.policy_aliases.items():
        (alias,) = aliases
        assert alias.name == f"secrets-operator-netpol-{policy}" and alias.parent is operator


def test_secrets_operator_needs_the_control_plane_subnets() -> None:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        bare = AwsSource(name="eks-control-plane", security_group_id="sg-0cluster")
        SecretsOperator(
            "eso", SecretsOperatorArgs(k8s_provider=provider, api_server=API, control_plane=bare, endpoints=ENDPOINTS)
        )

    with pytest.raises(Exception, match="control_plane has no cidrs"):
        run_program(program, config={"aws:region": "eu-west-1"})
