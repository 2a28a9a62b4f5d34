"""cloudwatch-metric-filter-alarmed: every log metric filter feeds an alarm.

A metric filter turns log lines into a metric; without an alarm on that metric nobody hears about it (a
renamed metric or namespace on one side silently disconnects the two).
"""

from __future__ import annotations

from policies.mlops.cloudwatch._alarms import watched_metrics
from policies.mlops.cloudwatch._types import METRIC_ALARM, METRIC_FILTER
from policies.mlops.props import as_map
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    watched: set[tuple[str, str]] = set()
    for alarm in stack.of_type(METRIC_ALARM):
        with stack.item():
            watched.update((namespace, metric) for namespace, metric, _ in watched_metrics(alarm.props))
    for metric_filter in stack.of_type(METRIC_FILTER):
        with stack.item():
            transformation = as_map(metric_filter.props.get("metricTransformation"))
            key = (str(transformation.get("namespace") or ""), str(transformation.get("name") or ""))
            if key not in watched:
                report(f"no alarm watches the metric {key[0]}/{key[1]} this filter produces", metric_filter.urn)


RULE = stack_rule(
    name="cloudwatch-metric-filter-alarmed",
    description="Every log metric filter's metric is watched by an alarm.",
    level=Level.ADVISORY,
    severity=Severity.LOW,
    remediation="Add an aws.cloudwatch.MetricAlarm on the filter's metric (same namespace and name), or remove it.",
    resource_types=(METRIC_FILTER, METRIC_ALARM),
    check=_check,
)
