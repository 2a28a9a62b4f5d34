"""CloudWatch alarms (metric and composite): the observability component's alarms on the alert topic.

An alarm holds no other resource, so alarms can go at any point before their topic and key; composite alarms
are listed (and so deleted) before metric alarms, since a composite alarm may name them in its rule. The
log metric filters feeding some alarms are deleted with their log groups (``logs:log-group``).
"""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

_TYPES = ("CompositeAlarms", "MetricAlarms")


def collect_alarms(scope: AwsScope) -> Iterator[Found]:
    cloudwatch = scope.client("cloudwatch")
    listed: dict[str, list[dict[str, str]]] = {key: [] for key in _TYPES}
    paginator = cloudwatch.get_paginator("describe_alarms")
    for page in paginator.paginate(AlarmTypes=["CompositeAlarm", "MetricAlarm"]):
        for key in _TYPES:
            listed[key].extend(page.get(key) or [])
    for key in _TYPES:
        for alarm in listed[key]:
            name = alarm["AlarmName"]
            tags = tag_dict(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]).get("Tags"))
            yield Found(
                kind="cloudwatch:alarm",
                id=name,
                region=scope.region,
                tags=tags,
                name=name,
                context={"composite": key == "CompositeAlarms"},
            )


def delete_alarm(scope: AwsScope, found: Found) -> None:
    scope.client("cloudwatch").delete_alarms(AlarmNames=[found.id])


ALARMS = Handler("cloudwatch:alarm", collect_alarms, delete_alarm)
