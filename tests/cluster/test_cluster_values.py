"""Pure helpers of the serving cluster: every value the component puts into the plan, checked directly."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.cluster import autoscaling, charts, control_plane, kube, nodes
from components.cluster.config import ClusterConfig, KServeConfig, NodePoolConfig

ACCOUNT = "123456789012"


def walk(tree: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in a nested dict/list."""
    found: list[Any] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                found.append(v)
            found.extend(walk(v, key))
    elif isinstance(tree, list):
        for item in tree:
            found.extend(walk(item, key))
    return found


def test_vpc_cni_enables_network_policy_and_pod_security_groups_in_standard_mode() -> None:
    assert json.loads(control_plane.vpc_cni_configuration()) == {
        "enableNetworkPolicy": "true",
        # standard, not strict: NetworkPolicies keep applying to pods with their own security group.
        "env": {"ENABLE_POD_ENI": "true", "POD_SECURITY_GROUP_ENFORCING_MODE": "standard"},
        "init": {"env": {"DISABLE_TCP_EARLY_DEMUX": "true"}},
    }


@pytest.mark.parametrize(
    ("types", "gpu", "expected"),
    [
        (["m7i.large", "m6a.xlarge"], False, "AL2023_x86_64_STANDARD"),
        (["m7g.large", "c7gn.xlarge", "r8gd.2xlarge", "t4g.medium"], False, "AL2023_ARM_64_STANDARD"),
        (["g5.xlarge", "g6e.2xlarge", "p5.48xlarge"], True, "AL2023_x86_64_NVIDIA"),
        (["g5g.xlarge"], True, "AL2023_ARM_64_NVIDIA"),
        (["m7i-flex.large"], False, "AL2023_x86_64_STANDARD"),
    ],
)
def test_ami_type_follows_architecture_and_accelerator(types: list[str], gpu: bool, expected: str) -> None:
    assert nodes.ami_type("system", types, gpu=gpu) == expected


def test_mixed_architectures_are_rejected_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"mlops:cluster\.gpuPool\.instanceTypes .* mix x86_64 and arm64"):
        nodes.ami_type("gpu", ["g5.xlarge", "g5g.xlarge"], gpu=True)


def test_node_pools_system_only_by_default() -> None:
    (system,) = nodes.node_pool_specs(ClusterConfig())
    assert system.role == "system"
    assert system.labels == {"mlops/pool": "system"}
    assert system.taints == ()
    assert system.ami_type == "AL2023_x86_64_STANDARD"


