"""How the platform wires Observability from a stack's config: the targets follow the names the other
components give their resources, and the alert publishers are real Airflow roles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pulumi
import pytest

from components.cluster.identity import OidcIssuer
from components.config import PlatformConfig, load_stack_file
from components.data.database import db_identifier
from components.observability.config import BudgetConfig, ObservabilityConfig
from components.observability.publishers import alert_publisher_statements
from components.observability.wiring import (
    AIRFLOW_PUBLISHERS,
    cluster_name,
    grant_alert_publish,
    observability_args,
)
from components.orchestration import airflow_values
from components.orchestration.config import OrchestratorConfig
from mlopsctl.engine import run_program

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
OIDC = OidcIssuer(
    provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
    issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
)


def stack(name: str) -> PlatformConfig:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml")


def wire(config: PlatformConfig, budget: BudgetConfig | None = None) -> Any:
    return observability_args(config, ObservabilityConfig(), budget, account_id=ACCOUNT, oidc=OIDC, node_groups=[])


def test_dev_targets_follow_the_other_components_names() -> None:
    config = stack("dev")
    args = wire(config, BudgetConfig(monthly_usd=1000))
    assert args.environment == "dev" and args.region == config.region
    assert args.cluster.name == cluster_name("dev") == "mlops-dev"
    assert [d.identifier for d in args.databases] == [db_identifier("dev", "tracking-db"), "dev-orchestrator-db"]
    assert args.databases[0].instance_class == config.tracking.database.instance_class
    assert [(w.namespace, w.deployment) for w in args.workloads] == [
        ("mlflow", "mlflow"),
        ("airflow", "airflow-api-server"),
        ("airflow", "airflow-scheduler"),
        ("airflow", "airflow-dag-processor"),
    ]
    assert args.airflow_on_cluster is True
    assert args.watched_log_groups == {
        "control-plane": "/aws/eks/mlops-dev/cluster",
        "vpc-flow-logs": "/mlops/dev/vpc-flow-logs",
    }
    assert args.budget == BudgetConfig(monthly_usd=1000)


def test_the_warehouse_is_watched_only_where_it_exists() -> None:
    prod = stack("prod")
    assert prod.storage.warehouse
    watched = wire(prod).warehouse
    assert watched is not None and watched.workgroup_name == "prod-warehouse"
    assert watched.max_rpu_hours_per_day == prod.warehouse.max_rpu_hours_per_day
    dev = stack("dev")
    no_warehouse = dev.model_copy(update={"storage": dev.storage.model_copy(update={"warehouse": False})})
    assert wire(no_warehouse).warehouse is None


def test_gpu_pool_types_reach_the_dcgm_check() -> None:
    prod = stack("prod")
    assert prod.cluster.gpu_pool is not None
    assert wire(prod).cluster.gpu_instance_types == prod.cluster.gpu_pool.instance_types


def test_mwaa_has_no_airflow_database_or_deployments_on_the_cluster() -> None:
    dev = stack("dev")
    mwaa = dev.model_copy(update={"orchestrator": dev.orchestrator.model_copy(update={"mode": "mwaa"})})
    args = wire(mwaa)
    assert [d.identifier for d in args.databases] == ["dev-tracking-db"]
    assert [w.name for w in args.workloads] == ["mlflow"]
    assert args.airflow_on_cluster is False


def test_alert_publishers_are_the_orchestrators_roles() -> None:
    # Every mode has publishers, and in helm mode they are IRSA roles the chart values bind.
    modes = get_args(OrchestratorConfig.model_fields["mode"].annotation)
    assert set(AIRFLOW_PUBLISHERS) == set(modes)
    assert set(AIRFLOW_PUBLISHERS["helm"]) <= set(airflow_values.COMPONENTS)
    assert AIRFLOW_PUBLISHERS["mwaa"] == ("execution",)


def test_grant_alert_publish_puts_the_statements_on_the_named_role() -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:mlops-dev-alerts"
    key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    statements = alert_publisher_statements(topic, key)

    def program() -> None:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        grant_alert_publish(
            "alerts-airflow-workers",
            f"arn:aws:iam::{ACCOUNT}:role/mlops-dev-airflow-workers",
            pulumi.Output.from_input(statements),
            parent=parent,
        )

    graph = run_program(program, config={"aws:region": "eu-west-1"})
    (policy,) = graph.by_type("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == "mlops-dev-airflow-workers"
    assert json.loads(policy.inputs["policy"])["Statement"] == statements


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_every_stack_wires_without_error(name: str) -> None:
    args = wire(stack(name))
    assert args.databases and args.workloads
