"""Pure builder of the Apache Airflow chart's Helm values, and the names the values refer to.

Chart version: **1.18.0** (``AIRFLOW_CHART_VERSION``). Why: the values are validated against the chart's
own ``values.schema.json`` committed in ``tests/data/schemas`` (apache/airflow commit 002e5532, default Airflow
3.0.5). That commit lies on ``main`` between chart releases 1.18.0 (2025-07-12, appVersion 3.0.2) and
1.19.0 (2026-02-17, whose default moved on to 3.1.7 through 3.0.x/3.1.x bumps, apache/airflow#61447), so
no released chart defaults to 3.0.5. 1.18.0 is the release this schema descends from: every key used
here exists in it (apiServer, jwtSecretName, apiSecretKeySecretName, dagProcessor, securityContexts,
pgbouncer.configSecretName / metricsExporterSidecar.statsSecretName). The Airflow image is pinned to the
configured version (3.0.6 by default: 3.0.5 was yanked from PyPI, apache/airflow#54768) through ``airflowVersion``/``defaultAirflowTag``/``images.airflow``,
so the chart's own default image is never used.

Nothing secret is in the values: the metadata connection, PgBouncer's config and the Fernet/API/JWT keys
are names of Kubernetes Secrets that the External Secrets Operator fills from Secrets Manager.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.orchestration.config import GitDagsConfig
from components.registry.images import RegistryBase, image_values, repository
from contracts.flows import ExternalDestination, Workload

AIRFLOW_CHART = "airflow"
AIRFLOW_CHART_REPOSITORY = "https://airflow.apache.org"
AIRFLOW_CHART_VERSION = "1.18.0"
RELEASE = "airflow"
"""Helm release name; the chart prefixes its objects with it."""
AIRFLOW_IMAGE = "docker.io/apache/airflow"
"""The official Airflow image (Docker Hub)."""
CHART_IMAGES: dict[str, tuple[str, str]] = {
    "statsd": ("quay.io/prometheus/statsd-exporter", "v0.28.0"),
    "pgbouncer": ("docker.io/apache/airflow", "airflow-pgbouncer-2025.03.05-1.23.1"),
    "pgbouncerExporter": ("docker.io/apache/airflow", "airflow-pgbouncer-exporter-2025.03.05-0.18.0"),
    "gitSync": ("registry.k8s.io/git-sync/git-sync", "v4.4.2"),
}
"""``images.<key>`` -> (image, tag) of the chart's helper images this platform runs (git-sync only with
``dags_git``), as the chart defaults them (the pinned values.schema.json; chart 1.18.0). Set explicitly only to
pull them through the stack's ECR."""
AIRFLOW_UID = 50000
"""UID of the official Airflow image (must run with GID 0)."""
NOBODY = 65534
GIT_SYNC_UID = 65533
PGBOUNCER_PORT = 6543
API_SERVER_PORT = 8080
WORKER_LOG_PORT = 8793
TRIGGERER_LOG_PORT = 8794
STATSD_PORT = 9125
METADATA_DATABASE = "airflow"
"""Database of the metadata store on the RDS instance."""
PGBOUNCER_DATABASE_ALIAS = f"{RELEASE}-metadata"
"""Database name clients use at PgBouncer (routes to the RDS metadata database)."""
AWS_CONNECTION_ID = "aws_platform"
"""Airflow connection used for remote logs and S3 DAG bundles: no keys, so boto3 uses the pod's IRSA role."""
CA_CONFIGMAP = "rds-ca-bundle"
"""ConfigMap with the RDS CA bundle (key ``ca.pem``), only when PgBouncer verifies the server certificate."""
CA_MOUNT = "/etc/pgbouncer-ca"
DB_TLS_VERIFY_FULL = "verify-full"
"""PgBouncer ``server_tls_sslmode`` with a CA bundle: TLS, certificate and host name verified."""
DB_TLS_REQUIRE = "require"
"""PgBouncer ``server_tls_sslmode`` without a bundle: TLS (RDS forces it too), certificate not verified."""
API_SERVICE = f"{RELEASE}-api-server"
"""Service of the Airflow 3 API server (UI, REST and task execution API)."""

