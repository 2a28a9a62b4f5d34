"""The AWS Load Balancer Controller install: its namespace (Pod Security ``restricted``), IRSA role and Helm
release. The pure pieces (chart values, policy) are ``controller`` and ``documents``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.access import controller, documents, routing
from components.access.config import ControllerConfig
from components.cluster.identity import OidcIssuer, service_account_role
from components.cluster.kube import psa_labels
from components.registry.images import RegistryBase


def controller_namespace(
    resource_name: str, *, kubernetes_version: str, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """The controller's namespace, Pod Security ``restricted`` (its pods run non-root, RuntimeDefault seccomp, no
    capabilities: ``controller.controller_values``).

    The platform creates it before its ``PodSecurityGroups`` when the controller has a security group of its own:
    the SecurityGroupPolicy lives in this namespace, and must exist before the controller's pods start (the VPC
    resource controller assigns pod security groups at pod creation only). Pass it as
    :attr:`~components.access.component.PlatformIngressArgs.controller_namespace`.
    """
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=controller.NAMESPACE,
            labels={**psa_labels("restricted", kubernetes_version), "app.kubernetes.io/managed-by": "pulumi"},
        ),
        opts=opts,
    )


@dataclass(frozen=True)
class ControllerInstall:
    """What the install made."""

    namespace: k8s.core.v1.Namespace
    role_arn: pulumi.Output[str]
    """The controller's IRSA role."""
    release: k8s.helm.v3.Release


def install_controller(
    name: str,
    *,
    config: ControllerConfig,
    environment: str,
    region: str,
    partition: str,
    account: pulumi.Output[str],
    cluster_name: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    oidc: OidcIssuer,
    k8s_provider: k8s.Provider,
    kubernetes_version: str,
    registry: pulumi.Output[RegistryBase] | None,
    namespace: k8s.core.v1.Namespace | None,
    release_depends_on: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> ControllerInstall:
    """The controller's namespace (unless given), IRSA role (``<name>-controller``) and Helm release."""
    k8s_opts = pulumi.ResourceOptions(parent=parent, provider=k8s_provider)
    namespace = namespace or controller_namespace(
        f"{name}-controller-ns", kubernetes_version=kubernetes_version, opts=k8s_opts
    )
    prefix = routing.target_group_prefix(environment)
    role = service_account_role(
        f"{name}-controller",
        oidc=oidc,
        namespace=controller.NAMESPACE,
        service_account=controller.SERVICE_ACCOUNT,
        policy=pulumi.Output.all(account, cluster_name).apply(
            lambda a: documents.controller_policy(
                partition=partition,
                region=region,
                account=str(a[0]),
                cluster_name=str(a[1]),
                target_group_prefix=prefix,
            )
        ),
        parent=parent,
    )
    values = pulumi.Output.all(cluster_name, vpc_id, role.arn, registry).apply(
        lambda a: controller.controller_values(
            cluster_name=str(a[0]),
            region=region,
            vpc_id=str(a[1]),
            role_arn=str(a[2]),
            replicas=config.replicas,
            image_tag=config.image_tag,
            registry=a[3],
        )
    )
    release = k8s.helm.v3.Release(
        f"{name}-controller",
        name=controller.RELEASE,
        chart=controller.CHART,
        version=config.chart_version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=controller.CHART_REPO),
        namespace=namespace.metadata.name,
        values=values,
        atomic=True,
        timeout=600,
        # The role first: a pod that starts before its role exists fails its first AWS calls.
        opts=pulumi.ResourceOptions(parent=parent, provider=k8s_provider, depends_on=[role, *release_depends_on]),
    )
    return ControllerInstall(namespace, role.arn, release)


__all__ = ["ControllerInstall", "controller_namespace", "install_controller"]
