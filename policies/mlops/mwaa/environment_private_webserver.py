"""mwaa-environment-private-webserver: the Airflow UI of MWAA is reachable only from the VPC."""

from __future__ import annotations

from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

ENVIRONMENT = "aws:mwaa/environment:Environment"


def _check(resource: ResourceInput, report: Report) -> None:
    # AWS's default is PRIVATE_ONLY, so only an explicit PUBLIC_ONLY opens it.
    if resource.props.get("webserverAccessMode") == "PUBLIC_ONLY":
        report("webserverAccessMode is PUBLIC_ONLY")


RULE = resource_rule(
    name="mwaa-environment-private-webserver",
    description="MWAA environments serve the Airflow UI privately (webserverAccessMode PRIVATE_ONLY).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set webserver_access_mode='PRIVATE_ONLY' (the default) and reach the UI through the VPC.",
    resource_types=(ENVIRONMENT,),
    check=_check,
)