def test_gpu_pool_is_tainted_labelled_and_may_scale_to_zero() -> None:
    gpu_pool = NodePoolConfig(instance_types=["g5.xlarge"], min_size=0, desired_size=0, max_size=4)
    _, gpu = nodes.node_pool_specs(ClusterConfig(gpu_pool=gpu_pool))
    assert gpu.role == "gpu"
    assert gpu.taints == ({"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},)
    assert gpu.labels["mlops/pool"] == "gpu"
    assert gpu.ami_type == "AL2023_x86_64_NVIDIA"
    assert (gpu.pool.min_size, gpu.pool.desired_size, gpu.pool.max_size) == (0, 0, 4)


def test_launch_template_values_require_imdsv2_hop_one_and_encrypted_gp3() -> None:
    assert nodes.metadata_options() == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
    }
    volume = nodes.root_volume(200)
    assert volume["encrypted"] == "true"
    assert volume["volume_type"] == "gp3"
    assert volume["volume_size"] == 200


def test_tag_specifications_cover_instances_and_volumes() -> None:
    tags = {"owner": "team", "environment": "dev", "cost-center": "cc-1"}
    specs = nodes.tag_specifications(tags)
    assert [s["resource_type"] for s in specs] == ["instance", "volume"]
    assert all(s["tags"] == tags for s in specs)


def test_kubeconfig_gets_a_token_from_aws_eks_get_token_and_embeds_no_credential() -> None:
    text = kube.kubeconfig(
        cluster_name="mlops-dev",
        endpoint="https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        ca_data="Q0E=",
        region="eu-west-1",
    )
    config = json.loads(text)
    (cluster,) = config["clusters"]
    assert cluster["cluster"] == {
        "server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    assert config["current-context"] == "mlops-dev"
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}  # no token, password or client key
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "mlops-dev", "--region", "eu-west-1"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"


def test_psa_labels_enforce_audit_and_warn_pinned_to_the_cluster_version() -> None:
    labels = kube.psa_labels("restricted", "1.34")
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.34"


def test_cert_manager_values_install_crds_and_harden_every_component() -> None:
    chart = charts.cert_manager_values()
    assert chart["crds"] == {"enabled": True, "keep": True}
    for component in (chart, chart["webhook"], chart["cainjector"], chart["startupapicheck"]):
        assert component["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        container = component["containerSecurityContext"]
        assert container["allowPrivilegeEscalation"] is False
        assert container["capabilities"] == {"drop": ["ALL"]}
        assert set(component["resources"]["limits"]) == {"cpu", "memory"}
        assert component["nodeSelector"] == {"mlops/pool": "system"}


def test_kserve_values_raw_deployment_hardened_controller_no_ingress() -> None:
    chart = charts.kserve_values(storage_region="eu-west-1")["kserve"]
    controller = chart["controller"]
    assert controller["deploymentMode"] == "RawDeployment"
    assert controller["gateway"] == {"disableIngressCreation": True}
    assert controller["securityContext"]["runAsNonRoot"] is True
    assert controller["containerSecurityContext"]["allowPrivilegeEscalation"] is False
    assert set(controller["resources"]["limits"]) == {"cpu", "memory"}
    assert set(controller["rbacProxy"]["resources"]["limits"]) == {"cpu", "memory"}
    initializer = chart["storage"]["containerSecurityContext"]
    assert initializer["runAsNonRoot"] is True
    assert initializer["seccompProfile"] == {"type": "RuntimeDefault"}
    assert initializer["capabilities"] == {"drop": ["ALL"]}
    # No value anywhere runs as root or escalates.
    assert all(v is True for v in walk(chart, "runAsNonRoot"))
    assert all(v is False for v in walk(chart, "allowPrivilegeEscalation"))


def test_system_namespaces_only_with_kserve() -> None:
    assert kube.system_namespaces(ClusterConfig()) == {"cert-manager": "restricted", "kserve": "restricted"}
    assert kube.system_namespaces(ClusterConfig(kserve=KServeConfig(enabled=False))) == {}


def test_cluster_key_policy_lets_logs_use_the_key_for_the_control_plane_group_only() -> None:
    policy = json.loads(
        control_plane.cluster_key_policy(
            partition="aws", account=ACCOUNT, region="eu-west-1", log_group="/aws/eks/mlops-dev/cluster"
        )
    )
    root, logs = policy["Statement"]
    assert root["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/eks/mlops-dev/cluster"
        }
    }


def test_node_key_policy_admits_the_auto_scaling_service_linked_role() -> None:
    policy = json.loads(nodes.node_key_policy(partition="aws", account=ACCOUNT))
    slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    _, use, grant = policy["Statement"]
    assert use["Principal"] == {"AWS": slr}
    assert "kms:GenerateDataKey*" in use["Action"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_region_fence_denies_other_regions_only() -> None:
    (statement,) = control_plane.region_fence("eu-west-1", ["ec2"])
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_partition_and_managed_arns(region: str, partition: str) -> None:
    assert control_plane.managed_policy_arn(region, "AmazonEKSClusterPolicy") == (
        f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    assert control_plane.access_policy_arn(region) == (
        f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )


def test_account_of_reads_the_arn_and_rejects_garbage() -> None:
    assert control_plane.account_of(f"arn:aws:iam::{ACCOUNT}:role/x") == ACCOUNT
    with pytest.raises(ValueError, match="not an ARN with an account id"):
        control_plane.account_of("arn:aws:s3:::bucket")


@pytest.mark.parametrize(("vpc", "expected"), [("10.40.0.0/16", "172.20.0.0/16"), ("172.20.0.0/16", "10.100.0.0/16")])
def test_service_cidr_avoids_the_vpc(vpc: str, expected: str) -> None:
    assert kube.service_cidr(vpc) == expected


def test_service_cidr_fails_when_both_ranges_overlap() -> None:
    with pytest.raises(ValueError, match="overlaps both"):
        kube.service_cidr("0.0.0.0/0")


def test_api_server_service_ip_is_the_first_host_of_the_service_cidr() -> None:
    assert kube.api_server_service_ip("172.20.0.0/16") == "172.20.0.1"
    assert kube.api_server_service_ip("10.100.0.0/16") == "10.100.0.1"


# --- GPU device plugin and Cluster Autoscaler ------------------------------------------------------


def pools(system: tuple[int, int], gpu: tuple[int, int] | None = None) -> ClusterConfig:
    """A cluster config with the given (min, max) sizes; desired = min."""
    sys_pool = NodePoolConfig(
        instance_types=["m7i.large"], min_size=system[0], desired_size=system[0], max_size=system[1]
    )
    gpu_pool = (
        None
        if gpu is None
        else NodePoolConfig(
            instance_types=["g5.xlarge", "g5.2xlarge"], min_size=gpu[0], desired_size=gpu[0], max_size=gpu[1]
        )
    )
    return ClusterConfig(system_pool=sys_pool, gpu_pool=gpu_pool)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (pools((2, 2)), False),
        (pools((2, 4)), True),
        (pools((2, 2), (0, 4)), True),
        (pools((3, 3), (1, 1)), False),
    ],
)
def test_autoscaler_only_when_some_pool_can_change_size(config: ClusterConfig, expected: bool) -> None:
    assert autoscaling.needs_autoscaler(config) is expected


def test_autoscaler_release_pinned_for_every_supported_kubernetes_minor() -> None:
    from components.config_base import SUPPORTED_KUBERNETES_VERSIONS

    assert sorted(charts.CLUSTER_AUTOSCALER_RELEASES) == sorted(SUPPORTED_KUBERNETES_VERSIONS)
    for minor, (chart, tag) in charts.CLUSTER_AUTOSCALER_RELEASES.items():
        assert charts.cluster_autoscaler_release(minor) == (chart, tag)
        assert re.fullmatch(r"\d+\.\d+\.\d+", chart), chart
        # The image's minor is the cluster's minor: the autoscaler supports only the version it was built for.
        assert re.fullmatch(rf"v{re.escape(minor)}\.\d+", tag), (minor, tag)


def test_autoscaler_release_rejects_an_unpinned_version_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"mlops:cluster\.version '1\.29'.*allowed: \['1\.33', '1\.34', '1\.35'\]"):
        charts.cluster_autoscaler_release("1.29")


