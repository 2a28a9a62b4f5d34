"""athena-workgroup-enforce-configuration: clients cannot override the workgroup's settings."""

from __future__ import annotations

from policies.mlops.athena._types import WORKGROUP
from policies.mlops.props import as_map, is_false
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    configuration = as_map(resource.props.get("configuration"))
    # The provider's default is true, so only an explicit false lets clients pick their own
    # (possibly unencrypted) result location.
    if is_false(configuration.get("enforceWorkgroupConfiguration")):
        report("configuration.enforceWorkgroupConfiguration is false: clients may override result encryption")


RULE = resource_rule(
    name="athena-workgroup-enforce-configuration",
    description="Athena workgroups enforce their configuration (result location and encryption).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Leave configuration.enforce_workgroup_configuration at its default True.",
    resource_types=(WORKGROUP,),
    check=_check,
)
