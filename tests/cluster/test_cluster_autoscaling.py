"""ServingCluster's GPU device plugin, Cluster Autoscaler and scale-from-zero tags, under the offline engine.

Built from the real stack files: prod has a GPU pool at min 0 and an autoscaled system pool; dev has
no GPU pool; a fixed-size variant (every pool min == max, no GPU) installs neither.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from cluster_testkit import network_args

from components.cluster import charts
from components.cluster.component import ServingCluster, ServingClusterArgs
from components.config import PlatformConfig, load_stack_file
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ROOT = Path(__file__).resolve().parents[2]
RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASG_TAG = "aws:autoscaling/tag:Tag"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def stack(name: str) -> PlatformConfig:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml")


def build(config: PlatformConfig) -> Graph:
    def program() -> None:
        provider = aws.Provider(
            "aws", region=config.region, default_tags=aws.ProviderDefaultTagsArgs(tags=config.required_tags)
        )
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
                **network_args(config.network.cidr, config.network.az_count),
            ),
            opts=pulumi.ResourceOptions(providers={"aws": provider}),
        )

    return run_program(program, config={"aws:region": config.region})


@pytest.fixture(scope="module")
def prod() -> Graph:
    return build(stack("prod"))


@pytest.fixture(scope="module")
def dev() -> Graph:
    return build(stack("dev"))


@pytest.fixture(scope="module")
def fixed() -> Graph:
    """dev with a fixed-size system pool (min == max) and no GPU pool."""
    base = stack("dev")
    pool = base.cluster.system_pool.model_copy(update={"min_size": 2, "desired_size": 2, "max_size": 2})
    return build(base.model_copy(update={"cluster": base.cluster.model_copy(update={"system_pool": pool})}))


def releases(graph: Graph) -> dict[str, Registration]:
    return {r.inputs["name"]: r for r in graph.by_type(RELEASE)}


def one(graph: Graph, type_: str, name: str) -> Registration:
    (match,) = [r for r in graph.by_type(type_) if r.name == name]
    return match


# --- When ------------------------------------------------------------------------------------------


def test_prod_installs_the_device_plugin_and_the_autoscaler(prod: Graph) -> None:
    assert {"nvidia-device-plugin", "cluster-autoscaler"} <= set(releases(prod))


def test_no_gpu_pool_no_device_plugin_but_autoscaler_for_the_scalable_system_pool(dev: Graph) -> None:
    assert "nvidia-device-plugin" not in releases(dev)
    assert "cluster-autoscaler" in releases(dev)
    assert dev.by_type(ASG_TAG) == []  # the system pool never scales from zero


def test_fixed_size_pools_get_neither(fixed: Graph) -> None:
    assert not {"nvidia-device-plugin", "cluster-autoscaler"} & set(releases(fixed))
    assert [r for r in fixed.resources if "cluster-autoscaler" in r.name] == []
    assert fixed.by_type(ASG_TAG) == []


# --- Device plugin ---------------------------------------------------------------------------------


def test_device_plugin_is_pinned_from_nvidias_repo_on_the_gpu_pool(prod: Graph) -> None:
    plugin = releases(prod)["nvidia-device-plugin"].inputs
    assert plugin["chart"] == "nvidia-device-plugin"
    assert plugin["version"] == charts.NVIDIA_DEVICE_PLUGIN_VERSION == "0.17.4"
    assert plugin["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}
    assert plugin["namespace"] == "kube-system"
    v = plugin["values"]
    assert v["nodeSelector"] == {"mlops/pool": "gpu"}
    gpu_group = one(prod, NODE_GROUP, "serving-gpu").inputs
    # The selector matches the label the GPU node group actually sets, and the toleration its taint.
    assert gpu_group["labels"]["mlops/pool"] == v["nodeSelector"]["mlops/pool"]
    (taint,) = gpu_group["taints"]
    (toleration,) = v["tolerations"]
    assert (toleration["key"], toleration["value"], toleration["effect"]) == (
        taint["key"],
        taint["value"],
        "NoSchedule",
    )
    assert v["resources"]["limits"] and v["resources"]["requests"]
    assert "image" not in v  # the image is the chart version's appVersion


# --- Cluster Autoscaler ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_autoscaler_chart_matches_the_clusters_kubernetes_minor(name: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(name)
    version = stack(name).cluster.version
    chart_version, image_tag = charts.CLUSTER_AUTOSCALER_RELEASES[version]
    autoscaler = releases(graph)["cluster-autoscaler"].inputs
    assert autoscaler["chart"] == "cluster-autoscaler"
    assert autoscaler["version"] == chart_version
    assert autoscaler["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert autoscaler["namespace"] == "kube-system"
    v = autoscaler["values"]
    assert v["image"]["tag"] == image_tag and image_tag.startswith(f"v{version}.")
    assert v["autoDiscovery"] == {"clusterName": f"mlops-{stack(name).environment}"}
    assert v["awsRegion"] == "eu-west-1"


def test_autoscaler_uses_its_irsa_role_trusted_by_kube_system_cluster_autoscaler(prod: Graph) -> None:
    role = one(prod, ROLE, "serving-cluster-autoscaler-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    equals = statement["Condition"]["StringEquals"]
    assert sorted(equals.values()) == ["sts.amazonaws.com", "system:serviceaccount:kube-system:cluster-autoscaler"]
    release = releases(prod)["cluster-autoscaler"]
    annotations = release.inputs["values"]["rbac"]["serviceAccount"]
    assert annotations["name"] == "cluster-autoscaler"
    assert annotations["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/serving-cluster-autoscaler-role"
    )
    assert role.urn in release.dependencies


def test_autoscaler_policy_is_least_privilege_in_the_plan(prod: Graph) -> None:
    policy = json.loads(one(prod, ROLE_POLICY, "serving-cluster-autoscaler-policy").inputs["policy"])
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"]
        assert "*" not in actions
        star = statement["Resource"] == "*"
        writes = [a for a in actions if not a.split(":", 1)[1].startswith(("Describe", "Get"))]
        assert not (star and writes), statement
    (scale,) = [s for s in policy["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"]]
    assert scale["Condition"]["StringEquals"]["aws:ResourceTag/eks:cluster-name"] == "mlops-prod"


def test_autoscaler_runs_after_nodes_and_coredns(prod: Graph) -> None:
    release = releases(prod)["cluster-autoscaler"]
    assert one(prod, NODE_GROUP, "serving-system").urn in release.dependencies
    assert one(prod, "aws:eks/addon:Addon", "serving-coredns").urn in release.dependencies


# --- Scale from zero --------------------------------------------------------------------------------


def test_gpu_pool_asg_advertises_its_template_for_scale_from_zero(prod: Graph) -> None:
    tags = prod.by_type(ASG_TAG)
    found = {t.inputs["tag"]["key"]: t.inputs["tag"]["value"] for t in tags}
    assert found == {
        "k8s.io/cluster-autoscaler/node-template/label/mlops/pool": "gpu",
        "k8s.io/cluster-autoscaler/node-template/label/nvidia.com/gpu.present": "true",
        "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "true:NoSchedule",
        "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "1",  # g5.xlarge/2xlarge: one A10G
    }
    gpu_group = one(prod, NODE_GROUP, "serving-gpu").urn
    for tag in tags:
        assert tag.inputs["tag"]["propagateAtLaunch"] is False
        assert gpu_group in tag.dependencies  # the ASG is the GPU node group's


# --- Provider and policy pack ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod", "fixed"])
def test_every_kubernetes_resource_uses_the_cluster_provider(name: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(name)
    (provider,) = graph.by_type(K8S_PROVIDER)
    kube = [r for r in graph.resources if r.type.startswith("kubernetes:")]
    assert kube
    for resource in kube:
        assert resource.provider is not None and resource.provider.rsplit("::", 1)[0] == provider.urn, resource.urn


def test_prod_adds_no_policy_violation(prod: Graph) -> None:
    report = evaluate(prod)
    left = {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in report.violations}
    # Default-deny for the workload and controller namespaces is the ZeroTrust component's (wired by the platform).
    namespaces = [*stack("prod").cluster.namespaces, "cert-manager", "kserve"]
    owned_elsewhere = {("k8s-namespace-default-deny", f"serving-ns-{ns}") for ns in namespaces}
    assert left == owned_elsewhere
    new_resources = {r.urn for r in prod.resources if "autoscaler" in r.name or "nvidia" in r.name or r.type == ASG_TAG}
    assert new_resources
    assert not [v for v in report.violations if v.urn in new_resources]
