"""codebuild-project-not-privileged: builds never run with a Docker daemon in privileged mode.

Privileged mode gives the build container root on its host's kernel features (``--privileged``), which a
deployer that builds no images does not need
(https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ProjectEnvironment.html, privilegedMode).
"""

from __future__ import annotations

from policies.mlops.codebuild._types import PROJECT
from policies.mlops.props import as_map, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if is_true(as_map(resource.props.get("environment")).get("privilegedMode")):
        report("environment.privilegedMode is true")


RULE = resource_rule(
    name="codebuild-project-not-privileged",
    description="CodeBuild projects do not run builds in privileged mode.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set environment.privileged_mode=False; build images elsewhere (a separate, non-deploying project) "
        "or exempt the project with a reason and an expiry."
    ),
    resource_types=(PROJECT,),
    check=_check,
)
