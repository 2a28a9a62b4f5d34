"""TrackingServer: MLflow on the serving cluster, private, with its own hardened database and artifact store.

- Database: :class:`~components.data.database.PostgresDatabase` in the database subnets (TLS forced, IAM auth,
  customer key, password kept by Secrets Manager).
- Artifacts: a prefix of the lake's ``ml-artifacts`` bucket, or an :class:`ArtifactBucket` with the same
  controls when the stack has no lake.
- Identity: an IRSA role for the ``mlflow`` ServiceAccount, limited to the artifact prefix, the artifact
  key and the database secret.
- Credentials at runtime: a :class:`~components.cluster.secrets_operator.ScopedSecretStore` in the namespace
  materializes the DB login, the generated admin password and Flask key into one Kubernetes Secret; no
  password is an input of any resource.
- Kubernetes: Deployment (official image pinned, ``mlflow server`` with basic-auth, probes, restricted
  security context), ClusterIP Service, PodDisruptionBudget when highly available.
- Database TLS: ``sslmode=verify-full`` against the region's RDS CA bundle (a ConfigMap) when the
  platform has it (``make rds-ca-bundle``), else ``sslmode=require`` (encrypted, certificate unverified);
  see :attr:`TrackingServer.db_tls_mode`.
- Zero trust: clients -> MLflow:5000, MLflow -> RDS:5432, MLflow -> VPC endpoints:443.

Specs come from the pure builders in :mod:`components.tracking.spec`; names, URIs, database credentials,
IAM and flows from :mod:`components.tracking.access`.

Operating notes: the admin user is ``mlflow-admin``; its password is read with
``aws secretsmanager get-secret-value --secret-id <admin_secret_arn>``. RDS rotates the managed master
password (every 7 days by default); ESO refreshes the Secret hourly and the server picks the new value
up on its next restart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from components.cluster.identity import OidcIssuer, service_account_role
from components.cluster.secrets_operator import (
    ScopedSecretStore,
    ScopedSecretStoreArgs,
    SecretsOperator,
    generated_secret,
    remote_value,
)
from components.data.artifact_bucket import ArtifactBucket, ArtifactBucketArgs, own_bucket_name
from components.data.database import PostgresDatabase, PostgresDatabaseArgs
from components.data.rds_ca import is_pem_bundle
from components.manifest import manifest
from components.registry.images import RegistryBase
from components.tracking import access, spec
from components.tracking.config import TrackingConfig
from contracts.flows import AwsDestination, Flow, Workload


@dataclass(frozen=True, kw_only=True)
class TrackingServerArgs:
    """Inputs of :class:`TrackingServer`."""

    config: TrackingConfig
    """The stack's ``mlops:tracking`` section (version, replicas, database, client namespaces)."""
    environment: str
    """Environment name (dev, prod, pr-42)."""
    region: str
    """AWS region (SecretStore, SDK region of the server)."""
    account_id: pulumi.Input[str]
    """AWS account id (name of the own artifact bucket when there is no lake)."""
    vpc_id: pulumi.Input[str]
    """VPC of the database security group."""
    database_subnet_ids: pulumi.Input[Sequence[str]]
    """Database subnets (network.database_subnet_ids)."""
    database_subnet_cidrs: Sequence[str]
    """Their CIDRs (network.database_subnet_cidrs): the MLflow -> RDS flow's destination."""
    k8s_provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    oidc: OidcIssuer
    """The cluster's OIDC issuer (IRSA)."""
    secrets_operator: SecretsOperator
    """The cluster's External Secrets Operator (created once by the platform)."""
    endpoints: AwsDestination
    """The VPC interface endpoints (network.endpoints)."""
    db_ca_bundle: pulumi.Input[str] | None = None
    """PEM bundle of the RDS certificate authority of the region (public; see ``RDS_CA_BUNDLE_URL``),
    mounted from a ConfigMap so every database connection uses ``sslmode=verify-full``. None means TLS is
    still required (``rds.force_ssl`` on the server) but the server certificate is not verified:
    ``sslmode=require`` and no ConfigMap. Give the bundle to get ``verify-full``."""
    artifact_bucket_name: pulumi.Input[str] | None = None
    """The lake's ``ml-artifacts`` bucket; None creates an own bucket with the same controls."""
    artifact_bucket_arn: pulumi.Input[str] | None = None
    """ARN of that bucket (required with ``artifact_bucket_name``)."""
    artifact_kms_key_arn: pulumi.Input[str] | None = None
    """The lake's KMS key (required with ``artifact_bucket_name``)."""
    registry: pulumi.Output[RegistryBase] | None = None
    """The stack's ECR (``ImageRegistry.base``): the MLflow image is pulled through it. Default: ghcr.io."""
    artifact_prefix: str = "mlflow"
    """Prefix of the bucket MLflow owns (its role is scoped to it)."""
    namespace: str = "mlflow"
    """Namespace of the server (created by the cluster)."""
    namespace_resources: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """The namespace resource(s) to wait for."""
    client_workloads: Sequence[Workload] = field(default_factory=tuple)
    """Workloads allowed to call MLflow besides ``config.clients`` (e.g. serving predictors)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The stack's required tags: repeated in PushSecret metadata so ESO keeps them on generated secrets."""
    force_destroy_bucket: bool = False
    """Own bucket only: let ``pulumi destroy`` empty it (phoenix stacks)."""
    external_hosts: Sequence[str] = ()
    """Host names the load balancer forwards to the server (``mlops:access``); MLflow rejects other Host headers."""


