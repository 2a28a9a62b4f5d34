"""rds-instance-log-exports: the database engine's log goes to CloudWatch Logs.

Without ``enabledCloudwatchLogsExports`` the engine log (connections, authentication failures, errors, slow
statements) stays on the instance, is rotated away within days (PostgreSQL: ``rds.log_retention_period``,
3 days by default) and is readable only through the RDS console: no metric filter, no alarm, no retention.
PostgreSQL must export ``postgresql``; other engines at least one log type. Aurora members inherit the
cluster's exports.
"""

from __future__ import annotations

from policies.mlops.props import as_strs
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

REQUIRED_BY_ENGINE = {"postgres": "postgresql", "aurora-postgresql": "postgresql"}
"""Engine -> the log type that carries its engine log."""


def _check(resource: ResourceInput, report: Report) -> None:
    skip_aurora_member(resource, "log exports")
    exports = as_strs(resource.props.get("enabledCloudwatchLogsExports"))
    engine = resource.props.get("engine")
    required = REQUIRED_BY_ENGINE.get(engine) if isinstance(engine, str) else None
    if not exports:
        report("enabledCloudwatchLogsExports is empty: the engine log never reaches CloudWatch Logs")
    elif required and required not in exports:
        report(f"enabledCloudwatchLogsExports {exports} lacks {required!r}, the {engine} engine log")


RULE = resource_rule(
    name="rds-instance-log-exports",
    description="RDS instances and clusters export their engine log to CloudWatch Logs.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set enabled_cloudwatch_logs_exports (PostgreSQL: ['postgresql', 'upgrade']) and create the "
        "/aws/rds/instance/<id>/<type> log groups first, with retention and a customer key."
    ),
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
