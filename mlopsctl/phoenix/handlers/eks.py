"""EKS kinds: node groups first, then clusters (a cluster with node groups cannot be deleted)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler, wait_quietly


def _eks(scope: AwsScope) -> Any:
    return scope.client("eks")


def collect_nodegroups(scope: AwsScope) -> Iterator[Found]:
    eks = _eks(scope)
    for cluster in pages(eks, "list_clusters", "clusters"):
        for name in pages(eks, "list_nodegroups", "nodegroups", clusterName=cluster):
            described = ignore_missing(eks.describe_nodegroup, clusterName=cluster, nodegroupName=name)
            group = described["nodegroup"] if described else None  # None: deleted since it was listed
            if group is None or group.get("status") == "DELETING":
                continue
            yield Found(
                kind="eks:nodegroup",
                id=name,
                region=scope.region,
                tags=tag_dict(group.get("tags")),
                name=f"{cluster}/{name}",
                context={"cluster": cluster},
            )


def delete_nodegroup(scope: AwsScope, found: Found) -> None:
    _eks(scope).delete_nodegroup(clusterName=found.context["cluster"], nodegroupName=found.id)


def settle_nodegroups(scope: AwsScope, done: Sequence[Found]) -> None:
    for found in done:
        wait_quietly(scope, "eks", "nodegroup_deleted", clusterName=found.context["cluster"], nodegroupName=found.id)


def collect_clusters(scope: AwsScope) -> Iterator[Found]:
    eks = _eks(scope)
    for name in pages(eks, "list_clusters", "clusters"):
        described = ignore_missing(eks.describe_cluster, name=name)
        cluster = described["cluster"] if described else None
        if cluster is None or cluster.get("status") == "DELETING":
            continue
        yield Found(kind="eks:cluster", id=name, region=scope.region, tags=tag_dict(cluster.get("tags")), name=name)


def delete_cluster(scope: AwsScope, found: Found) -> None:
    # ResourceInUseException while node groups are still deleting: retried with backoff.
    _eks(scope).delete_cluster(name=found.id)


def settle_clusters(scope: AwsScope, done: Sequence[Found]) -> None:
    # The cluster's ENIs and security group block the VPC until the cluster is gone.
    for found in done:
        wait_quietly(scope, "eks", "cluster_deleted", name=found.id)


NODEGROUPS = Handler("eks:nodegroup", collect_nodegroups, delete_nodegroup, settle=settle_nodegroups)
CLUSTERS = Handler("eks:cluster", collect_clusters, delete_cluster, settle=settle_clusters)