def test_device_plugin_chart_is_pinned_to_an_exact_version() -> None:
    assert charts.NVIDIA_DEVICE_PLUGIN_REPO == "https://nvidia.github.io/k8s-device-plugin"
    assert charts.NVIDIA_DEVICE_PLUGIN_CHART == "nvidia-device-plugin"
    assert re.fullmatch(r"\d+\.\d+\.\d+", charts.NVIDIA_DEVICE_PLUGIN_VERSION)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["g5.xlarge", "g5.2xlarge"], 1),
        (["g5.12xlarge", "g5.48xlarge"], 4),
        (["p4d.24xlarge"], 8),
        (["g5.xlarge", "x9.unknown"], None),
        ([], None),
    ],
)
def test_gpus_per_node_is_the_smallest_known_count(types: list[str], expected: int | None) -> None:
    assert autoscaling.gpus_per_node(types) == expected


def test_node_template_tags_advertise_the_gpu_pools_labels_taint_and_gpus() -> None:
    (_, gpu) = nodes.node_pool_specs(pools((2, 4), (0, 4)))
    assert autoscaling.node_template_tags(gpu, gpu=True) == {
        "k8s.io/cluster-autoscaler/node-template/label/mlops/pool": "gpu",
        "k8s.io/cluster-autoscaler/node-template/label/nvidia.com/gpu.present": "true",
        "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "true:NoSchedule",
        "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "1",
    }


def test_node_template_tags_omit_the_gpu_resource_for_unknown_types() -> None:
    config = pools((2, 4), (0, 4))
    assert config.gpu_pool is not None
    odd = config.model_copy(
        update={"gpu_pool": config.gpu_pool.model_copy(update={"instance_types": ["g5.xlarge", "g99.huge"]})}
    )
    (_, gpu) = nodes.node_pool_specs(odd)
    tags = autoscaling.node_template_tags(gpu, gpu=True)
    assert not any("/resources/" in key for key in tags)
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"


class _Group:
    def __init__(self, name: str) -> None:
        self.name = name


class _Resource:
    def __init__(self, *names: str) -> None:
        self.autoscaling_groups = [_Group(n) for n in names]


