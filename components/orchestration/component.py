"""Orchestrator: Airflow, from the official chart on the serving cluster (``helm``) or managed (``mwaa``).

Mode ``helm`` (default): :mod:`components.orchestration.helm` (the chart, its metadata database, IRSA
roles per component, secrets delivered by ESO).

Mode ``mwaa``: :class:`~components.orchestration.mwaa.MwaaEnvironment`.

Both modes contribute their flows to the zero-trust graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.identity import OidcIssuer
from components.cluster.secrets_operator import SecretsOperator
from components.data.rds_ca import is_pem_bundle
from components.orchestration import airflow_values as av
from components.orchestration.config import OrchestratorConfig
from components.orchestration.helm import helm_airflow
from components.orchestration.mwaa import MwaaEnvironment, MwaaEnvironmentArgs
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, Flow, Workload


@dataclass(frozen=True, kw_only=True)
class OrchestratorArgs:
    """Inputs of :class:`Orchestrator`. Helm mode needs the cluster inputs, mwaa mode the private subnets."""

    config: OrchestratorConfig
    """The stack's ``mlops:orchestrator`` section."""
    environment: str
    """Environment name (dev, prod, pr-42)."""
    region: str
    """AWS region."""
    account_id: pulumi.Input[str]
    """AWS account id (bucket names, MWAA policies)."""
    vpc_id: pulumi.Input[str]
    """The VPC."""
    endpoints: AwsDestination
    """The VPC interface endpoints (network.endpoints)."""
    database_subnet_ids: pulumi.Input[Sequence[str]] | None = None
    """Helm: database subnets for the metadata DB."""
    database_subnet_cidrs: Sequence[str] = ()
    """Helm: their CIDRs."""
    k8s_provider: k8s.Provider | None = None
    """Helm: the cluster's Kubernetes provider."""
    oidc: OidcIssuer | None = None
    """Helm: the cluster's OIDC issuer."""
    secrets_operator: SecretsOperator | None = None
    """Helm: the cluster's External Secrets Operator."""
    db_ca_bundle: pulumi.Input[str] | None = None
    """Helm: PEM bundle of the region's RDS certificate authority (public; see ``RDS_CA_BUNDLE_URL``),
    mounted into PgBouncer from a ConfigMap for ``server_tls_sslmode = verify-full``. None means TLS is
    still required (``rds.force_ssl`` on the server) but the server certificate is not verified:
    ``sslmode=require`` and no ConfigMap. Give the bundle to get ``verify-full``."""
    namespace: str = "airflow"
    """Helm: namespace of the release (created by the cluster)."""
    namespace_resources: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Helm: the namespace resource(s) to wait for."""
    tracking: Workload | None = None
    """Helm: the MLflow server workload (workers -> MLflow flow)."""
    private_subnet_ids: pulumi.Input[Sequence[str]] | None = None
    """MWAA: private subnets with NAT egress (the first two are used)."""
    private_subnet_cidrs: Sequence[str] = ()
    """MWAA: their CIDRs."""
    artifact_bucket_name: pulumi.Input[str] | None = None
    """The lake's ``ml-artifacts`` bucket (Airflow logs, S3 DAGs); None: an own bucket."""
    artifact_bucket_arn: pulumi.Input[str] | None = None
    """Its ARN (with ``artifact_bucket_name``)."""
    artifact_kms_key_arn: pulumi.Input[str] | None = None
    """Its KMS key (with ``artifact_bucket_name``)."""
    registry: pulumi.Output[RegistryBase] | None = None
    """Helm: the stack's ECR (``ImageRegistry.base``): every Airflow image is pulled through it."""
    zone_bucket_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Lake zone -> bucket ARN; the configured read/write zones must be here."""
    zone_kms_key_arn: pulumi.Input[str] | None = None
    """The lake's key (with ``zone_bucket_arns``)."""
    logs_prefix: str = "airflow-logs"
    """Prefix of the artifacts bucket holding task logs."""
    dags_prefix: str = "airflow-dags"
    """Prefix holding DAGs when no git repository is configured."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Required tags, repeated in PushSecret metadata (ESO keeps them on the generated secrets)."""
    force_destroy_bucket: bool = False
    """Own buckets only: let ``pulumi destroy`` empty them (phoenix)."""
    alert_topic_arn: pulumi.Input[str] | None = None
    """Helm: the alert topic, as ``MLOPS_ALERT_TOPIC_ARN`` on every Airflow pod (pipeline alerts); MWAA reads the
    Airflow Variable ``mlops_alert_topic_arn`` instead. None: no alert topic."""


