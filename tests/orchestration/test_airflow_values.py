"""The pure Helm values builder, validated against the chart's own JSON schema."""

from __future__ import annotations

import configparser
import copy
import json
from typing import Any

import pytest
import upstream_schemas
from orchestrator_helpers import AIRFLOW_SCHEMA, ROLE_ARNS, plain_secrets, schema_errors

from components.orchestration import airflow_values as av
from components.orchestration.config import GitDagsConfig, OrchestratorConfig

LOGS = "s3://dev-ml-artifacts-123456789012-eu-west-1/airflow-logs"
GIT = GitDagsConfig(repository="https://github.com/acme/dags.git", branch="release", egress_cidrs=["140.82.112.0/20"])


def _values(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "airflow_version": "3.0.6",
        "region": "eu-west-1",
        "logs_uri": LOGS,
        "role_arns": ROLE_ARNS,
        "dags_s3_bucket": "dev-ml-artifacts-123456789012-eu-west-1",
        "verify_db_certificate": True,
        **overrides,
    }
    return av.airflow_values(**arguments)


VARIANTS: dict[str, dict[str, Any]] = {
    "s3-dags": {},
    "git-dags": {"dags_git": GIT, "dags_s3_bucket": None},
    "highly-available": {"replicas": 2},
    "no-ca-bundle": {"verify_db_certificate": False},
    "no-ca-bundle-git-ha": {"verify_db_certificate": False, "dags_git": GIT, "dags_s3_bucket": None, "replicas": 2},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_values_validate_against_the_chart_schema(variant: str) -> None:
    assert schema_errors(_values(**VARIANTS[variant])) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda v: v["pgbouncer"].__setitem__("enabeld", True), "pgbouncer"),
        (lambda v: v["scheduler"].__setitem__("replicas", "2"), "scheduler.replicas"),
        (lambda v: v.__setitem__("executor", "kubernetes"), "executor"),
        (lambda v: v["images"]["airflow"].__setitem__("pullPolicy", "Sometimes"), "images.airflow.pullPolicy"),
        (lambda v: v["config"]["logging"].__setitem__("remote_logging", ["True"]), "config.logging.remote_logging"),
        (lambda v: v["data"].__setitem__("metadataSecret", "x"), "data"),
        (lambda v: v["securityContexts"]["pod"].__setitem__("runAsNonRoot", "yes"), "securityContexts.pod"),
    ],
)
def test_changes_the_chart_would_reject_fail(change: Any, where: str) -> None:
    values = copy.deepcopy(_values())
    change(values)
    errors = schema_errors(values)
    assert errors, f"the schema accepted a broken {where}"
    assert any(e.startswith(where) for e in errors), errors


def test_schema_is_the_pinned_copy_with_the_pinned_default() -> None:
    schema = upstream_schemas.load(AIRFLOW_SCHEMA)
    assert schema["properties"]["airflowVersion"]["default"] == "3.0.5"
    assert OrchestratorConfig().airflow_version == "3.0.6"  # 3.0.5 was yanked (apache/airflow#54768)
    assert av.AIRFLOW_CHART_VERSION == "1.18.0"
    assert av.AIRFLOW_CHART_REPOSITORY == "https://airflow.apache.org"


def test_executor_image_and_bundled_databases() -> None:
    values = _values()
    assert values["executor"] == "KubernetesExecutor"
    assert values["postgresql"] == {"enabled": False}
    assert values["redis"] == {"enabled": False}
    assert values["airflowVersion"] == values["defaultAirflowTag"] == "3.0.6"
    assert values["images"]["airflow"] == {"repository": "apache/airflow", "tag": "3.0.6", "pullPolicy": "IfNotPresent"}


def test_connection_and_keys_only_by_secret_name() -> None:
    values = _values()
    names = av.SecretNames()
    assert values["data"] == {"metadataSecretName": names.metadata}
    assert "metadataConnection" not in values["data"]
    assert values["pgbouncer"]["enabled"] is True
    assert values["pgbouncer"]["configSecretName"] == names.pgbouncer_config
    assert values["pgbouncer"]["metricsExporterSidecar"]["statsSecretName"] == names.pgbouncer_stats
    for key in ("fernetKeySecretName", "apiSecretKeySecretName", "webserverSecretKeySecretName", "jwtSecretName"):
        assert values[key] == names.keys
    for key in ("fernetKey", "apiSecretKey", "webserverSecretKey", "jwtSecret"):
        assert key not in values
    assert values["apiServer"]["defaultUser"] == {"enabled": False}
    assert values["webserver"]["defaultUser"] == {"enabled": False}
    assert plain_secrets(values) == []


