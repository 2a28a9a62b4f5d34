"""athena-workgroup-results-encrypted: query results are encrypted with KMS."""

from __future__ import annotations

from policies.mlops.athena._types import WORKGROUP
from policies.mlops.props import as_map, get, is_true
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

KMS_OPTIONS = ("SSE_KMS", "CSE_KMS")


def _check(resource: ResourceInput, report: Report) -> None:
    configuration = as_map(resource.props.get("configuration"))
    managed = as_map(configuration.get("managedQueryResultsConfiguration"))
    if is_true(managed.get("enabled")):
        # Athena-managed result storage: encrypted; a customer key is given as encryptionConfiguration.kmsKey.
        if not get(managed, "encryptionConfiguration", "kmsKey"):
            report("managed query results are not encrypted with a customer KMS key")
        return
    option = get(configuration, "resultConfiguration", "encryptionConfiguration", "encryptionOption")
    if option not in KMS_OPTIONS:
        shown = "not set" if option is None else repr(option)
        report(f"resultConfiguration.encryptionConfiguration.encryptionOption is {shown}; expected SSE_KMS or CSE_KMS")


RULE = resource_rule(
    name="athena-workgroup-results-encrypted",
    description="Athena workgroups encrypt query results with KMS (SSE_KMS/CSE_KMS or managed results with a key).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set configuration.result_configuration.encryption_configuration={'encryption_option': 'SSE_KMS', "
        "'kms_key_arn': platform_key.arn}."
    ),
    resource_types=(WORKGROUP,),
    check=_check,
)
