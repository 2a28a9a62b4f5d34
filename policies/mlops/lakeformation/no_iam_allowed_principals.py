"""lakeformation-no-iam-allowed-principals: Lake Formation grants, not IAM policies, govern the lake.

``IAM_ALLOWED_PRINCIPALS`` (and ``<account>:IAMPrincipals``) stand for every IAM principal whose IAM
policies allow the Glue call: a Lake Formation permission for them, a default permission that gives
them every new database or table, or a location registered in hybrid access mode hands access control
back to IAM and overrides the explicit grants
(https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html,
https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html).
"""

from __future__ import annotations

import re

from policies.mlops.lakeformation._types import DATA_LAKE_SETTINGS, PERMISSIONS, RESOURCE
from policies.mlops.props import as_list, as_map, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

_BROAD = re.compile(r"^(IAM_ALLOWED_PRINCIPALS|\d{12}:IAMPrincipals)$")
_DEFAULTS = ("createDatabaseDefaultPermissions", "createTableDefaultPermissions")


def _check(resource: ResourceInput, report: Report) -> None:
    props = resource.props
    if resource.type == PERMISSIONS:
        principal = props.get("principal")
        if isinstance(principal, str) and _BROAD.match(principal):
            report(f"grants {principal}: every IAM-allowed principal gets these permissions")
    elif resource.type == DATA_LAKE_SETTINGS:
        for key in _DEFAULTS:
            for index, entry in enumerate(as_list(props.get(key))):
                principal = as_map(entry).get("principal")
                if isinstance(principal, str) and _BROAD.match(principal):
                    report(f"{key}[{index}] gives {principal} every new database or table")
    elif is_true(props.get("hybridAccessEnabled")):
        report("hybridAccessEnabled is true: IAM permissions keep working beside Lake Formation grants")


RULE = resource_rule(
    name="lakeformation-no-iam-allowed-principals",
    description="Lake Formation grants no permission, default permission or hybrid access to IAM-allowed principals.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Grant named roles through DataLake.grant or mlops:lake.grants; keep the DataLakeSettings default "
        "permissions empty and register locations with hybrid_access_enabled=False."
    ),
    resource_types=(PERMISSIONS, DATA_LAKE_SETTINGS, RESOURCE),
    check=_check,
)