def validate_orchestrator_args(args: OrchestratorArgs) -> None:
    """Reject missing or impossible inputs for the chosen mode before anything is created."""
    config = args.config
    if not config.enabled:
        raise ValueError("Orchestrator built while mlops:orchestrator.enabled is false")
    if config.mode not in ("helm", "mwaa"):
        raise ValueError(f"mlops:orchestrator.mode {config.mode!r} is unknown; allowed: helm, mwaa")
    lake = (args.artifact_bucket_name, args.artifact_bucket_arn, args.artifact_kms_key_arn)
    if any(v is not None for v in lake) and not all(v is not None for v in lake):
        raise ValueError(
            "OrchestratorArgs: artifact_bucket_name, artifact_bucket_arn and artifact_kms_key_arn go together"
        )
    wanted = set(config.data_zones_read) | set(config.data_zones_write)
    missing = sorted(wanted - set(args.zone_bucket_arns))
    if missing:
        raise ValueError(
            f"mlops:orchestrator.dataZonesRead/dataZonesWrite name zones {missing} without a bucket in "
            f"OrchestratorArgs.zone_bucket_arns (have: {sorted(args.zone_bucket_arns)})"
        )
    if wanted and args.zone_kms_key_arn is None:
        raise ValueError("OrchestratorArgs.zone_kms_key_arn: lake zone access needs the lake's key")
    if "managed-by" in args.tags:
        raise ValueError("OrchestratorArgs.tags: 'managed-by' is reserved for External Secrets")
    if isinstance(args.db_ca_bundle, str) and not is_pem_bundle(args.db_ca_bundle):
        raise ValueError(
            "OrchestratorArgs.db_ca_bundle is not a PEM certificate bundle (give the region's RDS CA bundle, "
            "or None for sslmode=require)"
        )
    if config.mode == "helm":
        needed = {
            "database_subnet_ids": args.database_subnet_ids,
            "k8s_provider": args.k8s_provider,
            "oidc": args.oidc,
            "secrets_operator": args.secrets_operator,
        }
        absent = sorted(key for key, value in needed.items() if value is None)
        if absent or not args.database_subnet_cidrs:
            absent += [] if args.database_subnet_cidrs else ["database_subnet_cidrs"]
            raise ValueError(f"mlops:orchestrator.mode helm needs OrchestratorArgs {', '.join(absent)}")
    else:
        if args.private_subnet_ids is None or len(args.private_subnet_cidrs) < 2:
            raise ValueError(
                "mlops:orchestrator.mode mwaa needs two private subnets with NAT egress: set "
                "OrchestratorArgs.private_subnet_ids and private_subnet_cidrs (network.nat must not be 'none')"
            )


