"""Which applications the way in serves, and under which names: MLflow and Airflow for people, the MLflow API for
client applications. Pure: the platform passes the result to :class:`~components.access.component.PlatformIngress`
and gives MLflow the same host names (its server rejects any other Host header)."""

from __future__ import annotations

from dataclasses import replace

from components.access import routing
from components.access.config import AccessConfig
from components.access.routing import AppTarget
from components.orchestration import airflow_values
from components.tracking import access as tracking_access
from contracts.flows import Workload


def mlflow_api(access: AccessConfig) -> bool:
    """Whether client applications get the MLflow API route (mutual TLS, like the models)."""
    return access.clients.mlflow_api and access.clients.ca_bundle is not None


def mlflow_hosts(access: AccessConfig | None) -> list[str]:
    """The names the load balancers forward to MLflow (none without ``mlops:access``)."""
    if access is None:
        return []
    keys = ["mlflow", *(["mlflow-api"] if mlflow_api(access) else [])]
    return [routing.host(key, access.domain) for key in keys]


def app_targets(
    access: AccessConfig, *, mlflow: Workload | None, airflow_on_cluster: bool
) -> tuple[list[AppTarget], AppTarget | None]:
    """The people's applications (MLflow when ``mlflow`` is its server workload, Airflow when it runs on the
    cluster) and the MLflow API for client applications, if it has a route."""
    people: list[AppTarget] = []
    api: AppTarget | None = None
    if mlflow is not None:
        server = AppTarget(
            key="mlflow",
            namespace="mlflow",
            service=tracking_access.SERVICE_NAME,
            service_port=tracking_access.MLFLOW_PORT,
            workload=mlflow,
            target_port=tracking_access.MLFLOW_PORT,
            # Exempt from MLflow's host check and auth (mlflow/server/security_utils.py HEALTH_ENDPOINTS).
            health_path="/health",
        )
        people.append(server)
        if mlflow_api(access):
            api = replace(server, key="mlflow-api")
    if airflow_on_cluster:
        people.append(
            AppTarget(
                key="airflow",
                namespace="airflow",
                service=airflow_values.API_SERVICE,
                service_port=airflow_values.API_SERVER_PORT,
                workload=airflow_values.workload("apiServer", "airflow"),
                target_port=airflow_values.API_SERVER_PORT,
                health_path="/api/v2/monitor/health",
            )
        )
    return people, api
