"""KMS and RDS rules: compliant fixtures, one failure per changed field, missing and not-applicable cases."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, not_applicable, reg, secret, urn, violations

from policies.mlops.kms import key_rotation
from policies.mlops.rds import (
    instance_backup_retention,
    instance_deletion_protection,
    instance_encrypted,
    instance_no_plain_password,
    instance_not_public,
    instance_tls_forced,
)
from policies.mlops.rds._common import CLUSTER, INSTANCE, PARAMETER_GROUP

KEY = "aws:kms/key:Key"
DB = {
    "engine": "postgres",
    "engineVersion": "16.4",
    "instanceClass": "db.t4g.medium",
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abc",
    "backupRetentionPeriod": 7,
    "deletionProtection": True,
    "manageMasterUserPassword": True,
    "parameterGroupName": "mlflow-pg",
}
PG = {"name": "mlflow-pg", "family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]}
PROD = {"stack": "prod", "config": {"mlops:environment": "prod"}}


def db(inputs: dict[str, Any] = DB, **kw: Any) -> Any:
    return reg(INSTANCE, "mlflow-db", inputs, deps={"parameterGroupName": [urn(PARAMETER_GROUP, "mlflow-pg")]}, **kw)


def test_kms_key_rotation() -> None:
    assert violations(key_rotation.RULE, reg(KEY, "k", {"enableKeyRotation": True})) == []
    assert messages(key_rotation.RULE, reg(KEY, "k", {"enableKeyRotation": False})) == ["enableKeyRotation is not true"]
    assert messages(key_rotation.RULE, reg(KEY, "k", {})) == ["enableKeyRotation is not true"]
    asymmetric = reg(KEY, "k", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"})
    assert violations(key_rotation.RULE, asymmetric) == []
    assert not_applicable(key_rotation.RULE, asymmetric) == ["RSA_2048 keys do not support automatic rotation"]


RESOURCE_CASES = [
    # (rule, field, value, expected message)
    (instance_not_public, "publiclyAccessible", True, "publiclyAccessible is true"),
    (instance_encrypted, "storageEncrypted", False, "storageEncrypted is not true"),
    (instance_encrypted, "storageEncrypted", DELETE, "storageEncrypted is not true"),
    (instance_backup_retention, "backupRetentionPeriod", 3, "backupRetentionPeriod is 3 days"),
    (instance_backup_retention, "backupRetentionPeriod", DELETE, "not set (AWS default: 1 day)"),
    (instance_no_plain_password, "password", "hunter2", "password is set in the program"),
    (instance_no_plain_password, "password", secret("hunter2"), "password is set in the program"),
]


@pytest.mark.parametrize(("module", "field", "value", "expected"), RESOURCE_CASES)
def test_instance_field_changes_fail(module: Any, field: str, value: Any, expected: str) -> None:
    assert violations(module.RULE, db()) == []
    found = messages(module.RULE, db(mutate(DB, field, value)))
    assert len(found) == 1 and expected in found[0], found


def test_not_public_missing_field_is_private_by_default() -> None:
    assert violations(instance_not_public.RULE, db(mutate(DB, "publiclyAccessible", DELETE))) == []


def test_cluster_checked_too() -> None:
    cluster = {
        "engine": "aurora-postgresql",
        "storageEncrypted": True,
        "backupRetentionPeriod": 14,
        "masterPassword": "plain",
        "publiclyAccessible": True,
    }
    resource = reg(CLUSTER, "c", cluster)
    assert messages(instance_no_plain_password.RULE, resource) == [
        "masterPassword is set in the program (it is stored in the state); use manageMasterUserPassword"
    ]
    assert messages(instance_not_public.RULE, resource) == ["publiclyAccessible is true"]
    assert violations(instance_encrypted.RULE, resource) == []


@pytest.mark.parametrize("module", [instance_encrypted, instance_backup_retention], ids=lambda m: m.RULE.name)
def test_aurora_members_and_replicas_are_not_applicable(module: Any) -> None:
    member = db({"engine": "aurora-postgresql", "instanceClass": "db.r7g.large"})
    replica = db({"engine": "postgres", "replicateSourceDb": "primary"})
    assert violations(module.RULE, member, replica) == []
    assert len(not_applicable(module.RULE, member, replica)) == 2


def test_deletion_protection_only_in_prod() -> None:
    unprotected = db(mutate(DB, "deletionProtection", False), stack="prod")
    assert messages(instance_deletion_protection.RULE, unprotected, **PROD) == [
        "deletionProtection is not true in the production tier"
    ]
    missing = db(mutate(DB, "deletionProtection", DELETE), stack="prod")
    assert len(violations(instance_deletion_protection.RULE, missing, **PROD)) == 1
    assert violations(instance_deletion_protection.RULE, db(stack="prod"), **PROD) == []
    dev = db(mutate(DB, "deletionProtection", False))
    assert violations(instance_deletion_protection.RULE, dev, config={"mlops:environment": "dev"}) == []
    assert not_applicable(instance_deletion_protection.RULE, dev, config={"mlops:environment": "dev"}) == [
        "tier 'development' is not one of ['production']"
    ]


def test_deletion_protection_keys_on_the_tier_not_the_name() -> None:
    # Renaming the environment must not switch production safeguards off (bad-input review).
    renamed = db(mutate(DB, "deletionProtection", False), stack="live-eu")
    production = {"mlops:environment": "production"}
    assert len(violations(instance_deletion_protection.RULE, renamed, config=production)) == 1
    explicit = {"mlops:environment": "eu1", "mlops:tier": "production"}
    assert len(violations(instance_deletion_protection.RULE, renamed, config=explicit)) == 1
    staging = {"mlops:environment": "prod", "mlops:tier": "staging"}
    assert violations(instance_deletion_protection.RULE, renamed, config=staging) == []


def test_deletion_protection_environment_falls_back_to_stack_name() -> None:
    unprotected = db(mutate(DB, "deletionProtection", False), stack="prod")
    assert len(violations(instance_deletion_protection.RULE, unprotected, stack="prod")) == 1


def test_deletion_protection_environments_from_policy_config() -> None:
    from policy_testkit import TODAY, graph

    from mlopsctl.policy import evaluate

    staging = graph(db(mutate(DB, "deletionProtection", False), stack="staging"), stack="staging")
    config = {"rds-instance-deletion-protection": {"tiers": ["production", "development"]}}
    report = evaluate(staging, today=TODAY, rules=[instance_deletion_protection.RULE], policy_config=config)
    assert [v.policy for v in report.violations] == ["rds-instance-deletion-protection"]


def pg(inputs: dict[str, Any] = PG) -> Any:
    return reg(PARAMETER_GROUP, "mlflow-pg", inputs)


TLS_CASES = [
    # (instance inputs, group inputs or None, expected message or None)
    (DB, PG, None),
    (DB, mutate(PG, "parameters[0].value", "0"), "sets rds.force_ssl='0'"),
    (mutate(DB, "engineVersion", "14.9"), mutate(PG, "parameters", []), "does not set rds.force_ssl=1"),
    (mutate(DB, "engineVersion", "16.4"), mutate(PG, "parameters", []), None),  # PG >= 15 defaults to 1
    (mutate(DB, "parameterGroupName", DELETE), None, None),  # default group of PG 16 forces TLS
    (mutate(mutate(DB, "parameterGroupName", DELETE), "engineVersion", "13.7"), None, "default parameter group"),
    (
        mutate(mutate(DB, "engine", "mysql"), "engineVersion", "8.0.39"),
        mutate(PG, "parameters", []),
        "does not set require_secure_transport=1",
    ),
    (
        mutate(DB, "engine", "mysql"),
        {"name": "mlflow-pg", "parameters": [{"name": "require_secure_transport", "value": "ON"}]},
        None,
    ),
    (mutate(DB, "parameterGroupName", "shared-pg"), None, "not declared in this stack"),
]


@pytest.mark.parametrize(("instance", "group", "expected"), TLS_CASES)
def test_tls_forced(instance: dict[str, Any], group: dict[str, Any] | None, expected: str | None) -> None:
    resources = [
        reg(
            INSTANCE,
            "db",
            instance,
            deps={"parameterGroupName": [urn(PARAMETER_GROUP, "mlflow-pg")]} if group is not None else None,
        )
    ]
    if group is not None:
        resources.append(pg(group))
    found = messages(instance_tls_forced.RULE, *resources)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_tls_not_applicable_to_oracle() -> None:
    oracle = reg(INSTANCE, "db", mutate(DB, "engine", "oracle-ee"))
    assert violations(instance_tls_forced.RULE, oracle) == []


def test_tls_group_joined_by_name_without_dependency() -> None:
    instance = reg(INSTANCE, "db", mutate(DB, "engineVersion", "14.9"))
    assert violations(instance_tls_forced.RULE, instance, pg()) == []
    assert len(violations(instance_tls_forced.RULE, instance, pg(mutate(PG, "parameters[0].value", "0")))) == 1
