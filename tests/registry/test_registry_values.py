"""Every Helm values block and manifest of the platform, rewritten to pull through the stack's ECR.

With a registry, every image the builders name is in ``<account>.dkr.ecr.<region>.amazonaws.com`` under its
upstream's prefix; without one, the values are exactly what they were (stacks stay byte-identical until the
platform passes a registry). The Airflow values still validate against the chart's pinned schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import upstream_schemas
from jsonschema import Draft7Validator

from components.cluster import charts
from components.cluster.secrets_values import operator_values
from components.orchestration import airflow_values as av
from components.orchestration.config import GitDagsConfig
from components.registry.images import RegistryBase
from components.tracking import spec
from mlopsctl.deploy.images import spec_images, value_images

REGISTRY = RegistryBase(account_id="123456789012", region="eu-west-1")
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
ROLES = {c: f"arn:aws:iam::123456789012:role/airflow-{c}" for c in av.COMPONENTS}


def airflow(registry: RegistryBase | None, **extra: Any) -> dict[str, Any]:
    return av.airflow_values(
        airflow_version="3.0.6",
        region="eu-west-1",
        logs_uri="s3://dev-ml-artifacts/airflow-logs",
        role_arns=ROLES,
        verify_db_certificate=False,
        dags_s3_bucket="dev-ml-artifacts",
        registry=registry,
        **extra,
    )


BUILDERS = {
    "cert-manager": lambda r: charts.cert_manager_values(registry=r, version="v1.21.1"),
    "kserve": lambda r: charts.kserve_values(storage_region="eu-west-1", registry=r, version="v0.15.2"),
    "cluster-autoscaler": lambda r: charts.cluster_autoscaler_values(
        cluster_name="mlops-dev",
        region="eu-west-1",
        role_arn="arn:aws:iam::123456789012:role/ca",
        image_tag="v1.34.5",
        registry=r,
    ),
    "nvidia-device-plugin": lambda r: charts.device_plugin_values(registry=r),
    "external-secrets": lambda r: operator_values(registry=r),
    "airflow": airflow,
}


def images(values: dict[str, Any]) -> dict[str, str]:
    return {path: ref.image for path, ref in value_images(values)}


@pytest.mark.parametrize("chart", BUILDERS)
def test_every_image_of_every_chart_comes_from_the_stacks_ecr(chart: str) -> None:
    found = images(BUILDERS[chart](REGISTRY))
    assert found, chart
    assert all(image.startswith(f"{ECR}/") for image in found.values()), found
    assert all(":" in image.rsplit("/", 1)[-1] for image in found.values()), found  # tagged, never latest


def test_the_images_each_chart_now_names() -> None:
    assert images(BUILDERS["cert-manager"](REGISTRY)) == {
        path: f"{ECR}/quay/jetstack/{name}:v1.21.1" for path, name in charts.CERT_MANAGER_IMAGES.items()
    }
    kserve = images(BUILDERS["kserve"](REGISTRY))
    assert kserve["kserve.controller.image"] == f"{ECR}/docker-hub/kserve/kserve-controller:v0.15.2"
    assert kserve["kserve.controller.rbacProxyImage"] == f"{ECR}/quay/brancz/kube-rbac-proxy:v0.18.0"
    assert kserve["kserve.storage.image"] == f"{ECR}/docker-hub/kserve/storage-initializer:v0.15.2"
    assert kserve["kserve.servingruntime.art.image"] == f"{ECR}/docker-hub/kserve/art-explainer:v0.15.2"
    assert kserve["kserve.servingruntime.mlserver.image"] == f"{ECR}/docker-hub/seldonio/mlserver:1.5.0"
    assert kserve["kserve.servingruntime.tritonserver.image"] == f"{ECR}/mirror/nvcr/nvidia/tritonserver:23.05-py3"
    assert len(kserve) == 16
    assert images(BUILDERS["cluster-autoscaler"](REGISTRY)) == {
        "image": f"{ECR}/k8s/autoscaling/cluster-autoscaler:v1.34.5"
    }
    assert images(BUILDERS["nvidia-device-plugin"](REGISTRY)) == {
        "image": f"{ECR}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4"
    }
    assert set(images(BUILDERS["external-secrets"](REGISTRY)).values()) == {
        f"{ECR}/ghcr/external-secrets/external-secrets:v2.3.0"
    }


def test_airflow_task_pods_and_helpers_pull_through_ecr_too() -> None:
    values = airflow(REGISTRY)
    # The chart's task-pod template falls back to defaultAirflowRepository, not images.airflow.
    assert values["defaultAirflowRepository"] == f"{ECR}/docker-hub/apache/airflow"
    assert values["images"]["airflow"] == {
        "repository": f"{ECR}/docker-hub/apache/airflow",
        "tag": "3.0.6",
        "pullPolicy": "IfNotPresent",
    }
    assert values["images"]["statsd"] == {"repository": f"{ECR}/quay/prometheus/statsd-exporter", "tag": "v0.28.0"}
    assert values["images"]["pgbouncer"]["repository"] == f"{ECR}/docker-hub/apache/airflow"
    assert "gitSync" not in values["images"]  # git-sync does not run without dags_git
    git = GitDagsConfig(repository="https://github.com/example-org/dags.git", egressCidrs=["140.82.112.0/20"])
    with_git = airflow(REGISTRY, dags_git=git)
    assert with_git["images"]["gitSync"] == {"repository": f"{ECR}/k8s/git-sync/git-sync", "tag": "v4.4.2"}


def test_the_mlflow_deployment_pulls_through_ecr() -> None:
    deployment = spec.deployment_spec(
        version="3.17.0",
        replicas=1,
        namespace="mlflow",
        db_host="db.example",
        region="eu-west-1",
        artifact_bucket="dev-ml-artifacts",
        artifact_prefix="mlflow",
        artifact_kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k",
        verify_db_certificate=False,
        registry=REGISTRY,
    )
    assert {ref.image for _, ref in spec_images(deployment)} == {f"{ECR}/ghcr/mlflow/mlflow:v3.17.0-full"}
    assert spec.mlflow_image("3.17.0") == "ghcr.io/mlflow/mlflow:v3.17.0-full"


@pytest.mark.parametrize("chart", BUILDERS)
def test_without_a_registry_the_values_are_unchanged(chart: str) -> None:
    # The values before the registry existed: the same function, minus every image override it adds.
    plain = BUILDERS[chart](None)
    found = images(plain)
    assert not any(image.startswith(f"{ECR}/") for image in found.values())
    assert "defaultAirflowRepository" not in plain


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: charts.cert_manager_values(registry=REGISTRY), "needs the chart version"),
        (lambda: charts.kserve_values(storage_region="eu-west-1", registry=REGISTRY), "needs the chart version"),
    ],
)
def test_redirecting_chart_images_needs_their_tag(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_airflow_values_with_the_registry_validate_against_the_chart_schema() -> None:
    schema = upstream_schemas.load("airflow-chart-values.schema.json")
    errors = [e.message for e in Draft7Validator(schema).iter_errors(airflow(REGISTRY))]
    assert errors == []