def test_autoscaling_group_name_from_the_node_group_resources() -> None:
    assert autoscaling.autoscaling_group_name([_Resource("eks-gpu-1234")]) == "eks-gpu-1234"
    assert autoscaling.autoscaling_group_name([{"autoscaling_groups": [{"name": "eks-gpu-5678"}]}]) == "eks-gpu-5678"
    assert autoscaling.autoscaling_group_name(None) is None
    with pytest.raises(ValueError, match="no Auto Scaling group"):
        autoscaling.autoscaling_group_name([_Resource()])


def autoscaler_policy() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        autoscaling.cluster_autoscaler_policy(cluster_name="mlops-prod", region="eu-west-1", account=ACCOUNT)
    )
    return doc


def test_autoscaler_policy_has_no_wildcard_action_and_no_write_on_star() -> None:
    for statement in autoscaler_policy()["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow":
            assert "*" not in actions and not any(a.endswith(":*") for a in actions)
            if statement["Resource"] == "*" or "*" in statement["Resource"]:
                for action in actions:
                    verb = action.split(":", 1)[1]
                    assert verb.startswith(("Describe", "Get")), action


def test_autoscaler_may_scale_only_this_clusters_node_groups() -> None:
    statements = {s["Sid"]: s for s in autoscaler_policy()["Statement"]}
    scale = statements["ScaleOwnNodeGroups"]
    assert sorted(scale["Action"]) == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert scale["Resource"] == [f"arn:aws:autoscaling:eu-west-1:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*"]
    assert scale["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/eks:cluster-name": "mlops-prod",
            "aws:ResourceTag/k8s.io/cluster-autoscaler/mlops-prod": "owned",
        }
    }
    assert statements["DescribeOwnNodegroups"]["Resource"] == [
        f"arn:aws:eks:eu-west-1:{ACCOUNT}:nodegroup/mlops-prod/*/*"
    ]
    fence = statements["StayInClusterRegion"]
    assert fence["Effect"] == "Deny"
    assert fence["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    # Every allowed action is one the autoscaler's AWS provider documents; nothing else.
    allowed = {a for s in statements.values() if s["Effect"] == "Allow" for a in s["Action"]}
    assert {a.split(":")[0] for a in allowed} == {"autoscaling", "ec2", "eks"}


def test_autoscaler_policy_follows_the_partition() -> None:
    doc = json.loads(autoscaling.cluster_autoscaler_policy(cluster_name="c", region="cn-north-1", account=ACCOUNT))
    resources = [r for s in doc["Statement"] if isinstance(s["Resource"], list) for r in s["Resource"]]
    assert resources and all(r.startswith("arn:aws-cn:") for r in resources)


def test_autoscaler_values_discover_this_cluster_with_irsa_on_the_system_pool() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/ca"
    v = charts.cluster_autoscaler_values(
        cluster_name="mlops-prod", region="eu-west-1", role_arn=role, image_tag="v1.34.5"
    )
    assert v["cloudProvider"] == "aws"
    assert v["autoDiscovery"] == {"clusterName": "mlops-prod"}
    assert v["awsRegion"] == "eu-west-1"
    assert v["image"] == {"repository": "registry.k8s.io/autoscaling/cluster-autoscaler", "tag": "v1.34.5"}
    sa = v["rbac"]["serviceAccount"]
    assert sa["name"] == "cluster-autoscaler"
    assert sa["annotations"] == {"eks.amazonaws.com/role-arn": role}
    assert v["nodeSelector"] == {"mlops/pool": "system"}
    assert v["securityContext"]["runAsNonRoot"] is True and v["securityContext"]["runAsUser"] != 0
    assert v["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    assert v["containerSecurityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert v["resources"]["limits"] == {"cpu": "500m", "memory": "600Mi"}


def test_device_plugin_values_run_only_on_the_gpu_pool_tolerating_its_taint() -> None:
    v = charts.device_plugin_values()
    assert v["nodeSelector"] == {"mlops/pool": "gpu"}
    (term,) = v["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": "mlops/pool", "operator": "In", "values": ["gpu"]}]}
    assert v["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert v["resources"]["limits"] == {"cpu": "200m", "memory": "256Mi"}
    context = v["securityContext"]
    assert context["privileged"] is False and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    # Root is required (kubelet socket dir); nothing claims otherwise, and no image override: the chart pins it.
    assert walk(v, "runAsNonRoot") == [] and walk(v, "image") == []
    assert v["gfd"] == {"enabled": False} and v["nfd"] == {"enabled": False}