def validate_tracking_args(args: TrackingServerArgs) -> None:
    """Reject impossible plain inputs before anything is created."""
    lake = (args.artifact_bucket_name, args.artifact_bucket_arn, args.artifact_kms_key_arn)
    if any(v is not None for v in lake) and not all(v is not None for v in lake):
        raise ValueError(
            "TrackingServerArgs: artifact_bucket_name, artifact_bucket_arn and artifact_kms_key_arn are given "
            "together (the lake's bucket) or not at all (an own bucket)"
        )
    if not args.artifact_prefix.strip("/"):
        raise ValueError("TrackingServerArgs.artifact_prefix must not be empty: the IRSA role is scoped to it")
    if not args.config.enabled:
        raise ValueError("TrackingServer built while mlops:tracking.enabled is false")
    if isinstance(args.db_ca_bundle, str) and not is_pem_bundle(args.db_ca_bundle):
        raise ValueError(
            "TrackingServerArgs.db_ca_bundle is not a PEM certificate bundle (give the region's RDS CA bundle, "
            "or None for sslmode=require)"
        )
    if "managed-by" in args.tags:
        raise ValueError("TrackingServerArgs.tags: 'managed-by' is reserved for External Secrets")


class TrackingServer(pulumi.ComponentResource):
    """The MLflow tracking server of one environment."""

    tracking_uri: pulumi.Output[str]
    """In-cluster tracking URI (``http://mlflow.mlflow.svc.cluster.local:5000``)."""
    db_endpoint: pulumi.Output[str]
    """``host:port`` of the tracking database."""
    db_secret_arn: pulumi.Output[str]
    """The RDS-managed secret with the database login."""
    admin_secret_arn: pulumi.Output[str]
    """The secret holding the generated MLflow admin password (user ``mlflow-admin``)."""
    artifact_location: pulumi.Output[str]
    """``s3://<bucket>/<prefix>`` where artifacts are stored."""
    role_arn: pulumi.Output[str]
    """The server's IRSA role."""
    db_tls_mode: str
    """libpq ``sslmode`` of the server's database connections: ``verify-full`` with ``db_ca_bundle``,
    else ``require`` (encrypted, certificate not verified)."""
    database: PostgresDatabase
    """The tracking database component."""
    workload: Workload
    """The server pods (for other components' flows, e.g. Airflow workers -> MLflow)."""
    flows: list[Flow]
    """Zero-trust flows of the tracking server."""

    def __init__(self, name: str, args: TrackingServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:tracking:TrackingServer", name, None, opts)
        validate_tracking_args(args)
        config = args.config
        namespace = args.namespace
        # Decided on the plain argument: the ConfigMap and the pod's mounts exist only with a bundle.
        verify = args.db_ca_bundle is not None
        self.db_tls_mode = access.db_tls_mode(verify)

        self.database = PostgresDatabase(
            f"{name}-db",
            PostgresDatabaseArgs(
                config=config.database,
                environment=args.environment,
                vpc_id=args.vpc_id,
                subnet_ids=args.database_subnet_ids,
                subnet_cidrs=args.database_subnet_cidrs,
                database_name=access.TRACKING_DATABASE,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        db = self.database

        if args.artifact_bucket_name is None:
            own = ArtifactBucket(
                f"{name}-artifacts",
                ArtifactBucketArgs(
                    bucket_name=own_bucket_name(args.environment, "mlflow", args.account_id, args.region),
                    purpose=f"{args.environment}: MLflow artifacts",
                    force_destroy=args.force_destroy_bucket,
                    protect=config.database.deletion_protection,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            bucket_name, bucket_arn, artifact_key = own.bucket_name, own.bucket_arn, own.kms_key_arn
        else:
            assert args.artifact_bucket_arn is not None and args.artifact_kms_key_arn is not None
            bucket_name = pulumi.Output.from_input(args.artifact_bucket_name)
            bucket_arn = pulumi.Output.from_input(args.artifact_bucket_arn)
            artifact_key = pulumi.Output.from_input(args.artifact_kms_key_arn)

        # --- identity ----------------------------------------------------------------------------
        policy = pulumi.Output.all(bucket_arn, artifact_key, db.secret_arn, db.kms_key_arn).apply(
            lambda v: access.tracking_policy(
                bucket_arn=str(v[0]),
                prefix=args.artifact_prefix,
                artifact_kms_key_arn=str(v[1]),
                db_secret_arn=str(v[2]),
                db_kms_key_arn=str(v[3]),
            )
        )
        role = service_account_role(
            f"{name}-server",
            oidc=args.oidc,
            namespace=namespace,
            service_account=access.SERVICE_ACCOUNT,
            policy=policy,
            parent=self,
        )

        # --- credentials: generated in the cluster, kept in Secrets Manager ---------------------------
        admin_secret = generated_secret(
            f"{name}-admin-password",
            name_prefix=f"{args.environment}/mlflow/admin-password-",
            description=f"{args.environment}: MLflow basic-auth admin password (user {access.ADMIN_USERNAME})",
            kms_key_arn=db.kms_key_arn,
            parent=self,
        )
        flask_secret = generated_secret(
            f"{name}-flask-key",
            name_prefix=f"{args.environment}/mlflow/flask-secret-key-",
            description=f"{args.environment}: MLflow server session signing key",
            kms_key_arn=db.kms_key_arn,
            parent=self,
        )
        store = ScopedSecretStore(
            f"{name}-secrets",
            ScopedSecretStoreArgs(
                operator=args.secrets_operator,
                k8s_provider=args.k8s_provider,
                oidc=args.oidc,
                namespace=namespace,
                region=args.region,
                read_secret_arns=[db.secret_arn, admin_secret.arn, flask_secret.arn],
                write_secret_arns=[admin_secret.arn, flask_secret.arn],
                kms_key_arns=[db.kms_key_arn],
                depends_on=list(args.namespace_resources),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        pushes = [
            store.generated_password(
                f"{name}-admin-password",
                name="mlflow-admin-password",
                secret=admin_secret,
                kms_key_arn=db.kms_key_arn,
                tags=args.tags,
                parent=self,
            ),
            store.generated_password(
                f"{name}-flask-key",
                name="mlflow-flask-secret-key",
                secret=flask_secret,
                kms_key_arn=db.kms_key_arn,
                tags=args.tags,
                parent=self,
                length=64,
            ),
        ]
        credentials = store.external_secret(
            f"{name}-credentials",
            target=access.CREDENTIALS_SECRET,
            values=[
                remote_value("username", db.secret_arn, "username"),
                remote_value("password", db.secret_arn, "password"),
                remote_value("admin_password", admin_secret.arn),
                remote_value("flask_secret_key", flask_secret.arn),
            ],
            template=db.address.apply(
                lambda host: access.credentials_template(str(host), verify_db_certificate=verify)
            ),
            parent=self,
            depends_on=pushes,
        )

        # --- Kubernetes --------------------------------------------------------------------------------
        k8s_opts = pulumi.ResourceOptions(
            parent=self, provider=args.k8s_provider, depends_on=list(args.namespace_resources)
        )
        labels = dict(access.SERVER_LABELS)
        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": access.SERVICE_ACCOUNT,
                "namespace": namespace,
                "labels": labels,
                "annotations": {
                    "eks.amazonaws.com/role-arn": role.arn,
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                },
            },
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        deployment_needs: list[pulumi.Resource] = [service_account, credentials]
        if args.db_ca_bundle is not None:
            deployment_needs.append(
                k8s.core.v1.ConfigMap(
                    f"{name}-rds-ca",
                    metadata={"name": access.CA_CONFIGMAP, "namespace": namespace, "labels": labels},
                    data={"ca.pem": args.db_ca_bundle},
                    opts=k8s_opts,
                )
            )
        deployment_spec = pulumi.Output.all(db.address, bucket_name, artifact_key, args.registry).apply(
            lambda v: spec.deployment_spec(
                version=config.mlflow_version,
                replicas=config.replicas,
                namespace=namespace,
                db_host=str(v[0]),
                region=args.region,
                artifact_bucket=str(v[1]),
                artifact_prefix=args.artifact_prefix,
                artifact_kms_key_arn=str(v[2]),
                verify_db_certificate=verify,
                registry=v[3],
                external_hosts=args.external_hosts,
            )
        )
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={"name": access.SERVICE_NAME, "namespace": namespace, "labels": labels},
            spec=manifest(deployment_spec),
            opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=deployment_needs)),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata={"name": access.SERVICE_NAME, "namespace": namespace, "labels": labels},
            spec=manifest(spec.service_spec()),
            opts=k8s_opts,
        )
        if config.replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata={"name": access.SERVICE_NAME, "namespace": namespace, "labels": labels},
                spec=manifest(spec.pdb_spec()),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[deployment])),
            )

        # --- zero trust ------------------------------------------------------------------------------
        self.workload = access.server_workload(namespace)
        clients = [*args.client_workloads, *(access.client_namespace_workload(ns) for ns in config.clients)]
        self.flows = access.tracking_flows(
            server=self.workload, clients=clients, database=db.destination, endpoints=args.endpoints
        )

        self.tracking_uri = pulumi.Output.from_input(access.tracking_uri(namespace))
        self.db_endpoint = db.endpoint
        self.db_secret_arn = db.secret_arn
        self.admin_secret_arn = admin_secret.arn
        self.artifact_location = bucket_name.apply(
            lambda bucket: access.artifacts_destination(str(bucket), args.artifact_prefix)
        )
        self.role_arn = role.arn
        self.register_outputs(
            {
                "trackingUri": self.tracking_uri,
                "dbEndpoint": self.db_endpoint,
                "dbSecretArn": self.db_secret_arn,
                "adminSecretArn": self.admin_secret_arn,
                "artifactLocation": self.artifact_location,
                "roleArn": self.role_arn,
                "dbTlsMode": self.db_tls_mode,
            }
        )


__all__ = ["TrackingServer", "TrackingServerArgs", "validate_tracking_args"]
