"""Pure builders of the MLflow tracking server's Kubernetes specs: command line, environment, init
container, probes, security contexts, resources, and the Deployment, Service and PodDisruptionBudget
(camelCase, as the API server takes them).

Names, URIs, database TLS and credentials come from :mod:`components.tracking.access`. Nothing here creates
resources; :mod:`components.tracking.component` wires these into the cluster. Every value that is a secret
is referenced (``secretKeyRef``, ``$(VAR)`` expansion by the kubelet), never contained.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from components.data.database import POSTGRES_PORT
from components.registry.images import RegistryBase, pull_through
from components.tracking.access import (
    AUTH_DATABASE,
    CA_CONFIGMAP,
    CA_DIR,
    CA_PATH,
    CREDENTIALS_SECRET,
    MLFLOW_PORT,
    SERVER_LABELS,
    SERVICE_ACCOUNT,
    SERVICE_NAME,
    TRACKING_DATABASE,
    allowed_hosts,
    artifacts_destination,
    backend_store_uri,
    db_tls_mode,
)

AUTH_CONFIG_PATH = "/etc/mlflow/auth/basic_auth.ini"
RUN_AS_USER = 10001
"""The MLflow image declares no user; the pods run as this unprivileged uid/gid."""

# Creates the basic-auth database on first start; idempotent, and safe when replicas start together.
# TLS settings come from the environment: MLFLOW_DB_CA is absent without a CA bundle, and psycopg2
# (make_dsn) drops keywords whose value is None, so no sslrootcert reaches libpq then.
CREATE_AUTH_DB_SCRIPT = """\
import os
import psycopg2
from psycopg2 import errors, sql

name = os.environ["MLFLOW_AUTH_DATABASE"]
conn = psycopg2.connect(
    host=os.environ["MLFLOW_DB_HOST"],
    port=int(os.environ["MLFLOW_DB_PORT"]),
    dbname=os.environ["MLFLOW_DB_NAME"],
    user=os.environ["MLFLOW_DB_USERNAME"],
    password=os.environ["MLFLOW_DB_PASSWORD"],
    sslmode=os.environ["MLFLOW_DB_SSLMODE"],
    sslrootcert=os.environ.get("MLFLOW_DB_CA"),
    connect_timeout=10,
)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if cur.fetchone() is None:
        try:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass
conn.close()
"""


def mlflow_image(version: str, registry: RegistryBase | None = None) -> str:
    """The official image with database drivers and boto3 (``-full`` variant), pinned by version; with
    ``registry``, pulled through the stack's ECR (``<host>/ghcr/mlflow/mlflow:v<version>-full``)."""
    return pull_through(f"ghcr.io/mlflow/mlflow:v{version}-full", registry)


def server_args(*, artifacts: str, namespace: str, workers: int = 2, external_hosts: Sequence[str] = ()) -> list[str]:
    """``mlflow server`` arguments. The backend store URI is *not* an argument: MLflow reads it from
    ``MLFLOW_BACKEND_STORE_URI`` (the option's envvar), which the kubelet composes from Secret-sourced
    variables, so the password is neither in the spec nor in the process's argv.

    ``external_hosts``: the names the load balancer forwards (``mlops:access``: ``mlflow.<domain>``,
    ``mlflow-api.<domain>``). MLflow's security middleware rejects any other Host header, and blocks state-changing
    requests whose Origin is not allowed (mlflow/server/security_utils.py ``should_block_cors_request``): the UI
    served at ``https://<host>`` posts with that Origin, so each host is also an allowed CORS origin."""
    return [
        "server",
        "--host",
        "0.0.0.0",
        "--port",
        str(MLFLOW_PORT),
        "--workers",
        str(workers),
        "--serve-artifacts",
        "--artifacts-destination",
        artifacts,
        "--app-name",
        "basic-auth",
        "--allowed-hosts",
        ",".join([*allowed_hosts(namespace), *external_hosts]),
        *(["--cors-allowed-origins", ",".join(f"https://{h}" for h in external_hosts)] if external_hosts else []),
    ]