COMPONENTS = ("scheduler", "workers", "apiServer", "dagProcessor", "triggerer")
"""Chart components that get their own ServiceAccount and IRSA role."""
SERVICE_ACCOUNTS = {
    "scheduler": f"{RELEASE}-scheduler",
    "workers": f"{RELEASE}-worker",
    "apiServer": f"{RELEASE}-api-server",
    "dagProcessor": f"{RELEASE}-dag-processor",
    "triggerer": f"{RELEASE}-triggerer",
}
"""ServiceAccount names, set explicitly so each IRSA trust policy names exactly one of them."""
WORKLOAD_COMPONENTS = {
    "scheduler": "scheduler",
    "workers": "worker",
    "apiServer": "api-server",
    "dagProcessor": "dag-processor",
    "triggerer": "triggerer",
    "pgbouncer": "pgbouncer",
    "statsd": "statsd",
    "migrateDatabaseJob": "run-airflow-migrations",
}
"""``component`` label the chart puts on each kind of pod."""


@dataclass(frozen=True)
class SecretNames:
    """Kubernetes Secrets the chart reads (created by ESO before the release)."""

    metadata: str = f"{RELEASE}-metadata"
    """Key ``connection``: the SQLAlchemy URI (to PgBouncer)."""
    pgbouncer_config: str = f"{RELEASE}-pgbouncer-config"
    """Keys ``pgbouncer.ini`` and ``users.txt``."""
    pgbouncer_stats: str = f"{RELEASE}-pgbouncer-stats"
    """Key ``connection``: PgBouncer admin console URI for the metrics exporter."""
    keys: str = f"{RELEASE}-keys"
    """Keys ``fernet-key``, ``api-secret-key``, ``webserver-secret-key``, ``jwt-secret``."""


def db_tls_mode(verify_db_certificate: bool) -> str:
    """PgBouncer's ``server_tls_sslmode`` towards RDS (libpq's names): ``verify-full`` or ``require``."""
    return DB_TLS_VERIFY_FULL if verify_db_certificate else DB_TLS_REQUIRE


def workload(component: str, namespace: str) -> Workload:
    """The pods of one chart component (labels ``tier``/``component``/``release``) as a flow endpoint."""
    label = WORKLOAD_COMPONENTS[component]
    return Workload.of(
        f"{namespace}/airflow-{label}", namespace, {"tier": "airflow", "component": label, "release": RELEASE}
    )


def git_destination(dags_git: GitDagsConfig) -> tuple[ExternalDestination, int]:
    """The git host git-sync reaches, and its port (22 for ssh, 443 for https)."""
    port = 443 if dags_git.repository.startswith("https://") else 22
    return ExternalDestination(name=f"git:{_git_host(dags_git.repository)}", cidrs=tuple(dags_git.egress_cidrs)), port


def _git_host(repository: str) -> str:
    rest = repository.split("://", 1)[1] if "://" in repository else repository
    host = rest.split("@", 1)[-1]
    return host.split("/", 1)[0].split(":", 1)[0]


