"""codebuild-project-cloudwatch-logs: build logs go to a named CloudWatch Logs group.

CodeBuild logs to ``/aws/codebuild/<project>`` by default and creates that group itself, without retention
or a customer key. Naming the group lets the program create it first with both
(https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CloudWatchLogsConfig.html).
"""

from __future__ import annotations

from policies.mlops.codebuild._types import PROJECT
from policies.mlops.props import as_map, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    cloudwatch = as_map(as_map(resource.props.get("logsConfig")).get("cloudwatchLogs"))
    status = cloudwatch.get("status")
    if not status:
        report("logsConfig.cloudwatchLogs.status is not set (set it to 'ENABLED' with a groupName)")
    elif status != "ENABLED":
        report(f"logsConfig.cloudwatchLogs.status is {status!r}, not 'ENABLED'")
    elif not present(cloudwatch, "groupName"):
        report("logsConfig.cloudwatchLogs.groupName is not set (CodeBuild would create a group without retention)")


RULE = resource_rule(
    name="codebuild-project-cloudwatch-logs",
    description="CodeBuild projects log to a named CloudWatch Logs group (created with retention and a key).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set logs_config.cloudwatch_logs=ProjectLogsConfigCloudwatchLogsArgs(status='ENABLED', "
        "group_name=<aws.cloudwatch.LogGroup with retention_in_days and kms_key_id>.name)."
    ),
    resource_types=(PROJECT,),
    check=_check,
)
