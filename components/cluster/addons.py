"""Add-on installers of the ServingCluster: EKS managed add-ons (vpc-cni, kube-proxy, Pod Identity agent,
CoreDNS, EBS CSI), model serving (cert-manager + KServe), NVIDIA's device plugin, the Cluster Autoscaler and
the node-template tags that let it scale a pool from zero.

Functions taking the component as ``parent`` (or its ``k8s_opts``, which carry it and the cluster's
Kubernetes provider); the values come from ``components.cluster.charts``, ``autoscaling`` and ``nodes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster import autoscaling, charts, control_plane, kube, nodes
from components.cluster.config import ClusterConfig
from components.cluster.identity import OidcIssuer, service_account_role
from components.iam import document
from components.registry.images import RegistryBase


def before_nodes(
    parent: pulumi.Resource, name: str, *, cluster_name: pulumi.Output[str], oidc: OidcIssuer, region: str
) -> list[pulumi.Resource]:
    """Add-ons needed before nodes can become Ready: vpc-cni (own IRSA role), kube-proxy, Pod Identity agent."""
    cni_role = service_account_role(
        f"{name}-vpc-cni",
        oidc=oidc,
        namespace="kube-system",
        service_account="aws-node",
        policy=document(control_plane.region_fence(region, ["ec2"])),
        parent=parent,
    )
    cni_managed = aws.iam.RolePolicyAttachment(
        f"{name}-vpc-cni-managed",
        role=cni_role.name,
        policy_arn=control_plane.managed_policy_arn(region, "AmazonEKS_CNI_Policy"),
        opts=pulumi.ResourceOptions(parent=cni_role),
    )
    vpc_cni = aws.eks.Addon(
        f"{name}-vpc-cni",
        cluster_name=cluster_name,
        addon_name="vpc-cni",
        configuration_values=control_plane.vpc_cni_configuration(),
        service_account_role_arn=cni_role.arn,
        resolve_conflicts_on_create="OVERWRITE",
        # OVERWRITE: network-policy enforcement is a security control; drift must not survive an update.
        resolve_conflicts_on_update="OVERWRITE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[cni_managed]),
    )
    pre_node_addons: list[pulumi.Resource] = [vpc_cni]
    for addon_name in ("kube-proxy", "eks-pod-identity-agent"):
        pre_node_addons.append(
            aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=cluster_name,
                addon_name=addon_name,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return pre_node_addons


def on_nodes(
    parent: pulumi.Resource,
    name: str,
    *,
    cluster_name: pulumi.Output[str],
    oidc: OidcIssuer,
    region: str,
    node_key_arn: pulumi.Output[str],
    node_groups: Sequence[aws.eks.NodeGroup],
) -> tuple[aws.eks.Addon, aws.eks.Addon]:
    """Add-ons that need running nodes: CoreDNS, and the EBS CSI driver (own IRSA role, node key for volumes)."""
    coredns = aws.eks.Addon(
        f"{name}-coredns",
        cluster_name=cluster_name,
        addon_name="coredns",
        resolve_conflicts_on_create="OVERWRITE",
        # PRESERVE: operators may tune the Corefile (stub domains); add-on upgrades keep those edits.
        resolve_conflicts_on_update="PRESERVE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(node_groups)),
    )
    ebs_role = service_account_role(
        f"{name}-ebs-csi",
        oidc=oidc,
        namespace="kube-system",
        service_account="ebs-csi-controller-sa",
        policy=node_key_arn.apply(
            lambda arn: document(nodes.ebs_volume_key_statements(arn), control_plane.region_fence(region, ["ec2"]))
        ),
        parent=parent,
    )
    ebs_managed = aws.iam.RolePolicyAttachment(
        f"{name}-ebs-csi-managed",
        role=ebs_role.name,
        policy_arn=control_plane.managed_policy_arn(region, "service-role/AmazonEBSCSIDriverPolicy"),
        opts=pulumi.ResourceOptions(parent=ebs_role),
    )
    ebs_csi = aws.eks.Addon(
        f"{name}-ebs-csi",
        cluster_name=cluster_name,
        addon_name="aws-ebs-csi-driver",
        service_account_role_arn=ebs_role.arn,
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*node_groups, ebs_managed]),
    )
    return coredns, ebs_csi


def serving(
    name: str,
    config: ClusterConfig,
    region: str,
    namespaces: Mapping[str, k8s.core.v1.Namespace],
    k8s_opts: Callable[..., pulumi.ResourceOptions],
    needs: Sequence[pulumi.Resource],
    *,
    registry: pulumi.Output[RegistryBase] | None = None,
) -> None:
    """cert-manager, KServe CRDs and the KServe controller, as pinned Helm releases (images through ``registry``)."""
    cert_ns = namespaces[kube.CERT_MANAGER_NAMESPACE]
    kserve_ns = namespaces[kube.KSERVE_NAMESPACE]
    cert_manager = k8s.helm.v3.Release(
        f"{name}-cert-manager",
        name="cert-manager",
        chart="cert-manager",
        version=config.kserve.cert_manager_version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=charts.CERT_MANAGER_REPO),
        namespace=cert_ns.metadata.name,
        values=_values(
            registry, lambda r: charts.cert_manager_values(registry=r, version=config.kserve.cert_manager_version)
        ),
        atomic=True,
        timeout=600,
        opts=k8s_opts(depends_on=list(needs)),
    )
    kserve_crd = k8s.helm.v3.Release(
        f"{name}-kserve-crd",
        name="kserve-crd",
        chart=charts.KSERVE_CRD_CHART,
        version=config.kserve.version,
        namespace=kserve_ns.metadata.name,
        atomic=True,
        opts=k8s_opts(depends_on=list(needs)),
    )
    k8s.helm.v3.Release(
        f"{name}-kserve",
        name="kserve",
        chart=charts.KSERVE_CHART,
        version=config.kserve.version,
        namespace=kserve_ns.metadata.name,
        values=_values(
            registry,
            lambda r: charts.kserve_values(storage_region=region, registry=r, version=config.kserve.version),
        ),
        atomic=True,
        timeout=600,
        # KServe's webhook certificate is a cert-manager Certificate: cert-manager must be up first.
        opts=k8s_opts(depends_on=[cert_manager, kserve_crd]),
    )


def device_plugin(
    name: str,
    k8s_opts: Callable[..., pulumi.ResourceOptions],
    needs: Sequence[pulumi.Resource],
    *,
    registry: pulumi.Output[RegistryBase] | None = None,
) -> k8s.helm.v3.Release:
    """NVIDIA's device plugin on the GPU pool: without it no node advertises ``nvidia.com/gpu``.

    The EKS AL2023 NVIDIA AMI ships the driver and container toolkit, not the device plugin (EKS user
    guide, "Install Kubernetes device plugin for GPUs"; only the Bottlerocket NVIDIA AMIs include it).
    """
    return k8s.helm.v3.Release(
        f"{name}-nvidia-device-plugin",
        name="nvidia-device-plugin",
        chart=charts.NVIDIA_DEVICE_PLUGIN_CHART,
        version=charts.NVIDIA_DEVICE_PLUGIN_VERSION,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=charts.NVIDIA_DEVICE_PLUGIN_REPO),
        namespace=charts.CLUSTER_AUTOSCALER_NAMESPACE,
        values=_values(registry, lambda r: charts.device_plugin_values(registry=r)),
        atomic=True,
        timeout=600,
        opts=k8s_opts(depends_on=list(needs)),
    )


def autoscaler(
    parent: pulumi.Resource,
    name: str,
    *,
    cluster_name: pulumi.Output[str],
    oidc: OidcIssuer,
    region: str,
    kubernetes_version: str,
    account: pulumi.Output[str],
    k8s_opts: Callable[..., pulumi.ResourceOptions],
    needs: Sequence[pulumi.Resource],
    registry: pulumi.Output[RegistryBase] | None = None,
) -> k8s.helm.v3.Release:
    """The Cluster Autoscaler (chart pinned to the cluster's minor) with its least-privilege IRSA role."""
    chart_version, image_tag = charts.cluster_autoscaler_release(kubernetes_version)
    role = service_account_role(
        f"{name}-cluster-autoscaler",
        oidc=oidc,
        namespace=charts.CLUSTER_AUTOSCALER_NAMESPACE,
        service_account=charts.CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
        policy=pulumi.Output.all(cluster_name, account).apply(
            lambda a: autoscaling.cluster_autoscaler_policy(cluster_name=a[0], region=region, account=a[1])
        ),
        parent=parent,
    )
    return k8s.helm.v3.Release(
        f"{name}-cluster-autoscaler",
        name="cluster-autoscaler",
        chart=charts.CLUSTER_AUTOSCALER_CHART,
        version=chart_version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=charts.CLUSTER_AUTOSCALER_REPO),
        namespace=charts.CLUSTER_AUTOSCALER_NAMESPACE,
        values=pulumi.Output.all(cluster_name, role.arn, registry).apply(
            lambda a: charts.cluster_autoscaler_values(
                cluster_name=a[0], region=region, role_arn=a[1], image_tag=image_tag, registry=a[2]
            )
        ),
        atomic=True,
        timeout=600,
        opts=k8s_opts(depends_on=[*needs, role]),
    )


def tag_node_template(parent: pulumi.Resource, name: str, spec: nodes.NodePoolSpec, group: aws.eks.NodeGroup) -> None:
    """Node-template tags on a scale-from-zero pool's ASG (EKS creates the ASG, so tag it by name)."""
    asg_name = group.resources.apply(autoscaling.autoscaling_group_name)
    for key, value in autoscaling.node_template_tags(spec, gpu=spec.role == "gpu").items():
        suffix = key.rsplit("node-template/", 1)[1].replace("/", "-").replace(".", "-")
        aws.autoscaling.Tag(
            f"{name}-{spec.role}-asg-{suffix}",
            autoscaling_group_name=asg_name,
            # Read by the autoscaler from the ASG itself; instances need not carry them.
            tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
            # Explicit: the ASG exists only once the node group does (its name is an output of it).
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[group]),
        )


def _values(
    registry: pulumi.Output[RegistryBase] | None, build: Callable[[RegistryBase | None], dict[str, Any]]
) -> pulumi.Input[dict[str, Any]]:
    """A chart's values, built with the stack's registry once its account is known (plain without a registry)."""
    if registry is None:
        return build(None)
    return registry.apply(build)