def probes() -> dict[str, dict[str, Any]]:
    """Startup (first start runs the DB migrations), readiness and liveness probes on ``/health``.

    The Host header is the Service name: the server rejects unknown hosts (DNS-rebinding protection).
    """
    get = {
        "path": "/health",
        "port": "http",
        "httpHeaders": [{"name": "Host", "value": f"{SERVICE_NAME}:{MLFLOW_PORT}"}],
    }
    return {
        "startupProbe": {"httpGet": get, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 30},
        "readinessProbe": {"httpGet": get, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"httpGet": get, "periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 6},
    }


def container_security_context() -> dict[str, Any]:
    """Restricted container context: non-root, read-only root filesystem, no escalation, no capabilities."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context() -> dict[str, Any]:
    """Restricted pod context (Pod Security Standard ``restricted``)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(replicas: int) -> dict[str, dict[str, str]]:
    """Requests and limits of the server container (larger when it runs highly available)."""
    if replicas >= 2:
        return {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    return {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def _secret_env(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": key}}}


def server_env(
    *, db_host: str, region: str, artifact_kms_key_arn: str, verify_db_certificate: bool
) -> list[dict[str, Any]]:
    """Environment of the server container. Order matters: ``$(VAR)`` refers to variables defined above it."""
    return [
        _secret_env("MLFLOW_DB_USERNAME", "db-username"),
        _secret_env("MLFLOW_DB_PASSWORD_URLENCODED", "db-password-urlencoded"),
        {
            "name": "MLFLOW_BACKEND_STORE_URI",
            "value": backend_store_uri(db_host, verify_db_certificate=verify_db_certificate),
        },
        {"name": "MLFLOW_AUTH_CONFIG_PATH", "value": AUTH_CONFIG_PATH},
        _secret_env("MLFLOW_FLASK_SERVER_SECRET_KEY", "flask-secret-key"),
        # Uploads ask for SSE-KMS with the bucket's key: the lake's bucket policy denies any other put.
        {
            "name": "MLFLOW_S3_UPLOAD_EXTRA_ARGS",
            "value": json.dumps({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": artifact_kms_key_arn}),
        },
        {"name": "AWS_REGION", "value": region},
        {"name": "AWS_DEFAULT_REGION", "value": region},
        {"name": "HOME", "value": "/tmp"},
    ]


def _ca_volume_mounts(verify_db_certificate: bool) -> list[dict[str, Any]]:
    """The CA bundle's mount, only when certificates are verified (no ConfigMap exists otherwise)."""
    return [{"name": "rds-ca", "mountPath": CA_DIR, "readOnly": True}] if verify_db_certificate else []


def init_container(*, image: str, db_host: str, verify_db_certificate: bool) -> dict[str, Any]:
    """Creates the basic-auth database if missing (same image, same restricted context).

    The script reads its TLS settings from ``MLFLOW_DB_SSLMODE`` and (when verifying) ``MLFLOW_DB_CA``.
    """
    tls_env = [{"name": "MLFLOW_DB_SSLMODE", "value": db_tls_mode(verify_db_certificate)}]
    if verify_db_certificate:
        tls_env.append({"name": "MLFLOW_DB_CA", "value": CA_PATH})
    return {
        "name": "create-auth-database",
        "image": image,
        "command": ["python", "-c", CREATE_AUTH_DB_SCRIPT],
        "env": [
            {"name": "MLFLOW_DB_HOST", "value": db_host},
            {"name": "MLFLOW_DB_PORT", "value": str(POSTGRES_PORT)},
            {"name": "MLFLOW_DB_NAME", "value": TRACKING_DATABASE},
            {"name": "MLFLOW_AUTH_DATABASE", "value": AUTH_DATABASE},
            *tls_env,
            _secret_env("MLFLOW_DB_USERNAME", "db-username"),
            _secret_env("MLFLOW_DB_PASSWORD", "db-password"),
            {"name": "HOME", "value": "/tmp"},
        ],
        "securityContext": container_security_context(),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *_ca_volume_mounts(verify_db_certificate)],
    }


def deployment_spec(
    *,
    version: str,
    replicas: int,
    namespace: str,
    db_host: str,
    region: str,
    artifact_bucket: str,
    artifact_prefix: str,
    artifact_kms_key_arn: str,
    verify_db_certificate: bool,
    registry: RegistryBase | None = None,
    external_hosts: Sequence[str] = (),
) -> dict[str, Any]:
    """The server Deployment's ``spec``.

    ``verify_db_certificate``: mount the RDS CA bundle (ConfigMap :data:`CA_CONFIGMAP`) and connect with
    ``sslmode=verify-full``; False connects with ``sslmode=require`` and mounts nothing. ``registry``: the
    image (server and init container) is pulled through the stack's ECR.
    """
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1 (got {replicas})")
    image = mlflow_image(version, registry)
    container = {
        "name": "mlflow",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["mlflow"],
        "args": server_args(
            artifacts=artifacts_destination(artifact_bucket, artifact_prefix),
            namespace=namespace,
            external_hosts=external_hosts,
        ),
        "ports": [{"name": "http", "containerPort": MLFLOW_PORT, "protocol": "TCP"}],
        "env": server_env(
            db_host=db_host,
            region=region,
            artifact_kms_key_arn=artifact_kms_key_arn,
            verify_db_certificate=verify_db_certificate,
        ),
        **probes(),
        "resources": resources(replicas),
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "auth-config", "mountPath": "/etc/mlflow/auth", "readOnly": True},
            *_ca_volume_mounts(verify_db_certificate),
        ],
    }
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
        {
            "name": "auth-config",
            "secret": {
                "secretName": CREDENTIALS_SECRET,
                "items": [{"key": "basic_auth.ini", "path": "basic_auth.ini"}],
                "defaultMode": 0o440,
            },
        },
    ]
    if verify_db_certificate:
        volumes.append(
            {"name": "rds-ca", "configMap": {"name": CA_CONFIGMAP, "items": [{"key": "ca.pem", "path": "ca.pem"}]}}
        )
    pod_spec: dict[str, Any] = {
        "serviceAccountName": SERVICE_ACCOUNT,
        # IRSA's token is projected by the EKS webhook; the pod never calls the Kubernetes API.
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(),
        "initContainers": [init_container(image=image, db_host=db_host, verify_db_certificate=verify_db_certificate)],
        "containers": [container],
        "volumes": volumes,
        "terminationGracePeriodSeconds": 30,
    }
    if replicas >= 2:
        pod_spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": dict(SERVER_LABELS)},
            }
        ]
    return {
        "replicas": replicas,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": dict(SERVER_LABELS)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {
            "metadata": {"labels": {**SERVER_LABELS, "app.kubernetes.io/version": version}},
            "spec": pod_spec,
        },
    }


def service_spec() -> dict[str, Any]:
    """The ClusterIP Service in front of the server."""
    return {
        "type": "ClusterIP",
        "selector": dict(SERVER_LABELS),
        "ports": [{"name": "http", "port": MLFLOW_PORT, "targetPort": "http", "protocol": "TCP"}],
    }


def pdb_spec() -> dict[str, Any]:
    """Keep at least one server up through voluntary disruptions (node drains, upgrades)."""
    return {"minAvailable": 1, "selector": {"matchLabels": dict(SERVER_LABELS)}}


def manifest(api_version: str, kind: str, name: str, namespace: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """A full manifest (for validation against the Kubernetes schema in tests and reports)."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(SERVER_LABELS)},
        "spec": dict(spec),
    }
