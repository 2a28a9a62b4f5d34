"""ServingCluster under the offline engine: every control of issue 6 visible in the captured inputs.

The dev and prod graphs are built from the real stack files' cluster sections, so the controls are
checked on the configurations that ship; one extra variant opens the public endpoint, adds admin
principals and turns KServe off.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from cluster_testkit import ENDPOINTS_SECURITY_GROUP, control_plane_cidrs, network_args
from google.protobuf import json_format

from components.cluster.component import PREDICTORS, TRANSFORMERS, ServingCluster, ServingClusterArgs, validate_args
from components.config import PlatformConfig, load_stack_file
from contracts.flows import AwsDestination, AwsSource
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ROOT = Path(__file__).resolve().parents[2]
SUBNETS = ["subnet-0a", "subnet-0b", "subnet-0c"]
ADMINS = ["arn:aws:iam::123456789012:role/platform-admins", "arn:aws:iam::123456789012:role/ci-deployer"]

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_PROVIDER = "pulumi:providers:kubernetes"


class Built:
    """A captured graph plus the component object (for its plain attributes: flows, namespaces)."""

    def __init__(self, graph: Graph, cluster: ServingCluster, config: PlatformConfig) -> None:
        self.graph = graph
        self.cluster = cluster
        self.config = config

    def one(self, type_: str, name: str | None = None) -> Registration:
        matches = [r for r in self.graph.by_type(type_) if name is None or r.name == name]
        assert len(matches) == 1, [r.name for r in matches]
        return matches[0]

    def urn(self, type_: str, name: str) -> str:
        return self.one(type_, name).urn


def build(config: PlatformConfig) -> Built:
    holder: list[ServingCluster] = []

    def program() -> None:
        # As MlopsPlatform wires it: an explicit AWS provider carrying the required tags as default tags.
        aws_provider = aws.Provider(
            "aws", region=config.region, default_tags=aws.ProviderDefaultTagsArgs(tags=config.required_tags)
        )
        cluster = ServingCluster(
            "serving",
            ServingClusterArgs(
                config=config.cluster,
                environment=config.environment,
                region=config.region,
                vpc_id="vpc-0123",
                subnet_ids=SUBNETS,
                vpc_cidr=config.network.cidr,
                tags=config.required_tags,
                namespaces=config.cluster.namespaces,
                **network_args(config.network.cidr, config.network.az_count),
            ),
            opts=pulumi.ResourceOptions(providers={"aws": aws_provider}),
        )
        holder.append(cluster)
        pulumi.export("clusterName", cluster.cluster_name)
        pulumi.export("endpoint", cluster.endpoint)
        pulumi.export("oidcProviderArn", cluster.oidc_provider_arn)
        pulumi.export("oidcIssuer", cluster.oidc.issuer_url)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("nodeRoleArn", cluster.node_role_arn)
        pulumi.export("workloadSecurityGroupId", cluster.workload_security_group_id)
        pulumi.export("vpcId", cluster.vpc_id)

    graph = run_program(program, config={"aws:region": config.region})
    return Built(graph, holder[0], config)


def stack(name: str) -> PlatformConfig:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml")


@pytest.fixture(scope="module")
def dev() -> Built:
    return build(stack("dev"))


@pytest.fixture(scope="module")
def prod() -> Built:
    return build(stack("prod"))


@pytest.fixture(scope="module")
def opened() -> Built:
    """dev, with a public endpoint for one CIDR, two admin principals and KServe switched off."""
    base = stack("dev")
    cluster = base.cluster.model_copy(
        update={
            "public_access_cidrs": ["203.0.113.0/24"],
            "admin_principals": ADMINS,
            "kserve": base.cluster.kserve.model_copy(update={"enabled": False}),
        }
    )
    return build(base.model_copy(update={"cluster": cluster}))


@pytest.fixture(scope="module", params=["dev", "prod", "opened"])
def any_built(request: pytest.FixtureRequest) -> Built:
    built: Built = request.getfixturevalue(request.param)
    return built


def decode_secret(registration: Registration, key: str) -> Any:
    """The plain value behind a secret input (for checking a secret's content, never printed)."""
    raw = json_format.MessageToDict(registration.wire)[key]
    assert raw.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270"  # secret signature
    return raw["value"]


# --- Shape ------------------------------------------------------------------------------------------


def test_resource_counts_dev(dev: Built) -> None:
    counts = Counter(r.type for r in dev.graph.resources)
    assert counts == {
        "mlops:cluster:ServingCluster": 1,
        "pulumi:providers:aws": 1,
        CLUSTER: 1,
        "aws:cloudwatch/logGroup:LogGroup": 1,
        "aws:kms/key:Key": 2,
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": 1,  # Auto Scaling's, before the node key names it
        ROLE: 5,  # cluster, node, vpc-cni IRSA, EBS CSI IRSA, cluster-autoscaler IRSA
        "aws:iam/rolePolicy:RolePolicy": 4,  # cluster KMS, vpc-cni fence, EBS CSI key use, autoscaler
        ATTACHMENT: 6,  # cluster policy + VPC resource controller, 2 node policies, vpc-cni, EBS CSI
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 1,
        ADDON: 5,
        LAUNCH_TEMPLATE: 1,
        NODE_GROUP: 1,
        K8S_PROVIDER: 1,
        NAMESPACE: 5,  # serving, mlflow, airflow + cert-manager, kserve (their NetworkPolicies: ZeroTrust's)
        "kubernetes:storage.k8s.io/v1:StorageClass": 1,
        RELEASE: 4,  # cert-manager, kserve-crd, kserve + cluster-autoscaler (the system pool scales 2..4)
    }


def test_prod_adds_the_gpu_pool_and_the_notebooks_namespace(prod: Built) -> None:
    assert sorted(r.name for r in prod.graph.by_type(NODE_GROUP)) == ["serving-gpu", "serving-system"]
    assert sorted(r.name for r in prod.graph.by_type(LAUNCH_TEMPLATE)) == ["serving-gpu-lt", "serving-system-lt"]
    assert "notebooks" in prod.cluster.namespaces


def test_every_child_is_under_the_component(any_built: Built) -> None:
    component = any_built.one("mlops:cluster:ServingCluster").urn
    by_urn = {r.urn: r for r in any_built.graph.resources}
    for resource in any_built.graph.resources:
        if resource.urn == component or resource.type == "pulumi:providers:aws":
            continue
        parent = resource.parent
        while parent is not None and parent != component:
            parent = by_urn[parent].parent
        assert parent == component, resource.urn


# --- The cluster ------------------------------------------------------------------------------------


def test_cluster_is_private_encrypted_and_logs_everything(any_built: Built) -> None:
    cluster = any_built.one(CLUSTER)
    inputs = cluster.inputs
    assert inputs["name"] == f"mlops-{any_built.config.environment}"
    assert inputs["version"] == any_built.config.cluster.version
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    # The control plane's ENIs live in their own small subnets (webhooks admit those addresses only).
    az_count = any_built.config.network.az_count
    assert inputs["vpcConfig"]["subnetIds"] == network_args("10.0.0.0/16", az_count)["control_plane_subnet_ids"]
    assert any_built.one(NODE_GROUP, "serving-system").inputs["subnetIds"] == SUBNETS
    assert inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    key_urn = any_built.urn("aws:kms/key:Key", "serving-cluster-key")
    assert inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert inputs["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert key_urn in cluster.property_dependencies["encryptionConfig"]
    assert inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["kubernetesNetworkConfig"] == {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_endpoint_public_access_is_explicitly_false_by_default(name: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(name)
    vpc = built.one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_public_endpoint_only_for_the_configured_cidrs(opened: Built) -> None:
    vpc = opened.one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_control_plane_log_group_exists_first_with_retention_and_kms(dev: Built, prod: Built) -> None:
    for built, days in ((dev, 90), (prod, 365)):
        group = built.one("aws:cloudwatch/logGroup:LogGroup")
        assert group.inputs["name"] == f"/aws/eks/mlops-{built.config.environment}/cluster"
        assert group.inputs["retentionInDays"] == days
        assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert group.urn in built.one(CLUSTER).dependencies


def test_keys_rotate_and_policies_scope_their_service_principals(dev: Built) -> None:
    cluster_key = dev.one("aws:kms/key:Key", "serving-cluster-key").inputs
    node_key = dev.one("aws:kms/key:Key", "serving-node-key").inputs
    assert cluster_key["enableKeyRotation"] is True and node_key["enableKeyRotation"] is True
    logs = json.loads(cluster_key["policy"])["Statement"][1]
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"].endswith(
        ":log-group:/aws/eks/mlops-dev/cluster"
    )
    principals = [s["Principal"] for s in json.loads(node_key["policy"])["Statement"]]
    assert {
        "AWS": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    } in principals


def test_cluster_role_may_use_its_key_only(dev: Built) -> None:
    policy = json.loads(dev.one("aws:iam/rolePolicy:RolePolicy", "serving-cluster-kms").inputs["policy"])
    key_arn = dev.one(CLUSTER).inputs["encryptionConfig"]["provider"]["keyArn"]
    assert {r for s in policy["Statement"] for r in s["Resource"]} == {key_arn}
    cluster = dev.one(CLUSTER)
    assert dev.urn("aws:iam/rolePolicy:RolePolicy", "serving-cluster-kms") in cluster.dependencies


# --- IAM --------------------------------------------------------------------------------------------


def attached(built: Built, role_name: str) -> set[str]:
    role_urn = built.urn(ROLE, role_name)
    return {
        r.inputs["policyArn"]
        for r in built.graph.by_type(ATTACHMENT)
        if role_urn in r.property_dependencies.get("role", ()) or r.parent == role_urn
    }


def test_managed_policies_only_where_required(dev: Built) -> None:
    # The VPC resource controller (run by EKS as the cluster role) gives pods their security groups.
    assert attached(dev, "serving-cluster-role") == {
        "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController",
    }
    assert attached(dev, "serving-node-role") == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    }
    # The CNI policy lives on the vpc-cni IRSA role, never on the node role.
    assert attached(dev, "serving-vpc-cni-role") == {"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}
    assert attached(dev, "serving-ebs-csi-role") == {"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"}


def test_oidc_provider_uses_the_cluster_issuer(dev: Built) -> None:
    provider = dev.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider["url"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    assert "thumbprintLists" not in provider  # IAM trusts the EKS issuer's CA itself
    assert dev.graph.outputs["oidcIssuer"] == provider["url"]
    assert dev.graph.outputs["oidcProviderArn"].startswith("arn:aws:iam::123456789012:oidc-provider/oidc.eks.")


@pytest.mark.parametrize(
    ("role", "subject"),
    [
        ("serving-vpc-cni-role", "system:serviceaccount:kube-system:aws-node"),
        ("serving-ebs-csi-role", "system:serviceaccount:kube-system:ebs-csi-controller-sa"),
    ],
)
def test_irsa_roles_trust_exactly_one_service_account(dev: Built, role: str, subject: str) -> None:
    (statement,) = json.loads(dev.one(ROLE, role).inputs["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"] == dev.graph.outputs["oidcProviderArn"]
    equals = statement["Condition"]["StringEquals"]
    assert sorted(equals.values()) == sorted([subject, "sts.amazonaws.com"])


def test_admin_principals_get_access_entries_with_cluster_admin(opened: Built, dev: Built) -> None:
    entries = opened.graph.by_type("aws:eks/accessEntry:AccessEntry")
    associations = opened.graph.by_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted(ADMINS)
    for association in associations:
        assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert association.inputs["accessScope"] == {"type": "cluster"}
        assert association.inputs["clusterName"] == "mlops-dev"
    provider = opened.one(K8S_PROVIDER)
    assert {a.urn for a in associations} <= set(provider.dependencies)
    assert dev.graph.by_type("aws:eks/accessEntry:AccessEntry") == []


# --- Add-ons ----------------------------------------------------------------------------------------


def test_managed_addons_with_network_policy_enforced(dev: Built) -> None:
    addons = {a.inputs["addonName"]: a for a in dev.graph.by_type(ADDON)}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"}
    cni = addons["vpc-cni"].inputs
    assert json.loads(cni["configurationValues"])["enableNetworkPolicy"] == "true"
    assert json.loads(cni["configurationValues"])["env"]["POD_SECURITY_GROUP_ENFORCING_MODE"] == "standard"
    assert cni["serviceAccountRoleArn"].startswith("arn:aws:iam::123456789012:role/serving-vpc-cni-role")
    assert cni["resolveConflictsOnUpdate"] == "OVERWRITE"
    assert (
        addons["aws-ebs-csi-driver"]
        .inputs["serviceAccountRoleArn"]
        .startswith("arn:aws:iam::123456789012:role/serving-ebs-csi-role")
    )
    assert addons["coredns"].inputs["resolveConflictsOnUpdate"] == "PRESERVE"


def test_addon_order_networking_before_nodes_coredns_and_csi_after(prod: Built) -> None:
    addons = {a.inputs["addonName"]: a for a in prod.graph.by_type(ADDON)}
    for group in prod.graph.by_type(NODE_GROUP):
        for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            assert addons[name].urn in group.dependencies, (group.name, name)
        for name in ("coredns", "aws-ebs-csi-driver"):
            assert group.urn in addons[name].dependencies, (group.name, name)


# --- Node pools -------------------------------------------------------------------------------------


def test_launch_templates_require_imdsv2_hop_one_and_encrypt_root(any_built: Built) -> None:
    tags = any_built.config.required_tags
    for template in any_built.graph.by_type(LAUNCH_TEMPLATE):
        inputs = template.inputs
        assert inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }
        (mapping,) = inputs["blockDeviceMappings"]
        assert mapping["deviceName"] == "/dev/xvda"
        ebs = mapping["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["volumeType"] == "gp3"
        assert ebs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
        assert any_built.urn("aws:kms/key:Key", "serving-node-key") in template.dependencies
        specs = {s["resourceType"]: s["tags"] for s in inputs["tagSpecifications"]}
        assert specs == {"instance": tags, "volume": tags}


def test_node_groups_use_their_template_in_private_subnets(any_built: Built) -> None:
    pools = {"system": any_built.config.cluster.system_pool, "gpu": any_built.config.cluster.gpu_pool}
    for group in any_built.graph.by_type(NODE_GROUP):
        role = group.name.removeprefix("serving-")
        pool = pools[role]
        assert pool is not None
        inputs = group.inputs
        template = any_built.one(LAUNCH_TEMPLATE, f"serving-{role}-lt")
        assert template.urn in group.property_dependencies["launchTemplate"]
        assert inputs["launchTemplate"]["id"].startswith("lt-")
        assert inputs["subnetIds"] == SUBNETS
        assert inputs["scalingConfig"] == {
            "minSize": pool.min_size,
            "desiredSize": pool.desired_size,
            "maxSize": pool.max_size,
        }
        assert inputs["instanceTypes"] == pool.instance_types
        assert inputs["updateConfig"] == {"maxUnavailablePercentage": 33}
        assert inputs["nodeRoleArn"] == any_built.graph.outputs["nodeRoleArn"]
        assert "diskSize" not in inputs  # the launch template owns the (encrypted) root volume


def test_gpu_pool_is_tainted_labelled_and_scales_to_zero(prod: Built) -> None:
    gpu = prod.one(NODE_GROUP, "serving-gpu").inputs
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"]["mlops/pool"] == "gpu"
    assert gpu["amiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu["scalingConfig"]["minSize"] == 0
    assert gpu["instanceTypes"] == ["g5.xlarge", "g5.2xlarge"]
    system = prod.one(NODE_GROUP, "serving-system").inputs
    assert "taints" not in system
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert prod.one(LAUNCH_TEMPLATE, "serving-gpu-lt").inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 200


# --- Kubernetes -------------------------------------------------------------------------------------


def test_kubernetes_provider_from_a_secret_kubeconfig(dev: Built) -> None:
    provider = dev.one(K8S_PROVIDER)
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.inputs["enableServerSideApply"] in (True, "true")
    kubeconfig = json.loads(decode_secret(provider, "kubeconfig"))
    assert kubeconfig["clusters"][0]["cluster"]["server"] == dev.graph.outputs["endpoint"]
    assert kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]
    assert kubeconfig["users"][0]["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "mlops-dev",
        "--region",
        "eu-west-1",
    ]
    assert dev.graph.outputs["kubeconfig"] == "[secret]"


def test_every_kubernetes_resource_uses_the_cluster_provider(any_built: Built) -> None:
    provider_urn = any_built.one(K8S_PROVIDER).urn
    kube = [r for r in any_built.graph.resources if r.type.startswith("kubernetes:")]
    assert kube
    for resource in kube:
        assert resource.provider is not None, resource.urn
        assert resource.provider.rsplit("::", 1)[0] == provider_urn, resource.urn
    assert any_built.cluster.k8s_provider is not None


def test_namespaces_enforce_restricted_pod_security(any_built: Built) -> None:
    version = f"v{any_built.config.cluster.version}"
    for namespace in any_built.graph.by_type(NAMESPACE):
        labels = namespace.inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", namespace.name
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == version
    names = sorted(n.inputs["metadata"]["name"] for n in any_built.graph.by_type(NAMESPACE))
    assert names == sorted(any_built.cluster.namespaces)


def test_namespace_sets(dev: Built, opened: Built) -> None:
    assert sorted(dev.cluster.namespaces) == ["airflow", "cert-manager", "kserve", "mlflow", "serving"]
    assert sorted(opened.cluster.namespaces) == ["airflow", "mlflow", "serving"]


def test_no_hand_written_network_policy_the_system_namespaces_go_to_zero_trust(any_built: Built) -> None:
    # Every NetworkPolicy comes from the flow graph (ZeroTrust, wired by the platform): none in the cluster itself.
    assert any_built.graph.by_type(NETWORK_POLICY) == []
    kserve = any_built.config.cluster.kserve.enabled
    assert any_built.cluster.system_namespaces == (["cert-manager", "kserve"] if kserve else [])
    assert set(any_built.cluster.system_namespaces) <= set(any_built.cluster.namespaces)
    # kube-system: the autoscaler's own policies only, no namespace-wide deny (system_flows says why).
    assert any_built.cluster.shared_namespaces == ["kube-system"]
    assert not set(any_built.cluster.shared_namespaces) & set(any_built.cluster.namespaces)


def test_default_storage_class_is_encrypted_with_the_node_key(dev: Built) -> None:
    storage = dev.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert storage["provisioner"] == "ebs.csi.aws.com"
    assert storage["parameters"]["encrypted"] == "true"
    assert (
        storage["parameters"]["kmsKeyId"]
        == (dev.one(LAUNCH_TEMPLATE).inputs["blockDeviceMappings"][0]["ebs"]["kmsKeyId"])
    )
    assert storage["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}


# --- Model serving ----------------------------------------------------------------------------------


def test_helm_releases_are_pinned_from_official_charts(dev: Built) -> None:
    kserve_config = dev.config.cluster.kserve
    releases = {r.inputs["name"]: r.inputs for r in dev.graph.by_type(RELEASE)}
    assert set(releases) == {"cert-manager", "kserve-crd", "kserve", "cluster-autoscaler"}
    cert = releases["cert-manager"]
    assert (cert["chart"], cert["version"]) == ("cert-manager", kserve_config.cert_manager_version)
    assert cert["repositoryOpts"] == {"repo": "https://charts.jetstack.io"}
    assert cert["namespace"] == "cert-manager"
    assert cert["values"]["crds"]["enabled"] is True
    assert releases["kserve-crd"]["chart"] == "oci://ghcr.io/kserve/charts/kserve-crd"
    assert releases["kserve"]["chart"] == "oci://ghcr.io/kserve/charts/kserve"
    for name in ("kserve-crd", "kserve"):
        assert releases[name]["version"] == kserve_config.version
        assert releases[name]["namespace"] == "kserve"
    controller = releases["kserve"]["values"]["kserve"]["controller"]
    assert controller["deploymentMode"] == "RawDeployment"
    assert controller["securityContext"]["runAsNonRoot"] is True
    assert controller["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}


def test_kserve_installs_after_cert_manager_crds_and_nodes(dev: Built) -> None:
    kserve = dev.one(RELEASE, "serving-kserve")
    assert dev.urn(RELEASE, "serving-cert-manager") in kserve.dependencies
    assert dev.urn(RELEASE, "serving-kserve-crd") in kserve.dependencies
    cert = dev.one(RELEASE, "serving-cert-manager")
    assert dev.urn(NODE_GROUP, "serving-system") in cert.dependencies
    assert dev.urn(ADDON, "serving-coredns") in cert.dependencies


def test_kserve_disabled_installs_no_serving_charts(opened: Built) -> None:
    assert [r.inputs["name"] for r in opened.graph.by_type(RELEASE)] == ["cluster-autoscaler"]
    assert opened.graph.by_type(NETWORK_POLICY) == []


# --- Outputs and flows ------------------------------------------------------------------------------


def test_outputs(dev: Built) -> None:
    outputs = dev.graph.outputs
    assert outputs["clusterName"] == "mlops-dev"
    assert outputs["endpoint"].startswith("https://") and outputs["endpoint"].endswith(".eu-west-1.eks.amazonaws.com")
    assert outputs["nodeRoleArn"].startswith("arn:aws:iam::123456789012:role/serving-node-role")
    assert outputs["workloadSecurityGroupId"].startswith("sg-")
    assert outputs["vpcId"] == "vpc-0123"


def test_serving_flows(dev: Built) -> None:
    flows = dev.cluster.flows
    assert [(f.source, f.destination, f.port) for f in flows if f.destination == PREDICTORS] == [
        (TRANSFORMERS, PREDICTORS, 8080)
    ]
    (endpoints,) = [f for f in flows if f.source == PREDICTORS and isinstance(f.destination, AwsDestination)]
    assert isinstance(endpoints.destination, AwsDestination)
    assert endpoints.destination.name == "vpc-endpoints"
    assert endpoints.destination.security_group_id == ENDPOINTS_SECURITY_GROUP
    assert endpoints.port == 443


def test_nodes_to_endpoints_comes_first_so_its_rules_keep_their_names(dev: Built) -> None:
    # ZeroTrust opens one rule pair per group pair and port, named after the first flow needing it; the system
    # workloads carry the cluster group like the nodes, so the nodes' flow must come before theirs.
    first = dev.cluster.flows[0]
    assert first.source is dev.cluster.nodes and isinstance(first.source, AwsSource)
    assert (first.destination.name, first.port) == ("vpc-endpoints", 443)
    assert dev.cluster.nodes.security_group_id is dev.cluster.workload_security_group_id
    assert dev.cluster.control_plane.security_group_id is dev.cluster.workload_security_group_id


def test_control_plane_and_api_server_are_the_control_plane_subnets(dev: Built) -> None:
    cidrs = tuple(control_plane_cidrs("10.40.0.0/16"))
    assert dev.cluster.control_plane.name == "eks-control-plane"
    assert dev.cluster.control_plane.cidrs == cidrs == ("10.40.197.0/24", "10.40.205.0/24")
    assert dev.cluster.api_server.cidrs == ("172.20.0.1/32", *cidrs)


# --- Bad input --------------------------------------------------------------------------------------


def args_with(**overrides: Any) -> ServingClusterArgs:
    config = stack("dev")
    values: dict[str, Any] = {
        "config": config.cluster,
        "environment": "dev",
        "region": "eu-west-1",
        "vpc_id": "vpc-0123",
        "subnet_ids": SUBNETS,
        "vpc_cidr": "10.40.0.0/16",
        "tags": config.required_tags,
        "namespaces": ["serving", "mlflow"],
        **network_args("10.40.0.0/16"),
    }
    return ServingClusterArgs(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"namespaces": ["serving", "payments"]},
            r"ServingClusterArgs\.namespaces: unknown namespace\(s\) \['payments'\]",
        ),
        ({"namespaces": ["mlflow"]}, r"must include 'serving' while cluster\.kserve\.enabled"),
        ({"vpc_cidr": "10.40.0.0/33"}, r"ServingClusterArgs\.vpc_cidr: '10\.40\.0\.0/33' is not an IPv4 CIDR"),
        (
            {"control_plane_subnet_cidrs": ["10.40.197.0/33"]},
            r"ServingClusterArgs\.control_plane_subnet_cidrs: '10\.40\.197\.0/33' is not an IPv4 CIDR",
        ),
        (
            {"control_plane_subnet_cidrs": ["10.41.197.0/24"]},
            r"control_plane_subnet_cidrs: 10\.41\.197\.0/24 is outside the VPC 10\.40\.0\.0/16",
        ),
        (
            {"control_plane_subnet_ids": None},
            r"control_plane_subnet_cidrs without control_plane_subnet_ids",
        ),
        (
            {"control_plane_subnet_ids": None, "control_plane_subnet_cidrs": ()},
            r"control_plane_subnet_cidrs is required while cluster\.kserve\.enabled is true",
        ),
    ],
)
def test_invalid_args_are_rejected_naming_the_field(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_args(args_with(**overrides))


def test_invalid_args_fail_the_program() -> None:
    def program() -> None:
        ServingCluster("serving", args_with(namespaces=["payments"]))

    with pytest.raises(Exception, match="unknown namespace"):
        run_program(program, config={"aws:region": "eu-west-1"})


# --- Policy pack ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_compliant_with_the_policy_pack_as_built(name: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(name)
    report = evaluate(built.graph)
    left = {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in report.violations}
    # Default-deny for the workload and controller namespaces comes from the ZeroTrust component, which the
    # platform wires (ServingCluster.system_namespaces).
    namespaces = [*built.config.cluster.namespaces, *built.cluster.system_namespaces]
    zero_trust = {("k8s-namespace-default-deny", f"serving-ns-{ns}") for ns in namespaces}
    assert left == zero_trust


def test_policy_pack_reports_the_public_endpoint(opened: Built) -> None:
    report = evaluate(opened.graph)
    (violation,) = [v for v in report.violations if v.policy == "eks-cluster-private-endpoint"]
    assert violation.level == "mandatory"
    assert "203.0.113.0/24" in violation.message
