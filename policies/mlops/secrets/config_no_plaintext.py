"""secrets-config-no-plaintext: configuration stores (ConfigMaps, Airflow options, SSM) hold no credentials."""

from __future__ import annotations

from policies.mlops.kube import CONFIG_MAP
from policies.mlops.props import as_map
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.secrets._match import finding, is_literal, is_sensitive_key

MWAA_ENVIRONMENT = "aws:mwaa/environment:Environment"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == SSM_PARAMETER:
        name = str(resource.props.get("name") or resource.name)
        plain = resource.props.get("type") != "SecureString"
        if plain and is_sensitive_key(name.rsplit("/", 1)[-1]) and is_literal(resource.props.get("value")):
            report(f"parameter {name!r} looks like a credential but is not a SecureString")
        return
    field = "airflowConfigurationOptions" if resource.type == MWAA_ENVIRONMENT else "data"
    entries = as_map(resource.props.get(field))
    for key in entries:
        problem = finding(str(key), entries[key])
        if problem:
            report(f"{field} {problem}")


RULE = resource_rule(
    name="secrets-config-no-plaintext",
    description="ConfigMaps, MWAA Airflow options and plain SSM parameters hold no passwords, tokens or keys.",
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Move the value into a Kubernetes Secret / Secrets Manager secret (MWAA: the secrets backend) or an "
        "SSM SecureString, and reference it."
    ),
    resource_types=(CONFIG_MAP, MWAA_ENVIRONMENT, SSM_PARAMETER),
    check=_check,
)
