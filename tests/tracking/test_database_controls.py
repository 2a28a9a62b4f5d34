"""PostgresDatabase: every hardening control visible in the captured inputs, dev vs prod, bad input."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from tracking_helpers import DB_SUBNET_CIDRS, one, secret_findings

from components.data.config import DatabaseConfig
from components.data.database import (
    PostgresDatabase,
    PostgresDatabaseArgs,
    db_identifier,
    db_parameters,
    parameter_family,
    validate_database_args,
)
from mlopsctl.engine import Graph, run_program

INSTANCE = "aws:rds/instance:Instance"


def _args(config: DatabaseConfig, **overrides: Any) -> PostgresDatabaseArgs:
    values: dict[str, Any] = {
        "config": config,
        "environment": "dev",
        "vpc_id": "vpc-0123",
        "subnet_ids": ["subnet-db-a", "subnet-db-b"],
        "subnet_cidrs": DB_SUBNET_CIDRS,
        "database_name": "mlflow",
        **overrides,
    }
    return PostgresDatabaseArgs(**values)


def _graph(config: DatabaseConfig) -> Graph:
    def program() -> None:
        db = PostgresDatabase("mlflow", _args(config))
        pulumi.export("secretArn", db.secret_arn)
        pulumi.export("endpoint", db.endpoint)
        pulumi.export("sg", db.security_group_id)
        pulumi.export("key", db.kms_key_arn)

    return run_program(program, config={"aws:region": "eu-west-1"})


@pytest.fixture(scope="module")
def dev() -> Graph:
    return _graph(DatabaseConfig())


@pytest.fixture(scope="module")
def prod() -> Graph:
    return _graph(
        DatabaseConfig(instance_class="db.r7g.large", multi_az=True, deletion_protection=True, backup_retention_days=14)
    )


def test_instance_is_private_encrypted_and_password_managed(dev: Graph) -> None:
    inputs = one(dev, INSTANCE).inputs
    key_arn = one(dev, "aws:kms/key:Key").urn
    assert inputs["engine"] == "postgres"
    # Major only, with automatic minor upgrades: a later `up` never asks RDS to downgrade.
    assert (inputs["engineVersion"], inputs["autoMinorVersionUpgrade"]) == ("16", True)
    assert inputs["publiclyAccessible"] is False
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert inputs["manageMasterUserPassword"] is True
    assert inputs["masterUserSecretKmsKeyId"] == inputs["kmsKeyId"]
    assert "password" not in inputs and "passwordWo" not in inputs
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["performanceInsightsEnabled"] is True
    assert inputs["performanceInsightsKmsKeyId"] == inputs["kmsKeyId"]
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["autoMinorVersionUpgrade"] is True
    assert inputs["backupRetentionPeriod"] >= 7
    assert inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
    assert key_arn in one(dev, INSTANCE).property_dependencies["kmsKeyId"]


def test_key_rotates_and_parameter_group_forces_tls(dev: Graph) -> None:
    assert one(dev, "aws:kms/key:Key").inputs["enableKeyRotation"] is True
    params = one(dev, "aws:rds/parameterGroup:ParameterGroup").inputs
    assert params["family"] == "postgres16"
    settings = {p["name"]: p["value"] for p in params["parameters"]}
    assert settings["rds.force_ssl"] == "1"
    assert settings["ssl_min_protocol_version"] == "TLSv1.2"
    assert settings["log_connections"] == "1"
    assert one(dev, INSTANCE).inputs["parameterGroupName"] == params["name"]


def test_security_group_has_no_rules_of_its_own(dev: Graph) -> None:
    group = one(dev, "aws:ec2/securityGroup:SecurityGroup").inputs
    assert "ingress" not in group and "egress" not in group
    assert not dev.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not dev.by_type("aws:ec2/securityGroupRule:SecurityGroupRule")
    assert one(dev, INSTANCE).inputs["vpcSecurityGroupIds"] == [dev.outputs["sg"]]


def test_log_groups_precreated_with_retention(dev: Graph) -> None:
    groups = {r.inputs["name"]: r.inputs for r in dev.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {"/aws/rds/instance/dev-mlflow/postgresql", "/aws/rds/instance/dev-mlflow/upgrade"}
    assert all(g["retentionInDays"] == 90 for g in groups.values())
    log_urns = {r.urn for r in dev.by_type("aws:cloudwatch/logGroup:LogGroup")}
    assert log_urns <= set(one(dev, INSTANCE).dependencies)


def test_dev_is_destroyable(dev: Graph) -> None:
    inputs = one(dev, INSTANCE).inputs
    assert inputs["deletionProtection"] is False
    assert inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in inputs
    assert inputs["multiAz"] is False
    assert one(dev, INSTANCE).protect is False


def test_prod_is_protected_and_highly_available(prod: Graph) -> None:
    instance = one(prod, INSTANCE)
    inputs = instance.inputs
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["finalSnapshotIdentifier"] == "dev-mlflow-final"
    assert inputs["multiAz"] is True
    assert inputs["backupRetentionPeriod"] == 14
    assert inputs["instanceClass"] == "db.r7g.large"
    assert instance.protect is True


def test_outputs_expose_secret_and_endpoint(dev: Graph) -> None:
    assert dev.outputs["secretArn"].startswith("arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-")
    assert dev.outputs["endpoint"].endswith(".rds.amazonaws.com:5432")
    assert dev.outputs["key"].startswith("arn:aws:kms:")


def test_no_password_in_any_input(dev: Graph, prod: Graph) -> None:
    assert secret_findings(dev) == []
    assert secret_findings(prod) == []


def test_destination_is_the_database_subnets() -> None:
    captured: dict[str, PostgresDatabase] = {}

    def program() -> None:
        captured["db"] = PostgresDatabase("airflow", _args(DatabaseConfig(), database_name="airflow"))

    run_program(program, config={"aws:region": "eu-west-1"})
    destination = captured["db"].destination
    assert destination.cidrs == tuple(DB_SUBNET_CIDRS)
    assert destination.name == "rds/dev-airflow"
    assert destination.security_group_id is not None


@pytest.mark.parametrize(
    ("version", "family"),
    [("16", "postgres16"), ("16.8", "postgres16"), ("17.4", "postgres17"), ("13.20", "postgres13")],
)
def test_parameter_family(version: str, family: str) -> None:
    assert parameter_family(version) == family


def test_parameter_family_rejects_old_or_bad_versions() -> None:
    with pytest.raises(ValueError, match="PostgreSQL 13 or newer"):
        parameter_family("12.9")
    with pytest.raises(ValueError, match="PostgreSQL 13 or newer"):
        parameter_family("x.1")


def test_parameters_are_dynamic() -> None:
    assert all(p["apply_method"] == "immediate" for p in db_parameters())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database_name": "ML-flow"}, "database_name"),
        ({"master_username": "postgres"}, "master_username"),
        ({"subnet_cidrs": []}, "subnet_cidrs"),
        ({"subnet_cidrs": ["10.40.64.0/33"]}, "not a CIDR"),
        ({"subnet_ids": ["subnet-a"]}, "two availability zones"),
        ({"environment": "Dev"}, "database identifier"),
    ],
)
def test_bad_arguments_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_database_args("mlflow", _args(DatabaseConfig(), **overrides))


def test_identifier_rules() -> None:
    assert db_identifier("pr-42", "tracking-db") == "pr-42-tracking-db"
    with pytest.raises(ValueError, match="identifier"):
        db_identifier("dev", "x" * 70)
    with pytest.raises(ValueError, match="identifier"):
        db_identifier("dev", "db-")