def pod_security_context(uid: int = AIRFLOW_UID, gid: int = 0) -> dict[str, Any]:
    """Non-root pod context with the runtime's default seccomp profile (PSS ``restricted``)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "fsGroup": gid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(*, read_only_root: bool = False, uid: int | None = None) -> dict[str, Any]:
    """No privilege escalation, every capability dropped; read-only root where the image allows it."""
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if uid is not None:
        context["runAsUser"] = uid
    return context


def _service_account(component: str, role_arns: Mapping[str, str]) -> dict[str, Any]:
    return {
        "create": True,
        "name": SERVICE_ACCOUNTS[component],
        "annotations": {
            "eks.amazonaws.com/role-arn": role_arns[component],
            "eks.amazonaws.com/sts-regional-endpoints": "true",
        },
    }


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _pdb(enabled: bool) -> dict[str, Any]:
    return {"enabled": enabled, "config": {"maxUnavailable": 1}}


def dag_bundle_config(bucket: str, prefix: str) -> str:
    """Airflow 3 DAG bundle list reading DAGs from an S3 prefix (``S3DagBundle``, Amazon provider)."""
    clean = prefix.strip("/")
    if not bucket or not clean:
        raise ValueError("an S3 DAG bundle needs a bucket and a non-empty prefix")
    return json.dumps(
        [
            {
                "name": "s3-dags",
                "classpath": "airflow.providers.amazon.aws.bundles.s3.S3DagBundle",
                "kwargs": {
                    "aws_conn_id": AWS_CONNECTION_ID,
                    "bucket_name": bucket,
                    "prefix": clean,
                    "refresh_interval": 60,
                },
            }
        ]
    )


def airflow_values(
    *,
    airflow_version: str,
    region: str,
    logs_uri: str,
    role_arns: Mapping[str, str],
    verify_db_certificate: bool,
    dags_git: GitDagsConfig | None = None,
    dags_s3_bucket: str | None = None,
    dags_s3_prefix: str = "airflow-dags",
    replicas: int = 1,
    secrets: SecretNames | None = None,
    registry: RegistryBase | None = None,
) -> dict[str, Any]:
    """The chart's values: KubernetesExecutor, external metadata DB through PgBouncer, no bundled
    PostgreSQL/Redis, keys from pre-created Secrets, remote task logs on S3, IRSA per component,
    non-root pods, and the chart's network policies off (the zero-trust graph renders ours).

    DAGs come from git-sync when ``dags_git`` is set, else from ``s3://<dags_s3_bucket>/<dags_s3_prefix>``.
    ``replicas`` above 1 runs schedulers, API servers and PgBouncer highly available, with disruption budgets.
    ``verify_db_certificate`` mounts the RDS CA ConfigMap (:data:`CA_CONFIGMAP`) into PgBouncer; without it
    PgBouncer mounts nothing extra (see :func:`pgbouncer_ini_template`).
    ``registry``: every image is pulled through the stack's ECR. That includes ``defaultAirflowRepository``: the
    chart's task-pod template (KubernetesExecutor), Flower and migration images fall back to it, not to
    ``images.airflow`` (templates/_helpers.yaml ``pod_template_image``, ``default_airflow_image``).
    """
    if not airflow_version.startswith("3."):
        raise ValueError(f"airflow_version {airflow_version!r}: the chart values are built for Airflow 3.x")
    missing = sorted(set(COMPONENTS) - set(role_arns))
    if missing:
        raise ValueError(f"role_arns lacks IRSA roles for {missing}")
    if not logs_uri.startswith("s3://") or logs_uri.rstrip("/").count("/") < 3:
        raise ValueError(f"logs_uri {logs_uri!r} must be s3://<bucket>/<prefix>")
    if dags_git is None and not dags_s3_bucket:
        raise ValueError("DAGs need a source: dags_git (git-sync) or dags_s3_bucket (S3 DAG bundle)")
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1 (got {replicas})")
    names = secrets or SecretNames()
    ha = replicas > 1
    airflow_container = container_security_context()
    nobody_pod = pod_security_context(NOBODY, NOBODY)
    nobody_container = container_security_context(read_only_root=True)

    config: dict[str, dict[str, str]] = {
        "core": {"load_examples": "False"},
        "logging": {
            "remote_logging": "True",
            "remote_base_log_folder": logs_uri.rstrip("/"),
            "remote_log_conn_id": AWS_CONNECTION_ID,
            # AES256 would be refused by the bucket policy: objects get the bucket's SSE-KMS default.
            "encrypt_s3_logs": "False",
            "delete_local_logs": "True",
        },
    }
    images: dict[str, Any] = {
        "airflow": {
            "repository": repository("apache/airflow", registry),
            "tag": airflow_version,
            "pullPolicy": "IfNotPresent",
        }
    }
    if registry is not None:
        running = [key for key in CHART_IMAGES if key != "gitSync" or dags_git is not None]
        images.update({key: image_values(*CHART_IMAGES[key], registry) for key in running})
    values: dict[str, Any] = {
        "airflowVersion": airflow_version,
        "defaultAirflowTag": airflow_version,
        "images": images,
        "executor": "KubernetesExecutor",
        "postgresql": {"enabled": False},
        "redis": {"enabled": False},
        "data": {"metadataSecretName": names.metadata},
        "fernetKeySecretName": names.keys,
        "apiSecretKeySecretName": names.keys,
        "webserverSecretKeySecretName": names.keys,
        "jwtSecretName": names.keys,
        "networkPolicies": {"enabled": False},
        "securityContexts": {"pod": pod_security_context(), "container": airflow_container},
        "env": [
            {"name": f"AIRFLOW_CONN_{AWS_CONNECTION_ID.upper()}", "value": _aws_connection(region)},
            {"name": "AWS_REGION", "value": region},
            {"name": "AWS_DEFAULT_REGION", "value": region},
        ],
        "config": config,
        "logs": {"persistence": {"enabled": False}},
        "scheduler": {
            "replicas": replicas,
            "serviceAccount": _service_account("scheduler", role_arns),
            "resources": _resources("500m", "1Gi", "2", "2Gi"),
            "podDisruptionBudget": _pdb(ha),
        },
        "workers": {
            "serviceAccount": _service_account("workers", role_arns),
            "resources": _resources("500m", "1Gi", "2", "4Gi"),
        },
        "apiServer": {
            "replicas": replicas,
            "serviceAccount": _service_account("apiServer", role_arns),
            "resources": _resources("250m", "1Gi", "1", "2Gi"),
            "podDisruptionBudget": _pdb(ha),
            # No default admin/admin user: users come from the auth manager (bootstrap documented).
            "defaultUser": {"enabled": False},
        },
        "webserver": {"defaultUser": {"enabled": False}},
        # Not Helm hooks: Pulumi's helm.v3.Release waits for readiness, Helm runs post-install hooks only
        # after that wait, and the Airflow pods wait for the migrations: a deadlock (fluxcd/flux2#1085).
        # The chart's own docs for Argo CD/Flux/Terraform installs ask for exactly these four values
        # (templates/jobs/migrate-database-job.yaml, create-user-job.yaml: the hook annotations and the
        # custom env are conditional on them). As plain Jobs they run beside the pods, whose
        # wait-for-airflow-migrations init container holds them until the schema is ready; the custom env
        # stays off so an env change never edits an existing Job's immutable pod template.
        "migrateDatabaseJob": {"useHelmHooks": False, "applyCustomEnv": False},
        "createUserJob": {"useHelmHooks": False, "applyCustomEnv": False},
        "dagProcessor": {
            "enabled": True,
            "serviceAccount": _service_account("dagProcessor", role_arns),
            "resources": _resources("250m", "512Mi", "1", "2Gi"),
        },
        "triggerer": {
            "serviceAccount": _service_account("triggerer", role_arns),
            "resources": _resources("100m", "512Mi", "1", "1Gi"),
            # Logs go to S3; no 100Gi volume per triggerer.
            "persistence": {"enabled": False},
        },
        "pgbouncer": {
            "enabled": True,
            "replicas": replicas,
            "configSecretName": names.pgbouncer_config,
            "metricsExporterSidecar": {
                "statsSecretName": names.pgbouncer_stats,
                "securityContexts": {"container": nobody_container},
            },
            "metadataPoolSize": 10,
            "maxClientConn": 200,
            "resources": _resources("50m", "64Mi", "500m", "256Mi"),
            "podDisruptionBudget": _pdb(ha),
            "securityContexts": {"pod": nobody_pod, "container": nobody_container},
        },
        "statsd": {
            "enabled": True,
            "securityContexts": {"pod": nobody_pod, "container": nobody_container},
            "resources": _resources("20m", "64Mi", "200m", "128Mi"),
        },
    }
    if registry is not None:
        values["defaultAirflowRepository"] = images["airflow"]["repository"]
    if verify_db_certificate:
        values["pgbouncer"]["extraVolumes"] = [{"name": "rds-ca", "configMap": {"name": CA_CONFIGMAP}}]
        values["pgbouncer"]["extraVolumeMounts"] = [{"name": "rds-ca", "mountPath": CA_MOUNT, "readOnly": True}]
    if dags_git is not None:
        values["dags"] = {
            "gitSync": {
                "enabled": True,
                "repo": dags_git.repository,
                "branch": dags_git.branch,
                "ref": dags_git.branch,
                "rev": "HEAD",
                "depth": 1,
                "subPath": dags_git.subpath,
                "period": "60s",
                "securityContexts": {"container": container_security_context(uid=GIT_SYNC_UID)},
                "resources": _resources("20m", "64Mi", "200m", "256Mi"),
            }
        }
    else:
        assert dags_s3_bucket is not None
        config["dag_processor"] = {"dag_bundle_config_list": dag_bundle_config(dags_s3_bucket, dags_s3_prefix)}
    return values


def _aws_connection(region: str) -> str:
    """An Airflow AWS connection with no credentials: boto3 falls back to the pod's web identity (IRSA)."""
    return json.dumps({"conn_type": "aws", "extra": {"region_name": region}}, sort_keys=True)


