"""rds-instance-no-plain-password: the master password is never part of the program's inputs.

The analyzer receives inputs with secrets already unwrapped (``pulumi_policy`` deserializes them
without keeping the secret marker), so a rule cannot tell a ``pulumi.secret`` from a literal.
Both end up in the state file, so the rule asks for the alternatives that keep the password out
of inputs and state altogether: RDS-managed passwords in Secrets Manager
(``manageMasterUserPassword``) or the write-only ``passwordWo``/``masterPasswordWo``.
"""

from __future__ import annotations

from policies.mlops.props import present
from policies.mlops.rds._common import CLUSTER, INSTANCE
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

PASSWORD_INPUT = {INSTANCE: "password", CLUSTER: "masterPassword"}


def _check(resource: ResourceInput, report: Report) -> None:
    field = PASSWORD_INPUT[resource.type]
    if present(resource.props, field):
        report(f"{field} is set in the program (it is stored in the state); use manageMasterUserPassword")


RULE = resource_rule(
    name="rds-instance-no-plain-password",
    description="RDS master passwords are managed by RDS in Secrets Manager, never passed as inputs.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove password/master_password; set manage_master_user_password=True (and "
        "master_user_secret_kms_key_id) and read the secret ARN from master_user_secrets."
    ),
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