class Orchestrator(pulumi.ComponentResource):
    """Airflow for one environment: the official chart on the cluster, or MWAA."""

    mode: str
    """``helm`` or ``mwaa``."""
    namespace: pulumi.Output[str] | None
    """Helm: namespace of the release."""
    api_service_name: pulumi.Output[str] | None
    """Helm: the API server (UI, REST, execution API) Service."""
    metadata_db_endpoint: pulumi.Output[str] | None
    """Helm: ``host:port`` of the metadata database."""
    log_location: pulumi.Output[str] | None
    """Helm: ``s3://<bucket>/<prefix>`` of the task logs."""
    environment_arn: pulumi.Output[str] | None
    """MWAA: the environment's ARN."""
    webserver_url: pulumi.Output[str] | None
    """MWAA: the private web server URL."""
    role_arns: dict[str, pulumi.Output[str]]
    """Helm: IRSA role per component; MWAA: ``{"execution": ...}``."""
    db_tls_mode: str
    """Helm: PgBouncer's ``server_tls_sslmode`` towards the metadata database, ``verify-full`` with
    ``db_ca_bundle``, else ``require``. MWAA: AWS runs the metadata database; the value only reflects
    whether a bundle was given."""
    workers: Workload | None
    """Helm: the task pods (e.g. for flows to services they call)."""
    destination: AwsDestination | None
    """MWAA: the private web server endpoint as a flow destination."""
    flows: list[Flow]
    """Zero-trust flows of the orchestrator."""

    def __init__(self, name: str, args: OrchestratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:orchestrator:Orchestrator", name, None, opts)
        validate_orchestrator_args(args)
        self.mode = args.config.mode
        # Decided on the plain argument: the ConfigMap and PgBouncer's CA mount exist only with a bundle.
        self.db_tls_mode = av.db_tls_mode(args.db_ca_bundle is not None)
        self.namespace = self.api_service_name = self.metadata_db_endpoint = self.log_location = None
        self.environment_arn = self.webserver_url = None
        self.workers = None
        self.destination = None
        if args.config.mode == "helm":
            self._helm(name, args)
        else:
            self._mwaa(name, args)
        outputs: dict[str, Any] = {
            "mode": self.mode,
            "dbTlsMode": self.db_tls_mode if self.mode == "helm" else None,
            "namespace": self.namespace,
            "apiServiceName": self.api_service_name,
            "metadataDbEndpoint": self.metadata_db_endpoint,
            "logLocation": self.log_location,
            "environmentArn": self.environment_arn,
            "webserverUrl": self.webserver_url,
        }
        self.register_outputs({key: value for key, value in outputs.items() if value is not None})

    # --- mwaa -------------------------------------------------------------------------------------------

    def _mwaa(self, name: str, args: OrchestratorArgs) -> None:
        config = args.config
        assert args.private_subnet_ids is not None
        environment = MwaaEnvironment(
            f"{name}-mwaa",
            MwaaEnvironmentArgs(
                config=config.mwaa,
                environment=args.environment,
                region=args.region,
                account_id=args.account_id,
                vpc_id=args.vpc_id,
                private_subnet_ids=args.private_subnet_ids,
                private_subnet_cidrs=args.private_subnet_cidrs,
                zone_reads={z: args.zone_bucket_arns[z] for z in config.data_zones_read},
                zone_writes={z: args.zone_bucket_arns[z] for z in config.data_zones_write},
                zone_kms_key_arn=args.zone_kms_key_arn,
                protect=config.database.deletion_protection,
                force_destroy_bucket=args.force_destroy_bucket,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.environment_arn = environment.arn
        self.webserver_url = environment.webserver_url
        self.role_arns = {"execution": environment.execution_role_arn}
        self.destination = environment.destination
        # Nothing in the cluster needs the Airflow UI by default; clients declare `client -> destination:443`.
        # MWAA's own components call AWS APIs (SQS, Logs, KMS, S3) through the interface endpoints where there are.
        source = AwsSource(name=f"mwaa/{args.environment}", security_group_id=environment.security_group_id)
        self.flows = [Flow(source, args.endpoints, 443, description="MWAA -> VPC interface endpoints")]

    # --- helm -------------------------------------------------------------------------------------------

    def _helm(self, name: str, args: OrchestratorArgs) -> None:
        airflow = helm_airflow(name, args, parent=self)
        self.namespace = airflow.namespace
        self.api_service_name = airflow.api_service_name
        self.metadata_db_endpoint = airflow.metadata_db_endpoint
        self.log_location = airflow.log_location
        self.role_arns = airflow.role_arns
        self.workers = airflow.workers
        self.flows = airflow.flows


__all__ = [
    "Orchestrator",
    "OrchestratorArgs",
    "validate_orchestrator_args",
]