def pgbouncer_ini_template(
    db_host: str, *, verify_db_certificate: bool, pool_size: int = 10, max_client_conn: int = 200
) -> str:
    """PgBouncer's config as an ESO template: SCRAM towards clients, TLS 1.2+ towards RDS.

    With ``verify_db_certificate`` the RDS certificate is verified against the mounted CA bundle
    (``verify-full``); without, the connection is encrypted but the certificate is not verified (``require``).
    """
    tls = [f"server_tls_sslmode = {db_tls_mode(verify_db_certificate)}"]
    if verify_db_certificate:
        tls.append(f"server_tls_ca_file = {CA_MOUNT}/ca.pem")
    return "\n".join(
        [
            "[databases]",
            f"{PGBOUNCER_DATABASE_ALIAS} = host={db_host} dbname={METADATA_DATABASE} port=5432 pool_size={pool_size}",
            "",
            "[pgbouncer]",
            "pool_mode = transaction",
            f"listen_port = {PGBOUNCER_PORT}",
            "listen_addr = *",
            "auth_type = scram-sha-256",
            "auth_file = /etc/pgbouncer/users.txt",
            "stats_users = {{ .username }}",
            "ignore_startup_parameters = extra_float_digits",
            f"max_client_conn = {max_client_conn}",
            "verbose = 0",
            "log_disconnections = 0",
            "log_connections = 0",
            *tls,
            "server_tls_protocols = tlsv1.2,tlsv1.3",
            "",
        ]
    )


