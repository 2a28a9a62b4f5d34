"""Config and argument errors of the orchestrator: unknown mode, mwaa without private egress, bad versions."""

from __future__ import annotations

from typing import Any

import pytest
from orchestrator_helpers import orchestrator_args

from components.config import parse_config
from components.network.config import NetworkConfig
from components.orchestration.component import validate_orchestrator_args
from components.orchestration.config import OrchestratorConfig
from contracts.errors import ConfigError

GOOD: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:owner": "team",
    "mlops:costCenter": "cc-1",
}


def problems(**sections: Any) -> list[str]:
    raw = {**GOOD, **{f"mlops:{key}": value for key, value in sections.items()}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, stack="dev", source="stacks/Pulumi.dev.yaml")
    assert str(caught.value).startswith("stacks/Pulumi.dev.yaml: ")
    return caught.value.problems


def _has(found: list[str], expected: str) -> None:
    assert any(expected in p for p in found), found


def test_unknown_mode() -> None:
    _has(problems(orchestrator={"mode": "kubernetes"}), "mlops:orchestrator.mode: Input should be 'helm' or 'mwaa'")


def test_mwaa_without_private_egress() -> None:
    _has(
        problems(
            orchestrator={"mode": "mwaa"},
            # Everything the network section needs for nat none, so only the orchestrator check remains.
            network={"nat": "none", "interfaceEndpoints": sorted({*NetworkConfig().interface_endpoints, "ec2"})},
        ),
        "orchestrator.mode mwaa needs network.nat single or per-az",
    )


@pytest.mark.parametrize(
    ("orchestrator", "expected"),
    [
        ({"airflowVersion": "2.10.5"}, "mlops:orchestrator.airflowVersion: '2.10.5': helm mode runs Airflow 3.x"),
        ({"airflowVersion": "3.0"}, "mlops:orchestrator.airflowVersion: String should match pattern"),
        ({"mwaa": {"airflowVersion": "2.4.3"}}, "mlops:orchestrator.mwaa.airflowVersion: '2.4.3' is not an Airflow"),
        ({"mwaa": {"minWorkers": 6, "maxWorkers": 2}}, "mlops:orchestrator.mwaa: minWorkers (6) > maxWorkers (2)"),
        ({"mwaa": {"logLevels": {"task": "VERBOSE"}}}, "mlops:orchestrator.mwaa.logLevels.task: Input should be"),
        ({"mwaa": {"logLevels": {"web": "INFO"}}}, "mlops:orchestrator.mwaa.logLevels.web.[key]: Input should be"),
        (
            {"dagsGit": {"repository": "https://github.com/acme/dags.git"}},
            "mlops:orchestrator.dagsGit.egressCidrs: required key is missing",
        ),
        (
            {"dagsGit": {"repository": "https://github.com/acme/dags.git", "egressCidrs": ["0.0.0.0/0"]}},
            "opens to the whole internet",
        ),
        ({"dagsGit": {"repository": "ftp://host/dags", "egressCidrs": ["192.0.2.0/24"]}}, "String should match"),
        ({"dataZonesWrite": ["gold"]}, "orchestrator.dataZonesWrite names zones ['gold'] that the lake does not have"),
        ({"database": {"backupRetentionDays": 1}}, "mlops:orchestrator.database.backupRetentionDays"),
    ],
)
def test_bad_orchestrator_config(orchestrator: dict[str, Any], expected: str) -> None:
    _has(problems(orchestrator=orchestrator), expected)


def test_helm_mode_needs_the_airflow_namespace() -> None:
    _has(problems(cluster={"namespaces": ["serving", "mlflow"]}), "orchestrator.mode helm needs 'airflow'")


def test_mwaa_without_private_subnets_is_rejected_by_the_component() -> None:
    config = OrchestratorConfig(mode="mwaa")
    with pytest.raises(ValueError, match="mode mwaa needs two private subnets"):
        validate_orchestrator_args(orchestrator_args(config, private_subnet_ids=None))
    with pytest.raises(ValueError, match="mode mwaa needs two private subnets"):
        validate_orchestrator_args(orchestrator_args(config, private_subnet_cidrs=["10.40.0.0/20"]))


def test_helm_mode_names_every_missing_input() -> None:
    args = orchestrator_args(OrchestratorConfig(), database_subnet_cidrs=[], db_ca_bundle=None)
    with pytest.raises(ValueError) as caught:
        validate_orchestrator_args(args)
    message = str(caught.value)
    for field in ("k8s_provider", "secrets_operator", "database_subnet_cidrs"):
        assert field in message
    # The CA bundle is optional: without it PgBouncer uses sslmode=require.
    assert "db_ca_bundle" not in message


def test_helm_mode_accepts_no_ca_bundle() -> None:
    args = orchestrator_args(OrchestratorConfig(), provider=object(), operator=object(), db_ca_bundle=None)
    validate_orchestrator_args(args)


def test_a_ca_bundle_that_is_not_pem_is_rejected() -> None:
    args = orchestrator_args(
        OrchestratorConfig(), provider=object(), operator=object(), db_ca_bundle="<html>404</html>"
    )
    with pytest.raises(ValueError, match=r"OrchestratorArgs\.db_ca_bundle is not a PEM certificate bundle"):
        validate_orchestrator_args(args)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"zone_bucket_arns": {"raw": "arn:aws:s3:::raw"}}, r"zones \['curated'\] without a bucket"),
        ({"zone_kms_key_arn": None}, "zone_kms_key_arn"),
        ({"artifact_bucket_arn": None}, "go together"),
        ({"tags": {"managed-by": "x"}}, "managed-by"),
    ],
)
def test_bad_orchestrator_arguments(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_orchestrator_args(orchestrator_args(OrchestratorConfig(mode="mwaa"), **overrides))


def test_disabled_orchestrator_is_not_built() -> None:
    with pytest.raises(ValueError, match="enabled is false"):
        validate_orchestrator_args(orchestrator_args(OrchestratorConfig(enabled=False)))
