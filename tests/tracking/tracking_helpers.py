"""Shared inputs and checks for the tracking, database and secrets-operator tests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from document_checks import walk

from components.cluster.identity import OidcIssuer
from components.cluster.secrets_operator import SecretsOperator, SecretsOperatorArgs
from components.config import PlatformConfig, load_stack_file
from components.tracking.component import TrackingServer, TrackingServerArgs
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Workload
from mlopsctl.engine import Graph, Registration

# The cluster's ends of the operator's flows (ServingCluster.api_server / control_plane, Network.endpoints).
ESO_FLOW_ENDS: dict[str, Any] = {
    "api_server": ExternalDestination("kube-apiserver", ("172.20.0.1/32", "10.40.197.0/24", "10.40.205.0/24")),
    "control_plane": AwsSource("eks-control-plane", "sg-0cluster", ("10.40.197.0/24", "10.40.205.0/24")),
    "endpoints": AwsDestination("vpc-endpoints", ("10.40.195.0/24", "10.40.203.0/24"), "sg-0endpoints"),
}

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"
PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUOffline\n-----END CERTIFICATE-----\n"
OIDC = OidcIssuer(
    provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/ABC123",
    issuer_url=f"https://oidc.eks.{REGION}.amazonaws.com/id/ABC123",
)
ENDPOINTS = AwsDestination(name="vpc-endpoints", cidrs=("10.40.0.0/16",), security_group_id="sg-endpoints")
DB_SUBNET_CIDRS = ["10.40.64.0/24", "10.40.65.0/24"]
LAKE_BUCKET = "dev-ml-artifacts-123456789012-eu-west-1"
LAKE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
PREDICTORS = Workload.of("serving/predictors", "serving", {"component": "predictor"})
TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}

# Values that must never appear as a password anywhere in a plan.
FEARED = {"admin", "postgres", "password", "changeme", "airflow", "mlflow", "secret"}
# Password-like keys: password, db-password, jwt-secret, api-secret-key (not ESO's ``secretKey`` field).
_PASSWORD_KEY = re.compile(r"(^|[-_.])(pass|passwd|password|secret|secret[-_]key)$", re.IGNORECASE)
_URI_WITH_LOGIN = re.compile(r"[a-z+]+://[^/\s:@]+:([^@\s]+)@")


def stack_config(stack: str) -> PlatformConfig:
    """The validated config of a real stack file."""
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")


def k8s_provider() -> k8s.Provider:
    return k8s.Provider("k8s", kubeconfig="{}")


def aws_provider(config: PlatformConfig) -> aws.Provider:
    """The platform's AWS provider: region and the required tags as default tags."""
    return aws.Provider("aws", region=REGION, default_tags={"tags": config.required_tags})


def tracking_program(
    stack: str, *, lake: bool = True, capture: dict[str, Any] | None = None, ca_bundle: str | None = PEM
) -> Any:
    """A program building the tracking server of a real stack file's config (and the ESO install).

    ``ca_bundle`` None builds it as the platform does before ``make rds-ca-bundle`` (``sslmode=require``)."""
    config = stack_config(stack)

    def program() -> None:
        provider = k8s_provider()
        opts = pulumi.ResourceOptions(providers=[aws_provider(config)])
        operator = SecretsOperator("eso", SecretsOperatorArgs(k8s_provider=provider, **ESO_FLOW_ENDS))
        lake_args: dict[str, Any] = {}
        if lake:
            lake_args = {
                "artifact_bucket_name": LAKE_BUCKET,
                "artifact_bucket_arn": f"arn:aws:s3:::{LAKE_BUCKET}",
                "artifact_kms_key_arn": LAKE_KEY,
            }
        server = TrackingServer(
            "tracking",
            TrackingServerArgs(
                config=config.tracking,
                environment=config.environment,
                region=REGION,
                account_id=ACCOUNT,
                vpc_id="vpc-0123",
                database_subnet_ids=["subnet-db-a", "subnet-db-b"],
                database_subnet_cidrs=DB_SUBNET_CIDRS,
                k8s_provider=provider,
                oidc=OIDC,
                secrets_operator=operator,
                endpoints=ENDPOINTS,
                db_ca_bundle=ca_bundle,
                client_workloads=[PREDICTORS],
                tags={**TAGS, "environment": config.environment},
                **lake_args,
            ),
            opts=opts,
        )
        pulumi.export("trackingUri", server.tracking_uri)
        pulumi.export("dbEndpoint", server.db_endpoint)
        pulumi.export("dbSecretArn", server.db_secret_arn)
        pulumi.export("artifactLocation", server.artifact_location)
        if capture is not None:
            capture["server"] = server
            capture["operator"] = operator

    return program


def one(graph: Graph, type_: str, name: str | None = None) -> Registration:
    """The single registration of a type (optionally with a name)."""
    found = [r for r in graph.by_type(type_) if name is None or r.name == name]
    assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
    return found[0]


def secret_findings(graph: Graph) -> list[str]:
    """Plain passwords anywhere in the captured inputs of a graph (see :func:`secret_findings_in`)."""
    return secret_findings_in((resource.name, resource.inputs) for resource in graph.resources)


def secret_findings_in(items: Iterable[tuple[str, Any]]) -> list[str]:
    """Password-like keys with a literal value (not "[secret]", not an ESO template, not a reference),
    feared literals under password-like keys, and URIs carrying a literal login."""
    findings = []
    for name, inputs in items:
        for path, value in walk(inputs):
            key = path.rsplit(".", 1)[-1].split("[", 1)[0]
            if isinstance(value, str):
                if _PASSWORD_KEY.search(key) and value != "[secret]" and not _is_reference(value):
                    findings.append(f"{name}: {path} = {value!r}")
                match = _URI_WITH_LOGIN.search(value)
                if match and not _is_reference(match.group(1)):
                    findings.append(f"{name}: {path} has a URI with a literal login")
            if isinstance(value, dict):
                for field, item in value.items():
                    if _PASSWORD_KEY.search(str(field)) and isinstance(item, str) and item.lower() in FEARED:
                        findings.append(f"{name}: {path}.{field} = {item!r}")
    return findings


def _is_reference(value: str) -> bool:
    """An ESO/Go template over a fetched secret, or a kubelet ``$(VAR)`` reference: no literal value."""
    stripped = value.strip()
    templated = re.fullmatch(r"(\{\{[^}]*\}\}|\$\([A-Z0-9_]+\)|[\s\"'%])+", stripped)
    return bool(templated)
