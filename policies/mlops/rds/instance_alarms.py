"""rds-instance-alarms: every database has its CPU, free-storage and connections alarms, wired to a topic.

A database fills up, saturates or runs out of connections long before anything else notices; the three
metrics come with every RDS instance (``AWS/RDS``, dimension ``DBInstanceIdentifier``). The platform's
observability component creates the alarms from the database identifiers (components/observability/alarms.py).
"""

from __future__ import annotations

from policies.mlops.cloudwatch._alarms import watched_metrics
from policies.mlops.cloudwatch._types import METRIC_ALARM
from policies.mlops.props import as_list, known, present
from policies.mlops.rds._common import INSTANCE
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule

REQUIRED_METRICS = ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")


def _check(stack: StackInput, report: StackReport) -> None:
    watched: dict[str, set[str]] = {}
    for alarm in stack.of_type(METRIC_ALARM):
        with stack.item():
            if not as_list(alarm.props.get("alarmActions")):
                continue  # an alarm that notifies nobody does not count (cloudwatch-alarm-notifies reports it)
            for namespace, metric, dimensions in watched_metrics(alarm.props):
                identifier = dimensions.get("DBInstanceIdentifier")
                if namespace == "AWS/RDS" and isinstance(identifier, str):
                    watched.setdefault(identifier, set()).add(metric)
    for instance in stack.of_type(INSTANCE):
        with stack.item():
            if not present(instance.props, "identifier"):
                report("the instance has no fixed identifier, so no alarm can name it", instance.urn)
                continue
            identifier = known(instance.props, "identifier")
            if not isinstance(identifier, str):
                continue  # computed from another resource during a preview: checked once it is known
            missing = [m for m in REQUIRED_METRICS if m not in watched.get(identifier, set())]
            if missing:
                report(f"{identifier}: no alarm with an action on {', '.join(missing)}", instance.urn)


RULE = stack_rule(
    name="rds-instance-alarms",
    description="Every RDS instance has CPU, free-storage and connections alarms that notify someone.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Pass the instance to the observability component (ObservabilityArgs.databases), or add "
        "aws.cloudwatch.MetricAlarm on AWS/RDS CPUUtilization, FreeStorageSpace and DatabaseConnections "
        "with DBInstanceIdentifier=<identifier> and alarm_actions."
    ),
    resource_types=(INSTANCE, METRIC_ALARM),
    check=_check,
)
