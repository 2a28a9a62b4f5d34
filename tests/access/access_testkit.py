"""Shared pieces of the way-in tests: a valid `mlops:access` section, the problems a bad one gives (as
`mlopsctl plan` prints them), and the component under the offline engine with its platform-side inputs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import ValidationError

from components.access.component import PlatformIngress, PlatformIngressArgs
from components.access.config import AccessConfig
from components.access.routing import AppTarget
from components.cluster.component import PREDICTOR_PORT, PREDICTORS
from components.cluster.identity import OidcIssuer
from components.config import _describe
from components.orchestration.airflow_values import API_SERVER_PORT, API_SERVICE, workload
from components.tracking.access import MLFLOW_PORT, SERVICE_NAME, server_workload
from contracts.flows import AwsDestination, ExternalDestination
from mlopsctl.engine import Graph, Registration, run_program

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}
ZONE = "Z0123456789ABCDEFGHIJ"
CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"
INGRESS_CIDRS = ("10.40.200.0/27", "10.40.201.0/27")
PUBLIC_CIDRS = ("10.40.96.0/21", "10.40.104.0/21")
API_SERVER = ExternalDestination("kube-apiserver", ("172.20.0.1/32",))
ENDPOINTS = AwsDestination("vpc-endpoints", ("10.40.224.0/28", "10.40.225.0/28"), "sg-endpoints")

BASE: dict[str, Any] = {
    "domain": "ml.example.com",
    "clientCidrs": ["10.0.0.0/8"],
    "certificate": {"validationZoneId": ZONE},
    "clients": {"caBundle": "certs/clients-ca.pem", "models": ["churn"]},
}
"""A valid section: cognito (the default), a new certificate, one model route, the MLflow API route."""

OIDC: dict[str, Any] = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/authorize",
    "tokenEndpoint": "https://idp.example.com/token",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "clientId": "mlops-dev",
    "clientSecret": {"secure": "v1:ciphertext"},
}


def section(**changes: Any) -> dict[str, Any]:
    """BASE with top-level keys replaced (None removes one)."""
    result = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def parse(raw: Mapping[str, Any]) -> AccessConfig:
    return AccessConfig.model_validate(raw)


def problems(raw: Mapping[str, Any]) -> list[str]:
    """The error lines `mlopsctl plan` prints for this `mlops:access` section ([] when valid)."""
    try:
        AccessConfig.model_validate(raw)
    except ValidationError as exc:
        return [_describe({**dict(err), "loc": ("access", *err["loc"])}) for err in exc.errors()]
    return []


MLFLOW = AppTarget(
    key="mlflow",
    namespace="mlflow",
    service=SERVICE_NAME,
    service_port=MLFLOW_PORT,
    workload=server_workload("mlflow"),
    target_port=MLFLOW_PORT,
    health_path="/health",
)
AIRFLOW = AppTarget(
    key="airflow",
    namespace="airflow",
    service=API_SERVICE,
    service_port=API_SERVER_PORT,
    workload=workload("apiServer", "airflow"),
    target_port=API_SERVER_PORT,
    health_path="/api/v2/monitor/health",
)
MLFLOW_API = replace(MLFLOW, key="mlflow-api")


def args(config: AccessConfig, k8s_provider: k8s.Provider, **overrides: Any) -> PlatformIngressArgs:
    base = PlatformIngressArgs(
        config=config,
        environment="dev",
        region=REGION,
        account_id=ACCOUNT,
        tier="development",
        kubernetes_version="1.34",
        vpc_id="vpc-0123456789abcdef0",
        ingress_subnet_ids=["subnet-a", "subnet-b"],
        ingress_subnet_cidrs=INGRESS_CIDRS,
        public_subnet_ids=["subnet-pa", "subnet-pb"],
        public_subnet_cidrs=PUBLIC_CIDRS,
        cluster_name="mlops-dev",
        oidc=OidcIssuer(
            provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE",
            issuer_url=f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE",
        ),
        k8s_provider=k8s_provider,
        api_server=API_SERVER,
        endpoints=ENDPOINTS,
        people_apps=(MLFLOW, AIRFLOW),
        mlflow_api=MLFLOW_API,
        predictors=PREDICTORS,
        predictor_port=PREDICTOR_PORT,
    )
    return replace(base, **overrides)


def run(
    config: AccessConfig,
    *,
    capture: Callable[[PlatformIngress], None] | None = None,
    stack: str = "dev",
    secret_keys: tuple[str, ...] = (),
    **overrides: Any,
) -> Graph:
    """The component under the offline engine with the platform's provider (default tags) and a cluster provider."""

    def program() -> None:
        provider = aws.Provider("aws", region=REGION, default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))
        cluster = k8s.Provider("cluster")
        ingress = PlatformIngress(
            "access", args(config, cluster, **overrides), opts=pulumi.ResourceOptions(providers=[provider])
        )
        pulumi.export("urls", ingress.urls)
        pulumi.export("certificateArn", ingress.certificate_arn)
        if capture is not None:
            capture(ingress)

    return run_program(program, stack=stack, config={"aws:region": REGION}, secret_keys=secret_keys)


def named(graph: Graph, name: str) -> Registration:
    (match,) = [r for r in graph.resources if r.name == name]
    return match


def of_type(graph: Graph, type_: str) -> list[Registration]:
    return [r for r in graph.resources if r.type == type_]
