"""Orchestrator: Airflow, from the official chart on the serving cluster (``helm``) or managed (``mwaa``).

Mode ``helm`` (default):
- the official chart through ``helm.v3.Release`` (pinned, see :mod:`components.orchestration.airflow_values`) in its
  own namespace, values from the pure builder :func:`~components.orchestration.airflow_values.airflow_values`;
- the metadata database on its own :class:`~components.data.database.PostgresDatabase` (same hardening as
  MLflow's), reached through PgBouncer; the chart gets only Secret *names*: ESO fills the metadata
  connection, PgBouncer's config and the Fernet/API/JWT keys from Secrets Manager (keys generated in the
  cluster, never Pulumi inputs);
- PgBouncer -> RDS over TLS: ``verify-full`` against the region's RDS CA bundle (a ConfigMap) when the
  platform has it (``make rds-ca-bundle``), else ``require`` (encrypted, certificate unverified); see
  :attr:`Orchestrator.db_tls_mode`;
- remote task logs on ``s3://<ml-artifacts bucket>/airflow-logs`` (SSE-KMS);
- one IRSA role per component (scheduler, workers, API server, DAG processor, triggerer), each limited
  to the log prefix, the DAG prefix and the configured lake zones it needs;
- DAGs from git-sync (configured repository and branch) or from an S3 prefix (Airflow 3 DAG bundle).

Mode ``mwaa``: :class:`~components.orchestration.mwaa.MwaaEnvironment`.

Operating notes: the chart's default ``admin``/``admin`` user is disabled; create the first user once
with ``kubectl -n airflow exec deploy/airflow-api-server -- airflow users create --role Admin ...`` (the
password is prompted for, never part of config or state). RDS rotates the managed master password
(every 7 days by default); ESO refreshes the Secrets hourly, and PgBouncer and the Airflow pods pick the
new value up on their next restart.

Both modes contribute their flows to the zero-trust graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.identity import OidcIssuer, service_account_role
from components.cluster.secrets_operator import (
    ScopedSecretStore,
    ScopedSecretStoreArgs,
    SecretsOperator,
    generated_secret,
    remote_value,
)
from components.data.artifact_bucket import ArtifactBucket, ArtifactBucketArgs, default_bucket_name
from components.data.database import POSTGRES_PORT, PostgresDatabase, PostgresDatabaseArgs
from components.data.rds_ca import is_pem_bundle
from components.iam import Statement, document, kms_use, s3_access
from components.orchestration import airflow_values as av
from components.orchestration.config import OrchestratorConfig
from components.orchestration.mwaa import MwaaEnvironment, MwaaEnvironmentArgs
from contracts.flows import AwsDestination, Flow, Workload

MLFLOW_PORT = 5000


def component_policies(
    *,
    logs_bucket_arn: str,
    logs_prefix: str,
    logs_key_arn: str,
    dags_bucket_arn: str | None,
    dags_prefix: str,
    zone_reads: Mapping[str, str],
    zone_writes: Mapping[str, str],
    zone_key_arn: str | None,
) -> dict[str, str]:
    """IRSA policy of each chart component: exactly the prefixes, zones and keys it uses.

    - scheduler, DAG processor, triggerer: write their logs; the latter two read DAGs (S3 bundle);
    - workers: write task logs, read DAGs, read/write the configured lake zones;
    - API server: read logs only (it shows them).
    """
    if (zone_reads or zone_writes) and not zone_key_arn:
        raise ValueError("component_policies: lake zone access needs the lake's key (zone_key_arn)")

    def policy(*, logs_write: bool, dags: bool, zones: bool, sid: str) -> str:
        groups: list[list[Statement]] = [s3_access(logs_bucket_arn, [logs_prefix], write=logs_write, sid="Logs")]
        keys: dict[str, bool] = {logs_key_arn: logs_write}
        if dags and dags_bucket_arn:
            groups.append(s3_access(dags_bucket_arn, [dags_prefix], write=False, sid="Dags"))
        if zones:
            for zone, arn in sorted(zone_reads.items()):
                if zone not in zone_writes:
                    groups.append(s3_access(arn, write=False, sid=f"ReadZone{_sid(zone)}"))
            for zone, arn in sorted(zone_writes.items()):
                groups.append(s3_access(arn, write=True, sid=f"WriteZone{_sid(zone)}"))
            if (zone_reads or zone_writes) and zone_key_arn:
                keys[zone_key_arn] = keys.get(zone_key_arn, False) or bool(zone_writes)
        for index, (key, encrypt) in enumerate(sorted(keys.items())):
            groups.append(kms_use(key, encrypt=encrypt, sid=f"{sid}Key{index}"))
        return document(*groups)

    with_dags = dags_bucket_arn is not None
    return {
        "scheduler": policy(logs_write=True, dags=False, zones=False, sid="Scheduler"),
        "workers": policy(logs_write=True, dags=with_dags, zones=True, sid="Workers"),
        "apiServer": policy(logs_write=False, dags=False, zones=False, sid="ApiServer"),
        "dagProcessor": policy(logs_write=True, dags=with_dags, zones=False, sid="DagProcessor"),
        "triggerer": policy(logs_write=True, dags=with_dags, zones=False, sid="Triggerer"),
    }


def helm_flows(
    *,
    namespace: str,
    database: AwsDestination,
    endpoints: AwsDestination,
    tracking: Workload | None,
    config: OrchestratorConfig,
) -> list[Flow]:
    """Airflow's traffic: components -> PgBouncer -> RDS; workers -> MLflow; AWS via the VPC endpoints;
    the Airflow 3 task execution API; log serving; StatsD; git-sync -> the git host when configured."""
    w = {key: av.workload(key, namespace) for key in av.WORKLOAD_COMPONENTS}
    airflow = ["scheduler", "workers", "apiServer", "dagProcessor", "triggerer"]
    flows: list[Flow] = []
    for key in [*airflow, "migrateDatabaseJob"]:
        flows.append(Flow(w[key], w["pgbouncer"], av.PGBOUNCER_PORT, description=f"{w[key].name} -> PgBouncer"))
    flows.append(Flow(w["pgbouncer"], database, POSTGRES_PORT, description="PgBouncer -> Airflow metadata DB (TLS)"))
    for key in airflow:
        flows.append(Flow(w[key], endpoints, 443, description=f"{w[key].name} -> VPC endpoints (S3, STS, KMS, logs)"))
        flows.append(Flow(w[key], w["statsd"], av.STATSD_PORT, protocol="UDP", description=f"{w[key].name} -> StatsD"))
    for key in ("workers", "dagProcessor", "triggerer"):
        flows.append(
            Flow(w[key], w["apiServer"], av.API_SERVER_PORT, description=f"{w[key].name} -> task execution API")
        )
    flows.append(Flow(w["apiServer"], w["workers"], av.WORKER_LOG_PORT, description="API server -> worker logs"))
    flows.append(
        Flow(w["apiServer"], w["triggerer"], av.TRIGGERER_LOG_PORT, description="API server -> triggerer logs")
    )
    if tracking is not None:
        flows.append(Flow(w["workers"], tracking, MLFLOW_PORT, description="Airflow workers -> MLflow"))
    if config.dags_git is not None:
        git, port = av.git_destination(config.dags_git)
        for key in ("workers", "dagProcessor", "triggerer", "scheduler"):
            flows.append(Flow(w[key], git, port, description=f"{w[key].name} git-sync -> {git.name}"))
    return flows


def _sid(zone: str) -> str:
    return "".join(part.capitalize() for part in zone.replace("_", "-").split("-") if part)


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
        self.flows = []

    # --- helm -------------------------------------------------------------------------------------------

    def _helm(self, name: str, args: OrchestratorArgs) -> None:
        config = args.config
        namespace = args.namespace
        assert args.k8s_provider is not None and args.oidc is not None and args.secrets_operator is not None
        assert args.database_subnet_ids is not None
        verify = args.db_ca_bundle is not None
        child = pulumi.ResourceOptions(parent=self)

        database = PostgresDatabase(
            f"{name}-db",
            PostgresDatabaseArgs(
                config=config.database,
                environment=args.environment,
                vpc_id=args.vpc_id,
                subnet_ids=args.database_subnet_ids,
                subnet_cidrs=args.database_subnet_cidrs,
                database_name=av.METADATA_DATABASE,
            ),
            opts=child,
        )

        if args.artifact_bucket_name is None:
            own = ArtifactBucket(
                f"{name}-artifacts",
                ArtifactBucketArgs(
                    bucket_name=pulumi.Output.from_input(args.account_id).apply(
                        lambda account: default_bucket_name(args.environment, "airflow", str(account), args.region)
                    ),
                    purpose=f"{args.environment}: Airflow logs and DAGs",
                    force_destroy=args.force_destroy_bucket,
                    protect=config.database.deletion_protection,
                ),
                opts=child,
            )
            bucket_name, bucket_arn, bucket_key = own.bucket_name, own.bucket_arn, own.kms_key_arn
        else:
            assert args.artifact_bucket_arn is not None and args.artifact_kms_key_arn is not None
            bucket_name = pulumi.Output.from_input(args.artifact_bucket_name)
            bucket_arn = pulumi.Output.from_input(args.artifact_bucket_arn)
            bucket_key = pulumi.Output.from_input(args.artifact_kms_key_arn)

        # --- IRSA roles per component ----------------------------------------------------------------
        reads = {zone: args.zone_bucket_arns[zone] for zone in config.data_zones_read}
        writes = {zone: args.zone_bucket_arns[zone] for zone in config.data_zones_write}
        use_s3_dags = config.dags_git is None
        policies = pulumi.Output.all(bucket_arn, bucket_key, reads, writes, args.zone_kms_key_arn).apply(
            lambda v: component_policies(
                logs_bucket_arn=str(v[0]),
                logs_prefix=args.logs_prefix,
                logs_key_arn=str(v[1]),
                dags_bucket_arn=str(v[0]) if use_s3_dags else None,
                dags_prefix=args.dags_prefix,
                zone_reads=v[2],
                zone_writes=v[3],
                zone_key_arn=v[4],
            )
        )
        roles: dict[str, aws.iam.Role] = {}
        for component in av.COMPONENTS:
            roles[component] = service_account_role(
                f"{name}-{_kebab(component)}",
                oidc=args.oidc,
                namespace=namespace,
                service_account=av.SERVICE_ACCOUNTS[component],
                policy=policies.apply(lambda p, c=component: p[c]),
                parent=self,
            )

        # --- secrets: generated keys and the DB login, delivered by ESO -----------------------------
        generated = {
            key: generated_secret(
                f"{name}-{key}-secret",
                name_prefix=f"{args.environment}/airflow/{key}-",
                description=f"{args.environment}: Airflow {label} (generated in the cluster by ESO)",
                kms_key_arn=database.kms_key_arn,
                parent=self,
            )
            for key, label in (("fernet", "Fernet key"), ("api", "API secret key"), ("jwt", "JWT signing secret"))
        }
        store = ScopedSecretStore(
            f"{name}-secrets",
            ScopedSecretStoreArgs(
                operator=args.secrets_operator,
                k8s_provider=args.k8s_provider,
                oidc=args.oidc,
                namespace=namespace,
                region=args.region,
                read_secret_arns=[database.secret_arn, *(s.arn for s in generated.values())],
                write_secret_arns=[s.arn for s in generated.values()],
                kms_key_arns=[database.kms_key_arn],
                depends_on=list(args.namespace_resources),
            ),
            opts=child,
        )
        lengths = {"fernet": 32, "api": 64, "jwt": 128}
        pushes = [
            store.generated_password(
                f"{name}-{key}",
                name=f"airflow-{key}",
                secret=secret,
                kms_key_arn=database.kms_key_arn,
                tags=args.tags,
                parent=self,
                length=lengths[key],
            )
            for key, secret in generated.items()
        ]
        names = av.SecretNames()
        delivered = [
            store.external_secret(
                f"{name}-keys",
                target=names.keys,
                values=[remote_value(key, secret.arn) for key, secret in generated.items()],
                template=av.keys_secret_template(),
                parent=self,
                depends_on=pushes,
            )
        ]
        templates = database.address.apply(
            lambda host: av.database_secret_templates(str(host), namespace, verify_db_certificate=verify)
        )
        for target in (names.metadata, names.pgbouncer_config, names.pgbouncer_stats):
            delivered.append(
                store.external_secret(
                    f"{name}-{target}",
                    target=target,
                    values=[
                        remote_value("username", database.secret_arn, "username"),
                        remote_value("password", database.secret_arn, "password"),
                    ],
                    template=templates.apply(lambda t, key=target: t[key]),
                    parent=self,
                )
            )
        k8s_opts = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=list(args.namespace_resources)
        )
        release_needs: list[pulumi.Resource] = [*delivered, *roles.values()]
        if args.db_ca_bundle is not None:
            release_needs.append(
                k8s.core.v1.ConfigMap(
                    f"{name}-rds-ca",
                    metadata={"name": av.CA_CONFIGMAP, "namespace": namespace},
                    data={"ca.pem": args.db_ca_bundle},
                    opts=k8s_opts,
                )
            )

        # --- the chart -------------------------------------------------------------------------------------
        logs_uri = bucket_name.apply(lambda b: f"s3://{b}/{args.logs_prefix.strip('/')}")
        replicas = 2 if config.database.multi_az else 1
        values = pulumi.Output.all(logs_uri, bucket_name, *(roles[c].arn for c in av.COMPONENTS)).apply(
            lambda v: av.airflow_values(
                airflow_version=config.airflow_version,
                region=args.region,
                logs_uri=str(v[0]),
                role_arns={c: str(arn) for c, arn in zip(av.COMPONENTS, v[2:], strict=True)},
                verify_db_certificate=verify,
                dags_git=config.dags_git,
                dags_s3_bucket=str(v[1]) if use_s3_dags else None,
                dags_s3_prefix=args.dags_prefix,
                replicas=replicas,
            )
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=av.RELEASE,
            chart=av.AIRFLOW_CHART,
            version=av.AIRFLOW_CHART_VERSION,
            repository_opts={"repo": av.AIRFLOW_CHART_REPOSITORY},
            namespace=namespace,
            create_namespace=False,
            values=values,
            # The migration Job (not a hook, see airflow_values) runs beside the pods; give it time on a
            # fresh database and nodes still pulling the Airflow image.
            timeout=900,
            max_history=5,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=release_needs)),
        )

        self.namespace = pulumi.Output.from_input(namespace)
        self.api_service_name = release.name.apply(lambda release_name: f"{release_name}-api-server")
        self.metadata_db_endpoint = database.endpoint
        self.log_location = logs_uri
        self.role_arns = {component: role.arn for component, role in roles.items()}
        self.workers = av.workload("workers", namespace)
        self.flows = helm_flows(
            namespace=namespace,
            database=database.destination,
            endpoints=args.endpoints,
            tracking=args.tracking,
            config=config,
        )


def _kebab(component: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in component)


__all__ = [
    "Orchestrator",
    "OrchestratorArgs",
    "component_policies",
    "helm_flows",
    "validate_orchestrator_args",
]
