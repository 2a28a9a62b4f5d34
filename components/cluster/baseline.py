"""Kubernetes baseline of the ServingCluster: namespaces with Pod Security Admission labels and the default
encrypted StorageClass.

No NetworkPolicy is written here: the controller namespaces (cert-manager, kserve) get theirs from the zero-trust
flow graph (``components.cluster.system_flows``), rendered by ``ZeroTrust`` with every other namespace's.

Functions taking the component's ``k8s_opts`` (its parent and Kubernetes provider); the values come from
``components.cluster.kube``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import kube
from components.cluster.config import ClusterConfig


def namespaces(
    name: str, *, workload: Sequence[str], config: ClusterConfig, k8s_opts: Callable[..., pulumi.ResourceOptions]
) -> dict[str, k8s.core.v1.Namespace]:
    """The workload namespaces (``restricted``) and the system ones, labelled with their PSA level."""
    levels: dict[str, kube.PodSecurityLevel] = dict.fromkeys(workload, "restricted")
    levels.update(kube.system_namespaces(config))
    return {
        ns: k8s.core.v1.Namespace(
            f"{name}-ns-{ns}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=kube.psa_labels(level, config.version)),
            opts=k8s_opts(),
        )
        for ns, level in sorted(levels.items())
    }


def default_storage_class(
    name: str,
    *,
    key_arn: pulumi.Output[str],
    k8s_opts: Callable[..., pulumi.ResourceOptions],
    depends_on: Sequence[pulumi.Resource],
) -> k8s.storage.v1.StorageClass:
    """Default StorageClass: gp3 encrypted with the node key (EKS no longer marks gp2 default)."""
    return k8s.storage.v1.StorageClass(
        f"{name}-gp3",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name="gp3-encrypted", annotations={"storageclass.kubernetes.io/is-default-class": "true"}
        ),
        provisioner="ebs.csi.aws.com",
        parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn},
        volume_binding_mode="WaitForFirstConsumer",
        allow_volume_expansion=True,
        reclaim_policy="Delete",
        opts=k8s_opts(depends_on=list(depends_on)),
    )
