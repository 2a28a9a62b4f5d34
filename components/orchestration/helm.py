"""Orchestrator, mode ``helm``: Airflow from the official chart on the serving cluster, and its pure helpers.

- the official chart through ``helm.v3.Release`` (pinned, see :mod:`components.orchestration.airflow_values`) in its
  own namespace, values from the pure builder :func:`~components.orchestration.airflow_values.airflow_values`;
- the metadata database on its own :class:`~components.data.database.PostgresDatabase` (same hardening as
  MLflow's), reached through PgBouncer; the chart gets only Secret *names*: ESO fills the metadata
  connection, PgBouncer's config and the Fernet/API/JWT keys from Secrets Manager (keys generated in the
  cluster, never Pulumi inputs);
- PgBouncer -> RDS over TLS: ``verify-full`` against the region's RDS CA bundle (a ConfigMap) when the
  platform has it (``make rds-ca-bundle``), else ``require`` (encrypted, certificate unverified); see
  :attr:`~components.orchestration.component.Orchestrator.db_tls_mode`;
- remote task logs on ``s3://<ml-artifacts bucket>/airflow-logs`` (SSE-KMS);
- one IRSA role per component (scheduler, workers, API server, DAG processor, triggerer), each limited
  to the log prefix, the DAG prefix and the configured lake zones it needs;
- DAGs from git-sync (configured repository and branch) or from an S3 prefix (Airflow 3 DAG bundle).

The IRSA policies (:func:`component_policies`) and the flows (:func:`helm_flows`) are pure; :func:`helm_airflow`
creates the resources under the :class:`~components.orchestration.component.Orchestrator`.

Operating notes: the chart's default ``admin``/``admin`` user is disabled; create the first user once
with ``kubectl -n airflow exec deploy/airflow-api-server -- airflow users create --role Admin ...`` (the
password is prompted for, never part of config or state). RDS rotates the managed master password
(every 7 days by default); ESO refreshes the Secrets hourly, and PgBouncer and the Airflow pods pick the
new value up on their next restart.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.identity import service_account_role
from components.cluster.secrets_operator import ScopedSecretStore, ScopedSecretStoreArgs, generated_secret, remote_value
from components.data.artifact_bucket import ArtifactBucket, ArtifactBucketArgs, own_bucket_name
from components.data.database import POSTGRES_PORT, PostgresDatabase, PostgresDatabaseArgs
from components.iam import Statement, document, kms_use, s3_access
from components.observability.publishers import alert_env
from components.orchestration import airflow_values as av
from components.orchestration.config import OrchestratorConfig
from contracts.flows import AwsDestination, Flow, Workload

if TYPE_CHECKING:  # annotations only: the component module imports this one
    from components.orchestration.component import OrchestratorArgs

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
class HelmAirflow:
    """What mode ``helm`` created, for the :class:`~components.orchestration.component.Orchestrator`'s outputs."""

    namespace: pulumi.Output[str]
    """Namespace of the release."""
    api_service_name: pulumi.Output[str]
    """The API server (UI, REST, execution API) Service."""
    metadata_db_endpoint: pulumi.Output[str]
    """``host:port`` of the metadata database."""
    log_location: pulumi.Output[str]
    """``s3://<bucket>/<prefix>`` of the task logs."""
    role_arns: dict[str, pulumi.Output[str]]
    """IRSA role per component."""
    workers: Workload
    """The task pods."""
    flows: list[Flow]
    """Zero-trust flows of Airflow on the cluster."""


def helm_airflow(name: str, args: OrchestratorArgs, *, parent: pulumi.Resource) -> HelmAirflow:
    """Airflow on the cluster, every resource a child of ``parent``: metadata database, artifact bucket
    (without the lake's), IRSA roles, ESO-delivered secrets, the RDS CA ConfigMap (with a bundle) and the release.
    """
    config = args.config
    namespace = args.namespace
    assert args.k8s_provider is not None and args.oidc is not None and args.secrets_operator is not None
    assert args.database_subnet_ids is not None
    verify = args.db_ca_bundle is not None
    child = pulumi.ResourceOptions(parent=parent)

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
                bucket_name=own_bucket_name(args.environment, "airflow", args.account_id, args.region),
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
            policy=policies.apply(operator.itemgetter(component)),
            parent=parent,
        )

    # --- secrets: generated keys and the DB login, delivered by ESO -----------------------------
    generated = {
        key: generated_secret(
            f"{name}-{key}-secret",
            name_prefix=f"{args.environment}/airflow/{key}-",
            description=f"{args.environment}: Airflow {label} (generated in the cluster by ESO)",
            kms_key_arn=database.kms_key_arn,
            parent=parent,
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
            parent=parent,
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
            parent=parent,
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
                template=templates.apply(operator.itemgetter(target)),
                parent=parent,
            )
        )
    k8s_opts = pulumi.ResourceOptions(
        parent=parent, provider=args.k8s_provider, depends_on=list(args.namespace_resources)
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
    values = pulumi.Output.all(logs_uri, bucket_name, args.registry, *(roles[c].arn for c in av.COMPONENTS)).apply(
        lambda v: av.airflow_values(
            airflow_version=config.airflow_version,
            region=args.region,
            logs_uri=str(v[0]),
            role_arns={c: str(arn) for c, arn in zip(av.COMPONENTS, v[3:], strict=True)},
            verify_db_certificate=verify,
            dags_git=config.dags_git,
            dags_s3_bucket=str(v[1]) if use_s3_dags else None,
            dags_s3_prefix=args.dags_prefix,
            replicas=replicas,
            registry=v[2],
        )
    )
    if args.alert_topic_arn is not None:
        values = pulumi.Output.all(values, args.alert_topic_arn).apply(
            lambda v: {**v[0], "env": [*v[0]["env"], *alert_env(str(v[1]), args.environment)]}
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

    return HelmAirflow(
        namespace=pulumi.Output.from_input(namespace),
        api_service_name=release.name.apply(lambda release_name: f"{release_name}-api-server"),
        metadata_db_endpoint=database.endpoint,
        log_location=logs_uri,
        role_arns={component: role.arn for component, role in roles.items()},
        workers=av.workload("workers", namespace),
        flows=helm_flows(
            namespace=namespace,
            database=database.destination,
            endpoints=args.endpoints,
            tracking=args.tracking,
            config=config,
        ),
    )


def _kebab(component: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in component)


__all__ = ["HelmAirflow", "component_policies", "helm_airflow", "helm_flows"]
