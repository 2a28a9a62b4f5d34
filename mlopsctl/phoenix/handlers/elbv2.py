"""Elastic Load Balancing v2 kinds: load balancers, then target groups (a group in use cannot go)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler, wait_quietly

_TAG_BATCH = 20  # DescribeTags takes at most 20 ARNs per call


def _elb(scope: AwsScope) -> Any:
    return scope.client("elbv2")


def _tags_by_arn(scope: AwsScope, arns: Sequence[str]) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), _TAG_BATCH):
        response = _elb(scope).describe_tags(ResourceArns=list(arns[start : start + _TAG_BATCH]))
        for description in response.get("TagDescriptions", []):
            tags[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return tags


def collect_load_balancers(scope: AwsScope) -> Iterator[Found]:
    balancers = list(pages(_elb(scope), "describe_load_balancers", "LoadBalancers"))
    tags = _tags_by_arn(scope, [lb["LoadBalancerArn"] for lb in balancers])
    for lb in balancers:
        arn = lb["LoadBalancerArn"]
        yield Found(
            kind="elbv2:load-balancer",
            id=arn,
            region=scope.region,
            tags=tags.get(arn, {}),
            name=lb.get("LoadBalancerName", arn),
        )


def delete_load_balancer(scope: AwsScope, found: Found) -> None:
    # Deletion protection makes this fail with OperationNotPermitted: reported, never switched off.
    _elb(scope).delete_load_balancer(LoadBalancerArn=found.id)


def settle_load_balancers(scope: AwsScope, done: Sequence[Found]) -> None:
    wait_quietly(scope, "elbv2", "load_balancers_deleted", LoadBalancerArns=[f.id for f in done])


def collect_target_groups(scope: AwsScope) -> Iterator[Found]:
    groups = list(pages(_elb(scope), "describe_target_groups", "TargetGroups"))
    tags = _tags_by_arn(scope, [g["TargetGroupArn"] for g in groups])
    for group in groups:
        arn = group["TargetGroupArn"]
        yield Found(
            kind="elbv2:target-group",
            id=arn,
            region=scope.region,
            tags=tags.get(arn, {}),
            name=group.get("TargetGroupName", arn),
        )


def delete_target_group(scope: AwsScope, found: Found) -> None:
    _elb(scope).delete_target_group(TargetGroupArn=found.id)


LOAD_BALANCERS = Handler(
    "elbv2:load-balancer", collect_load_balancers, delete_load_balancer, settle=settle_load_balancers
)
TARGET_GROUPS = Handler("elbv2:target-group", collect_target_groups, delete_target_group)
