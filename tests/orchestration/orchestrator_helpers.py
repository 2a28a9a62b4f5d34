"""Shared inputs and checks for the orchestrator tests: the chart schema validator (loaded once), programs."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import upstream_schemas
from document_checks import walk
from jsonschema import Draft7Validator

from components.cluster.identity import OidcIssuer
from components.cluster.secrets_operator import SecretsOperator, SecretsOperatorArgs
from components.config import PlatformConfig, load_stack_file
from components.orchestration.component import Orchestrator, OrchestratorArgs
from components.orchestration.config import OrchestratorConfig
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Workload

# The cluster's ends of the operator's flows (ServingCluster.api_server / control_plane, Network.endpoints).
ESO_FLOW_ENDS: dict[str, Any] = {
    "api_server": ExternalDestination("kube-apiserver", ("172.20.0.1/32", "10.40.197.0/24", "10.40.205.0/24")),
    "control_plane": AwsSource("eks-control-plane", "sg-0cluster", ("10.40.197.0/24", "10.40.205.0/24")),
    "endpoints": AwsDestination("vpc-endpoints", ("10.40.195.0/24", "10.40.203.0/24"), "sg-0endpoints"),
}

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SCHEMA = "airflow-chart-values.schema.json"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUOffline\n-----END CERTIFICATE-----\n"
OIDC = OidcIssuer(
    provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/ABC123",
    issuer_url=f"https://oidc.eks.{REGION}.amazonaws.com/id/ABC123",
)
ENDPOINTS = AwsDestination(name="vpc-endpoints", cidrs=("10.40.0.0/16",), security_group_id="sg-endpoints")
TRACKING = Workload.of(
    "mlflow/tracking-server",
    "mlflow",
    {"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/component": "tracking-server"},
)
LAKE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
ARTIFACTS = "dev-ml-artifacts-123456789012-eu-west-1"
ZONES = {zone: f"arn:aws:s3:::dev-{zone}-{ACCOUNT}-{REGION}" for zone in ("raw", "curated", "ml-artifacts")}
ROLE_ARNS = {
    c: f"arn:aws:iam::{ACCOUNT}:role/airflow-{c}"
    for c in ("scheduler", "workers", "apiServer", "dagProcessor", "triggerer")
}
_PASSWORD_KEY = re.compile(r"(^|[-_.])(pass|passwd|password|secret|secret[-_]key)$", re.IGNORECASE)
_URI_WITH_LOGIN = re.compile(r"[a-z+]+://[^/\s:@{}]+:([^@\s{}$]+)@")


@cache
def chart_validator() -> Draft7Validator:
    """The Airflow chart's own values schema (see tests/upstream_schemas.py), parsed once per test session."""
    schema = upstream_schemas.load(AIRFLOW_SCHEMA)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def schema_errors(values: dict[str, Any]) -> list[str]:
    """Every place where ``values`` break the chart's schema."""
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in chart_validator().iter_errors(values)
    ]


def stack_config(stack: str) -> PlatformConfig:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")


def orchestrator_args(
    config: OrchestratorConfig, *, provider: Any = None, operator: Any = None, **overrides: Any
) -> OrchestratorArgs:
    """Arguments as the platform wires them (lake bucket, zones, cluster, private subnets)."""
    values: dict[str, Any] = {
        "config": config,
        "environment": "dev",
        "region": REGION,
        "account_id": ACCOUNT,
        "vpc_id": "vpc-0123",
        "endpoints": ENDPOINTS,
        "database_subnet_ids": ["subnet-db-a", "subnet-db-b"],
        "database_subnet_cidrs": ["10.40.64.0/24", "10.40.65.0/24"],
        "k8s_provider": provider,
        "oidc": OIDC,
        "secrets_operator": operator,
        "db_ca_bundle": PEM,
        "tracking": TRACKING,
        "private_subnet_ids": ["subnet-priv-a", "subnet-priv-b", "subnet-priv-c"],
        "private_subnet_cidrs": ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"],
        "artifact_bucket_name": ARTIFACTS,
        "artifact_bucket_arn": f"arn:aws:s3:::{ARTIFACTS}",
        "artifact_kms_key_arn": LAKE_KEY,
        "zone_bucket_arns": ZONES,
        "zone_kms_key_arn": LAKE_KEY,
        "tags": {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"},
        **overrides,
    }
    return OrchestratorArgs(**values)


def orchestrator_program(config: OrchestratorConfig, capture: dict[str, Any], **overrides: Any) -> Any:
    """A program creating the ESO install and the orchestrator; exports its outputs."""

    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        tags = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}
        platform_aws = aws.Provider("aws", region=REGION, default_tags={"tags": tags})
        operator = SecretsOperator("eso", SecretsOperatorArgs(k8s_provider=provider, **ESO_FLOW_ENDS))
        orchestrator = Orchestrator(
            "orchestrator",
            orchestrator_args(config, provider=provider, operator=operator, **overrides),
            opts=pulumi.ResourceOptions(providers=[platform_aws]),
        )
        capture["orchestrator"] = orchestrator
        for attribute in (
            "namespace",
            "api_service_name",
            "metadata_db_endpoint",
            "log_location",
            "environment_arn",
            "webserver_url",
            "db_tls_mode",
        ):
            value = getattr(orchestrator, attribute)
            if value is not None:
                pulumi.export(attribute, value)

    return program


def plain_secrets(inputs: Any) -> list[str]:
    """Password-like keys holding a literal (not "[secret]", not a template), and URIs with a literal login."""
    findings = []
    for path, value in walk(inputs):
        if not isinstance(value, str):
            continue
        key = path.rsplit(".", 1)[-1].split("[", 1)[0]
        templated = re.fullmatch(r"(\{\{[^}]*\}\}|[\s\"'])+", value.strip()) is not None
        if _PASSWORD_KEY.search(key) and value != "[secret]" and not templated:
            findings.append(f"{path} = {value!r}")
        if _URI_WITH_LOGIN.search(value):
            findings.append(f"{path}: URI with a literal login")
    return findings
