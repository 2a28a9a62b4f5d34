"""CloudWatch Logs log groups."""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def collect_log_groups(scope: AwsScope) -> Iterator[Found]:
    logs = scope.client("logs")
    for group in pages(logs, "describe_log_groups", "logGroups"):
        arn = group.get("logGroupArn") or str(group["arn"]).removesuffix(":*")
        tags = tag_dict(logs.list_tags_for_resource(resourceArn=arn).get("tags"))
        name = group["logGroupName"]
        yield Found(kind="logs:log-group", id=name, region=scope.region, tags=tags, name=name)


def delete_log_group(scope: AwsScope, found: Found) -> None:
    scope.client("logs").delete_log_group(logGroupName=found.id)


LOG_GROUPS = Handler("logs:log-group", collect_log_groups, delete_log_group)