def database_secret_templates(
    db_host: str, namespace: str, *, verify_db_certificate: bool
) -> dict[str, dict[str, str]]:
    """ESO templates (over ``username``/``password`` of the RDS secret) of the three database Secrets.

    Airflow reaches PgBouncer inside the cluster (network policy: Airflow pods only); PgBouncer reaches
    RDS over TLS, verifying the certificate when ``verify_db_certificate`` (see :func:`pgbouncer_ini_template`).
    """
    names = SecretNames()
    login = "{{ .username | urlquery }}:{{ .password | urlquery }}"
    pgbouncer = f"{RELEASE}-pgbouncer.{namespace}.svc.cluster.local:{PGBOUNCER_PORT}"
    return {
        names.metadata: {"connection": f"postgresql://{login}@{pgbouncer}/{PGBOUNCER_DATABASE_ALIAS}"},
        names.pgbouncer_config: {
            "pgbouncer.ini": pgbouncer_ini_template(db_host, verify_db_certificate=verify_db_certificate),
            "users.txt": '"{{ .username }}" "{{ .password }}"\n',
        },
        names.pgbouncer_stats: {"connection": f"postgresql://{login}@127.0.0.1:{PGBOUNCER_PORT}/pgbouncer"},
    }


def keys_secret_template() -> dict[str, str]:
    """ESO template of the keys Secret over the generated ``fernet``, ``api`` and ``jwt`` values.

    A Fernet key is 32 bytes, url-safe base64: the generated 32-character value, base64-encoded (the
    chart derives its own default the same way).
    """
    return {
        "fernet-key": "{{ .fernet | b64enc }}",
        "api-secret-key": "{{ .api }}",
        "webserver-secret-key": "{{ .api }}",
        "jwt-secret": "{{ .jwt }}",
    }


__all__ = [
    "AIRFLOW_CHART",
    "AIRFLOW_CHART_REPOSITORY",
    "AIRFLOW_CHART_VERSION",
    "API_SERVICE",
    "COMPONENTS",
    "SERVICE_ACCOUNTS",
    "SecretNames",
    "airflow_values",
    "dag_bundle_config",
    "database_secret_templates",
    "db_tls_mode",
    "git_destination",
    "keys_secret_template",
    "pgbouncer_ini_template",
    "workload",
]
