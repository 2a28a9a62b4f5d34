"""Pure helpers of the serving cluster: every value the component puts into the plan, checked directly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import cluster_values as values
from components.config import ClusterConfig, KServeConfig, NodePoolConfig

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


def test_vpc_cni_enables_network_policy_with_the_documented_string_value() -> None:
    assert json.loads(values.vpc_cni_configuration()) == {"enableNetworkPolicy": "true"}


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
    assert values.ami_type("system", types, gpu=gpu) == expected


def test_mixed_architectures_are_rejected_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"mlops:cluster\.gpuPool\.instanceTypes .* mix x86_64 and arm64"):
        values.ami_type("gpu", ["g5.xlarge", "g5g.xlarge"], gpu=True)


def test_node_pools_system_only_by_default() -> None:
    (system,) = values.node_pool_specs(ClusterConfig())
    assert system.role == "system"
    assert system.labels == {"mlops/pool": "system"}
    assert system.taints == ()
    assert system.ami_type == "AL2023_x86_64_STANDARD"


def test_gpu_pool_is_tainted_labelled_and_may_scale_to_zero() -> None:
    gpu_pool = NodePoolConfig(instance_types=["g5.xlarge"], min_size=0, desired_size=0, max_size=4)
    _, gpu = values.node_pool_specs(ClusterConfig(gpu_pool=gpu_pool))
    assert gpu.role == "gpu"
    assert gpu.taints == ({"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},)
    assert gpu.labels["mlops/pool"] == "gpu"
    assert gpu.ami_type == "AL2023_x86_64_NVIDIA"
    assert (gpu.pool.min_size, gpu.pool.desired_size, gpu.pool.max_size) == (0, 0, 4)


def test_launch_template_values_require_imdsv2_hop_one_and_encrypted_gp3() -> None:
    assert values.metadata_options() == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
    }
    volume = values.root_volume(200)
    assert volume["encrypted"] == "true"
    assert volume["volume_type"] == "gp3"
    assert volume["volume_size"] == 200


def test_tag_specifications_cover_instances_and_volumes() -> None:
    tags = {"owner": "team", "environment": "dev", "cost-center": "cc-1"}
    specs = values.tag_specifications(tags)
    assert [s["resource_type"] for s in specs] == ["instance", "volume"]
    assert all(s["tags"] == tags for s in specs)


def test_kubeconfig_gets_a_token_from_aws_eks_get_token_and_embeds_no_credential() -> None:
    text = values.kubeconfig(
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
    labels = values.psa_labels("restricted", "1.34")
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.34"


def test_cert_manager_values_install_crds_and_harden_every_component() -> None:
    chart = values.cert_manager_values()
    assert chart["crds"] == {"enabled": True, "keep": True}
    for component in (chart, chart["webhook"], chart["cainjector"], chart["startupapicheck"]):
        assert component["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        container = component["containerSecurityContext"]
        assert container["allowPrivilegeEscalation"] is False
        assert container["capabilities"] == {"drop": ["ALL"]}
        assert set(component["resources"]["limits"]) == {"cpu", "memory"}
        assert component["nodeSelector"] == {"mlops/pool": "system"}


def test_kserve_values_raw_deployment_hardened_controller_no_ingress() -> None:
    chart = values.kserve_values(storage_region="eu-west-1")["kserve"]
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
    assert values.system_namespaces(ClusterConfig()) == {"cert-manager": "restricted", "kserve": "restricted"}
    assert values.system_namespaces(ClusterConfig(kserve=KServeConfig(enabled=False))) == {}


def test_cluster_key_policy_lets_logs_use_the_key_for_the_control_plane_group_only() -> None:
    policy = json.loads(
        values.cluster_key_policy(
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
    policy = json.loads(values.node_key_policy(partition="aws", account=ACCOUNT))
    slr = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    _, use, grant = policy["Statement"]
    assert use["Principal"] == {"AWS": slr}
    assert "kms:GenerateDataKey*" in use["Action"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_region_fence_denies_other_regions_only() -> None:
    (statement,) = values.region_fence("eu-west-1", ["ec2"])
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_partition_and_managed_arns(region: str, partition: str) -> None:
    assert values.managed_policy_arn(region, "AmazonEKSClusterPolicy") == (
        f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy"
    )
    assert values.access_policy_arn(region) == (
        f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )


def test_account_of_reads_the_arn_and_rejects_garbage() -> None:
    assert values.account_of(f"arn:aws:iam::{ACCOUNT}:role/x") == ACCOUNT
    with pytest.raises(ValueError, match="not an ARN with an account id"):
        values.account_of("arn:aws:s3:::bucket")


@pytest.mark.parametrize(("vpc", "expected"), [("10.40.0.0/16", "172.20.0.0/16"), ("172.20.0.0/16", "10.100.0.0/16")])
def test_service_cidr_avoids_the_vpc(vpc: str, expected: str) -> None:
    assert values.service_cidr(vpc) == expected


def test_service_cidr_fails_when_both_ranges_overlap() -> None:
    with pytest.raises(ValueError, match="overlaps both"):
        values.service_cidr("0.0.0.0/0")


def test_system_network_policies_default_deny_then_only_dns_api_and_webhooks() -> None:
    policies = values.system_network_policies("kserve", vpc_cidr="10.40.0.0/16", service_cidr="172.20.0.0/16")
    by_name = {p["metadata"]["name"]: p["spec"] for p in policies}
    assert by_name["system-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (dns,) = by_name["system-allow-dns"]["egress"]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    (api,) = by_name["system-allow-apiserver"]["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "172.20.0.1/32"}}, {"ipBlock": {"cidr": "10.40.0.0/16"}}]
    assert api["ports"] == [{"protocol": "TCP", "port": 443}]
    (webhook,) = by_name["system-allow-webhooks"]["ingress"]
    assert webhook == {"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 9443}]}
    assert all(p["metadata"]["namespace"] == "kserve" for p in policies)
