"""cloudwatch-alarm-notifies: every alarm notifies someone, through an SNS topic.

An alarm without actions (or with ``actionsEnabled: false``) changes state in the console and tells nobody. The
platform's alarms publish to its one alert topic; this rule accepts an action computed from an SNS topic of the
stack or a literal SNS topic ARN.
"""

from __future__ import annotations

from policies.mlops.cloudwatch._types import METRIC_ALARM, SNS_TOPIC
from policies.mlops.props import as_list, is_false
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    topics = [topic.urn for topic in stack.of_type(SNS_TOPIC)]
    for alarm in stack.of_type(METRIC_ALARM):
        with stack.item():
            if is_false(alarm.props.get("actionsEnabled")):
                report("actionsEnabled is false: the alarm notifies nobody", alarm.urn)
                continue
            if any(alarm.depends_through("alarmActions", urn) for urn in topics):
                continue  # computed from a topic of the stack (its ARN may be unknown in a preview)
            actions = as_list(alarm.props.get("alarmActions"))
            if not actions:
                report("alarmActions is empty: the alarm notifies nobody", alarm.urn)
            elif not any(isinstance(a, str) and ":sns:" in a for a in actions):
                report("no alarm action is an SNS topic: the alert channel never hears of it", alarm.urn)


RULE = stack_rule(
    name="cloudwatch-alarm-notifies",
    description="CloudWatch alarms are enabled and notify an SNS topic.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set alarm_actions=[<alert topic ARN>] (and ok_actions) on aws.cloudwatch.MetricAlarm.",
    resource_types=(METRIC_ALARM, SNS_TOPIC),
    check=_check,
)