def test_remote_logging_to_s3() -> None:
    logging = _values()["config"]["logging"]
    assert logging["remote_logging"] == "True"
    assert logging["remote_base_log_folder"] == LOGS
    assert logging["remote_log_conn_id"] == av.AWS_CONNECTION_ID
    assert logging["encrypt_s3_logs"] == "False"
    env = {e["name"]: e["value"] for e in _values()["env"]}
    connection = json.loads(env["AIRFLOW_CONN_AWS_PLATFORM"])
    assert connection == {"conn_type": "aws", "extra": {"region_name": "eu-west-1"}}


def test_irsa_annotation_per_component() -> None:
    values = _values()
    for component in av.COMPONENTS:
        account = values[component]["serviceAccount"]
        assert account["name"] == av.SERVICE_ACCOUNTS[component]
        assert account["annotations"]["eks.amazonaws.com/role-arn"] == ROLE_ARNS[component]
    assert len(set(av.SERVICE_ACCOUNTS.values())) == len(av.COMPONENTS)


def test_non_root_and_network_policies_off() -> None:
    values = _values()
    assert values["networkPolicies"] == {"enabled": False}
    pod = values["securityContexts"]["pod"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 50000
    container = values["securityContexts"]["container"]
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]}
    for component in ("pgbouncer", "statsd"):
        assert values[component]["securityContexts"]["pod"]["runAsUser"] == av.NOBODY
        assert values[component]["securityContexts"]["container"]["readOnlyRootFilesystem"] is True


def test_pgbouncer_mounts_the_rds_ca() -> None:
    pgbouncer = _values()["pgbouncer"]
    assert pgbouncer["extraVolumes"] == [{"name": "rds-ca", "configMap": {"name": av.CA_CONFIGMAP}}]
    assert pgbouncer["extraVolumeMounts"] == [{"name": "rds-ca", "mountPath": av.CA_MOUNT, "readOnly": True}]


def test_pgbouncer_mounts_nothing_without_a_ca_bundle() -> None:
    values = _values(verify_db_certificate=False)
    assert "extraVolumes" not in values["pgbouncer"] and "extraVolumeMounts" not in values["pgbouncer"]
    assert "rds-ca" not in json.dumps(values)
    # Everything else is the same as with a bundle.
    verified = _values()
    for key in ("extraVolumes", "extraVolumeMounts"):
        del verified["pgbouncer"][key]
    assert values == verified


def test_tls_modes() -> None:
    assert av.db_tls_mode(True) == av.DB_TLS_VERIFY_FULL == "verify-full"
    assert av.db_tls_mode(False) == av.DB_TLS_REQUIRE == "require"


def test_dags_from_s3_bundle() -> None:
    values = _values()
    assert "dags" not in values
    bundles = json.loads(values["config"]["dag_processor"]["dag_bundle_config_list"])
    assert bundles == [
        {
            "name": "s3-dags",
            "classpath": "airflow.providers.amazon.aws.bundles.s3.S3DagBundle",
            "kwargs": {
                "aws_conn_id": av.AWS_CONNECTION_ID,
                "bucket_name": "dev-ml-artifacts-123456789012-eu-west-1",
                "prefix": "airflow-dags",
                "refresh_interval": 60,
            },
        }
    ]


def test_dags_from_git_sync() -> None:
    values = _values(dags_git=GIT, dags_s3_bucket=None)
    git = values["dags"]["gitSync"]
    assert git["enabled"] is True
    assert (git["repo"], git["branch"], git["ref"], git["subPath"]) == (GIT.repository, "release", "release", "dags")
    assert git["securityContexts"]["container"]["runAsUser"] == av.GIT_SYNC_UID
    assert "dag_processor" not in values["config"]


