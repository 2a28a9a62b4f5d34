"""rds-instance-customer-key: database storage is encrypted with a customer managed KMS key.

``storageEncrypted`` without ``kmsKeyId`` uses the AWS managed key ``aws/rds``: every principal of the account
allowed to use RDS may use it, its policy cannot be changed, and a snapshot encrypted with it cannot be shared
with another account (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html).
The platform's key per database makes access to the data depend on that key's policy, auditable and revocable.
Unencrypted storage is ``rds-instance-encrypted``'s finding; Aurora members and read replicas inherit the key.
"""

from __future__ import annotations

from policies.mlops.kms._managed import customer_key_problem
from policies.mlops.props import is_true
from policies.mlops.rds._common import CLUSTER, INSTANCE, skip_aurora_member, skip_replica
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    skip_aurora_member(resource, "the storage key")
    skip_replica(resource, "the storage key")
    if not is_true(resource.props.get("storageEncrypted")):
        resource.not_applicable("storage is not encrypted (rds-instance-encrypted reports it)")
    problem = customer_key_problem(resource.props.get("kmsKeyId"), field="kmsKeyId", service_key="aws/rds")
    if problem:
        report(problem)


RULE = resource_rule(
    name="rds-instance-customer-key",
    description="RDS instances and clusters encrypt their storage with a customer managed KMS key.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set kms_key_id to the database's platform KMS key (components.data.database creates one per database).",
    resource_types=(INSTANCE, CLUSTER),
    check=_check,
)
