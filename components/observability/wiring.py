"""How the platform wires :class:`~components.observability.component.Observability` from its config.

Kept here so ``components/platform.py`` stays a list of components: what to watch follows from the stack's
config and the names the other components give their resources (database identifiers
``<environment>-<component>-db``, the cluster ``mlops-<environment>``, the Airflow chart's Deployments
``<release>-<component>``, MLflow's Deployment). The policy rule ``rds-instance-alarms`` fails the plan if a
database identifier here ever drifts from the instance's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cluster.control_plane import control_plane_log_group
from components.cluster.identity import OidcIssuer
from components.config import PlatformConfig
from components.data.database import db_identifier
from components.iam import document
from components.observability.alarms import DatabaseTarget, WorkloadTarget
from components.observability.component import ClusterTarget, ObservabilityArgs, WarehouseTarget
from components.observability.config import BudgetConfig, ObservabilityConfig
from components.orchestration.airflow_values import RELEASE as AIRFLOW_RELEASE
from components.tracking.access import SERVICE_NAME as MLFLOW_DEPLOYMENT

TRACKING_DATABASE = "tracking-db"
"""PostgresDatabase name of MLflow's database (``TrackingServer("tracking")`` -> ``f"{name}-db"``)."""
ORCHESTRATOR_DATABASE = "orchestrator-db"
"""PostgresDatabase name of Airflow's metadata database (``Orchestrator("orchestrator")``, helm mode)."""
AIRFLOW_DEPLOYMENTS = ("api-server", "scheduler", "dag-processor")
"""Airflow chart Deployments whose readiness is alarmed (``<release>-<component>``)."""
AIRFLOW_PUBLISHERS = {"helm": ("workers", "dagProcessor"), "mwaa": ("execution",)}
"""Roles that run ``on_failure_callback`` and so publish pipeline alerts (docs/operations-pipeline-alerts.md)."""


def cluster_name(environment: str) -> str:
    """The EKS cluster's name (``ServingCluster`` names it ``mlops-<environment>``)."""
    return f"mlops-{environment}"


def observability_args(
    config: PlatformConfig,
    observability: ObservabilityConfig,
    budget: BudgetConfig | None,
    *,
    account_id: pulumi.Input[str],
    oidc: OidcIssuer,
    node_groups: Sequence[pulumi.Resource],
) -> ObservabilityArgs:
    """Everything the platform watches, from its config: databases, warehouse, workloads, logs.

    ``observability`` and ``budget`` are ``config.observability`` and ``config.budget``, passed on their own
    so this module does not depend on where PlatformConfig keeps them.
    """
    env = config.environment
    helm = config.orchestrator.enabled and config.orchestrator.mode == "helm"
    databases = []
    if config.tracking.enabled:
        databases.append(_database(env, TRACKING_DATABASE, config.tracking.database))
    if helm:
        databases.append(_database(env, ORCHESTRATOR_DATABASE, config.orchestrator.database))
    workloads = []
    if config.tracking.enabled:
        workloads.append(WorkloadTarget(name="mlflow", namespace="mlflow", deployment=MLFLOW_DEPLOYMENT))
    if helm:
        workloads += [
            WorkloadTarget(name=f"airflow-{c}", namespace="airflow", deployment=f"{AIRFLOW_RELEASE}-{c}")
            for c in AIRFLOW_DEPLOYMENTS
        ]
    gpu = config.cluster.gpu_pool.instance_types if config.cluster.gpu_pool is not None else []
    return ObservabilityArgs(
        config=observability,
        budget=budget,
        environment=env,
        region=config.region,
        account_id=account_id,
        cluster=ClusterTarget(name=cluster_name(env), oidc=oidc, ready=list(node_groups), gpu_instance_types=gpu),
        databases=databases,
        warehouse=WarehouseTarget(
            workgroup_name=f"{env}-warehouse", max_rpu_hours_per_day=config.warehouse.max_rpu_hours_per_day
        )
        if config.storage.warehouse
        else None,
        workloads=workloads,
        airflow_on_cluster=helm,
        serving_namespace="serving" if config.cluster.kserve.enabled else None,
        # Both receive events all the time (API server audit, flow records): silence means they broke.
        watched_log_groups={
            "control-plane": control_plane_log_group(cluster_name(env)),
            "vpc-flow-logs": f"/mlops/{env}/vpc-flow-logs",
        },
    )


def _database(environment: str, name: str, database: Any) -> DatabaseTarget:
    return DatabaseTarget(
        identifier=db_identifier(environment, name),
        instance_class=database.instance_class,
        allocated_storage_gib=database.allocated_storage_gib,
    )


def grant_alert_publish(
    name: str,
    role_arn: pulumi.Input[str],
    statements: pulumi.Output[list[dict[str, Any]]],
    *,
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """An inline policy on the role ``role_arn`` with the alert topic's publisher statements."""
    return aws.iam.RolePolicy(
        name,
        role=pulumi.Output.from_input(role_arn).apply(lambda arn: arn.rsplit("/", 1)[-1]),
        policy=statements.apply(lambda s: document(s)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