def test_high_availability() -> None:
    single, ha = _values(), _values(replicas=2)
    for component in ("scheduler", "apiServer", "pgbouncer"):
        assert single[component]["replicas"] == 1 and ha[component]["replicas"] == 2
        assert single[component]["podDisruptionBudget"]["enabled"] is False
        assert ha[component]["podDisruptionBudget"]["enabled"] is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"airflow_version": "2.10.5"}, "Airflow 3.x"),
        ({"role_arns": {"scheduler": "arn"}}, "lacks IRSA roles"),
        ({"logs_uri": "s3://bucket"}, "logs_uri"),
        ({"dags_s3_bucket": None}, "DAGs need a source"),
        ({"replicas": 0}, "replicas"),
    ],
)
def test_bad_builder_arguments(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _values(**overrides)


def test_database_secret_templates() -> None:
    templates = av.database_secret_templates("db.example.com", "airflow", verify_db_certificate=True)
    names = av.SecretNames()
    connection = templates[names.metadata]["connection"]
    assert connection == (
        "postgresql://{{ .username | urlquery }}:{{ .password | urlquery }}"
        "@airflow-pgbouncer.airflow.svc.cluster.local:6543/airflow-metadata"
    )
    ini = templates[names.pgbouncer_config]["pgbouncer.ini"]
    assert "airflow-metadata = host=db.example.com dbname=airflow port=5432" in ini
    assert "server_tls_sslmode = verify-full" in ini
    assert f"server_tls_ca_file = {av.CA_MOUNT}/ca.pem" in ini
    assert "auth_type = scram-sha-256" in ini
    assert templates[names.pgbouncer_config]["users.txt"] == '"{{ .username }}" "{{ .password }}"\n'
    assert templates[names.pgbouncer_stats]["connection"].endswith("@127.0.0.1:6543/pgbouncer")
    assert plain_secrets(templates) == []


def _pgbouncer_ini(verify: bool) -> configparser.ConfigParser:
    """The rendered PgBouncer config parsed as INI (PgBouncer's format), keys case-preserved."""
    templates = av.database_secret_templates("db.example.com", "airflow", verify_db_certificate=verify)
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(templates[av.SecretNames().pgbouncer_config]["pgbouncer.ini"])
    return parser


@pytest.mark.parametrize(
    ("verify", "tls"),
    [
        (
            True,
            {
                "server_tls_sslmode": "verify-full",
                "server_tls_ca_file": f"{av.CA_MOUNT}/ca.pem",
                "server_tls_protocols": "tlsv1.2,tlsv1.3",
            },
        ),
        (False, {"server_tls_sslmode": "require", "server_tls_protocols": "tlsv1.2,tlsv1.3"}),
    ],
)
def test_pgbouncer_server_tls(verify: bool, tls: dict[str, str]) -> None:
    parser = _pgbouncer_ini(verify)
    assert parser.sections() == ["databases", "pgbouncer"]
    section = parser["pgbouncer"]
    assert {key: value for key, value in section.items() if key.startswith("server_tls")} == tls
    assert section["auth_type"] == "scram-sha-256"
    assert parser["databases"]["airflow-metadata"].startswith("host=db.example.com dbname=airflow port=5432")
    # Only the TLS lines differ between the modes.
    other = _pgbouncer_ini(not verify)
    assert {k: v for k, v in section.items() if not k.startswith("server_tls")} == {
        k: v for k, v in other["pgbouncer"].items() if not k.startswith("server_tls")
    }


def test_keys_template() -> None:
    template = av.keys_secret_template()
    assert set(template) == {"fernet-key", "api-secret-key", "webserver-secret-key", "jwt-secret"}
    assert template["fernet-key"] == "{{ .fernet | b64enc }}"


@pytest.mark.parametrize(
    ("repository", "host", "port"),
    [
        ("https://github.com/acme/dags.git", "github.com", 443),
        ("git@gitlab.example.com:acme/dags.git", "gitlab.example.com", 22),
        ("ssh://git@git.internal:2222/acme/dags.git", "git.internal", 22),
    ],
)
def test_git_destination(repository: str, host: str, port: int) -> None:
    destination, found_port = av.git_destination(GitDagsConfig(repository=repository, egress_cidrs=["192.0.2.0/24"]))
    assert destination.name == f"git:{host}"
    assert destination.cidrs == ("192.0.2.0/24",)
    assert found_port == port


def test_workload_labels_are_the_charts() -> None:
    worker = av.workload("workers", "airflow")
    assert worker.selector == {"tier": "airflow", "component": "worker", "release": "airflow"}
    assert av.workload("migrateDatabaseJob", "airflow").selector["component"] == "run-airflow-migrations"


def test_migrations_are_plain_jobs_so_the_release_wait_can_complete() -> None:
    # As Helm hooks they would run only after the release's readiness wait, which waits for pods that
    # wait for the migrations (fluxcd/flux2#1085; the chart's docs for non-Helm-CLI installs).
    values = _values()
    for job in ("migrateDatabaseJob", "createUserJob"):
        assert values[job] == {"useHelmHooks": False, "applyCustomEnv": False}, job
