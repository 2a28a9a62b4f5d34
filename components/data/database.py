"""PostgresDatabase: a hardened, private RDS PostgreSQL instance with no password anywhere.

Shared by the MLflow tracking server and the Airflow metadata database. Every control is an explicit
input of the instance, so the policy pack (and a reviewer) sees it in the plan:

- private: DB subnet group in the database subnets, ``publicly_accessible=False``, and a security group
  with no rule of its own; ingress is added by the zero-trust graph from :attr:`PostgresDatabase.destination`;
- encrypted with the database's own customer key (rotated): storage, Performance Insights, and the
  master-user secret;
- TLS forced by the parameter group (``rds.force_ssl=1``, TLS 1.2 minimum), IAM authentication on;
- the master password generated and kept by Secrets Manager (``manage_master_user_password``): it never
  appears in config, state inputs or Helm values;
- backups kept at least 7 days; deletion protection plus a final snapshot when configured (prod).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.data.config import DatabaseConfig
from components.iam import key_administration, logs_use_key, partition_of
from components.manifest import manifest
from contracts.flows import AwsDestination

POSTGRES_PORT = 5432
"""The port every platform database listens on."""
CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1"
"""RDS certificate authority of the server certificate (clients verify against its regional bundle)."""
LOG_EXPORTS = ("postgresql", "upgrade")
"""Engine logs exported to CloudWatch; each gets a pre-created log group with a retention."""
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem"
"""Where AWS publishes the public CA bundle clients need for ``sslmode=verify-full``
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html)."""

_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_SQL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_USERS = {"postgres", "rdsadmin", "rdsrepladmin", "admin", "root"}


def parameter_family(engine_version: str) -> str:
    """Parameter-group family of a PostgreSQL version: ``16`` or ``16.8`` -> ``postgres16``."""
    major = engine_version.split(".", 1)[0]
    if not major.isdigit() or int(major) < 13:
        raise ValueError(f"engine version {engine_version!r}: PostgreSQL 13 or newer expected (e.g. 16)")
    return f"postgres{major}"


def db_parameters() -> list[dict[str, str]]:
    """Parameters of every platform database: TLS only (1.2+), SCRAM passwords, connection and DDL audit logs.

    All are dynamic parameters, applied without a reboot.
    """
    settings = {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "password_encryption": "scram-sha-256",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_statement": "ddl",
        "log_min_duration_statement": "1000",
    }
    return [{"name": key, "value": value, "apply_method": "immediate"} for key, value in settings.items()]


def db_identifier(environment: str, name: str) -> str:
    """The RDS instance identifier ``<environment>-<name>``, validated against RDS's naming rules."""
    identifier = f"{environment}-{name}"
    if not _IDENTIFIER.match(identifier):
        raise ValueError(
            f"database identifier {identifier!r} (environment + component name) must be 1-63 lowercase letters, "
            "digits and single hyphens, starting with a letter and not ending with a hyphen"
        )
    return identifier


def database_key_policy(account_id: str, region: str, identifier: str) -> str:
    """Policy of a database key: the account administers it (RDS, Performance Insights and Secrets Manager use it
    through grants and IAM, as with the default key policy), and CloudWatch Logs may use it for the instance's
    exported log groups only (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)."""
    statements = [
        key_administration(account_id, partition=partition_of(region), sid="Enable IAM User Permissions"),
        logs_use_key(account_id, region, f"/aws/rds/instance/{identifier}/*", sid="RdsLogGroups"),
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def log_group_name(identifier: str, export: str) -> str:
    """The CloudWatch log group RDS publishes one exported log to."""
    return f"/aws/rds/instance/{identifier}/{export}"


@dataclass(frozen=True, kw_only=True)
class PostgresDatabaseArgs:
    """Inputs of :class:`PostgresDatabase`."""

    config: DatabaseConfig
    """Instance class, pinned engine version, storage, backups, multi-AZ and deletion protection."""
    environment: str
    """Environment name (dev, prod, pr-42): first part of the instance identifier."""
    vpc_id: pulumi.Input[str]
    """VPC of the database security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """The database subnets (at least two AZs; no route out of the VPC)."""
    subnet_cidrs: Sequence[str]
    """CIDRs of those subnets: where clients reach the instance (the zero-trust destination)."""
    database_name: str
    """Name of the database created with the instance (``mlflow``, ``airflow``)."""
    master_username: str = "mlops_admin"
    """Master user; its password is generated and rotated by Secrets Manager, never seen by Pulumi."""


def validate_database_args(name: str, args: PostgresDatabaseArgs) -> str:
    """Reject impossible plain values before anything is created; returns the instance identifier."""
    identifier = db_identifier(args.environment, name)
    parameter_family(args.config.engine_version)
    if not _SQL_NAME.match(args.database_name):
        raise ValueError(f"PostgresDatabaseArgs.database_name {args.database_name!r}: use [a-z][a-z0-9_]{{0,62}}")
    if not _SQL_NAME.match(args.master_username) or args.master_username in _RESERVED_USERS:
        raise ValueError(
            f"PostgresDatabaseArgs.master_username {args.master_username!r}: use [a-z][a-z0-9_]{{0,62}}, "
            f"not one of {sorted(_RESERVED_USERS)}"
        )
    if not args.subnet_cidrs:
        raise ValueError("PostgresDatabaseArgs.subnet_cidrs: the database subnets' CIDRs are needed for the flows")
    for cidr in args.subnet_cidrs:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"PostgresDatabaseArgs.subnet_cidrs: {cidr!r} is not a CIDR ({exc})") from None
    if isinstance(args.subnet_ids, list | tuple) and len(args.subnet_ids) < 2:
        raise ValueError("PostgresDatabaseArgs.subnet_ids: RDS needs subnets in at least two availability zones")
    return identifier


class PostgresDatabase(pulumi.ComponentResource):
    """A private, encrypted, TLS-only RDS PostgreSQL instance whose master password lives in Secrets Manager."""

    identifier: str
    """RDS instance identifier (``<environment>-<name>``)."""
    database_name: str
    """The database created with the instance."""
    endpoint: pulumi.Output[str]
    """``host:port`` of the instance."""
    address: pulumi.Output[str]
    """DNS name of the instance (what clients verify the certificate against)."""
    port: pulumi.Output[int]
    """Port of the instance (5432)."""
    secret_arn: pulumi.Output[str]
    """ARN of the RDS-managed Secrets Manager secret holding ``{"username", "password"}``."""
    security_group_id: pulumi.Output[str]
    """The instance's security group: no rule of its own, ingress comes from the zero-trust graph."""
    kms_key_arn: pulumi.Output[str]
    """The database's customer key (storage, Performance Insights, master-user secret)."""
    resource_id: pulumi.Output[str]
    """``db-...`` resource id, for ``rds-db:connect`` IAM authentication policies."""
    destination: AwsDestination
    """The instance as a flow destination: declare ``client -> destination : 5432``."""

    def __init__(self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:database:PostgresDatabase", name, None, opts)
        identifier = validate_database_args(name, args)
        config = args.config
        protect = config.deletion_protection
        child = pulumi.ResourceOptions(parent=self)

        invoke = pulumi.InvokeOutputOptions(parent=self)
        placement = pulumi.Output.all(
            aws.get_caller_identity_output(opts=invoke).account_id, aws.get_region_output(opts=invoke).region
        )
        key = aws.kms.Key(
            f"{name}-key",
            policy=placement.apply(lambda p: database_key_policy(str(p[0]), str(p[1]), identifier)),
            description=f"{identifier}: RDS storage, Performance Insights and master-user secret",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if protect else 7,
            opts=child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{identifier}-db", target_key_id=key.key_id, opts=child)

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=f"{identifier}-db",
            description=f"{identifier}: database subnets (no route out of the VPC)",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        family = parameter_family(config.engine_version)
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            # The family is part of the name: a major upgrade creates the new group before deleting the old.
            name=f"{identifier}-{family}",
            family=family,
            description=f"{identifier}: TLS only, SCRAM, connection and DDL logging",
            parameters=[manifest(p) for p in db_parameters()],
            opts=child,
        )
        # No ingress and no egress here: the zero-trust graph opens 5432 from the workload security group
        # for declared flows only (terraform-provider-aws removes AWS's default allow-all egress rule).
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{identifier}: PostgreSQL; ingress only from declared zero-trust flows",
            revoke_rules_on_delete=True,
            tags={"Name": f"{identifier}-db"},
            opts=child,
        )
        # Pre-created so RDS publishes into groups with a retention instead of creating never-expiring ones.
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{export}",
                name=log_group_name(identifier, export),
                retention_in_days=config.log_retention_days,
                kms_key_id=key.arn,
                opts=child,
            )
            for export in LOG_EXPORTS
        ]

        instance_args: dict[str, Any] = {}
        if protect:
            instance_args["final_snapshot_identifier"] = f"{identifier}-final"
        instance = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
            engine="postgres",
            engine_version=config.engine_version,
            # Past the end of standard support RDS upgrades the minor/major version instead of billing
            # Extended Support silently.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            instance_class=config.instance_class,
            allocated_storage=config.allocated_storage_gib,
            max_allocated_storage=min(config.allocated_storage_gib * 4, 65536),
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            port=POSTGRES_PORT,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            network_type="IPV4",
            ca_cert_identifier=CA_CERT_IDENTIFIER,
            multi_az=config.multi_az,
            iam_database_authentication_enabled=True,
            backup_retention_period=config.backup_retention_days,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            delete_automated_backups=not protect,
            deletion_protection=protect,
            skip_final_snapshot=not protect,
            # A major-only engine_version (config check) lets RDS move the minor without a later downgrade.
            auto_minor_version_upgrade=config.auto_minor_version_upgrade,
            allow_major_version_upgrade=False,
            apply_immediately=False,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=7,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            **instance_args,
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_groups, protect=protect),
        )

        self.identifier = identifier
        self.database_name = args.database_name
        self.endpoint = instance.endpoint
        self.address = instance.address
        self.port = instance.port
        self.secret_arn = instance.master_user_secrets.apply(_first_secret_arn)
        self.security_group_id = security_group.id
        self.kms_key_arn = key.arn
        self.resource_id = instance.resource_id
        self.destination = AwsDestination(
            name=f"rds/{identifier}", cidrs=tuple(args.subnet_cidrs), security_group_id=security_group.id
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "address": self.address,
                "secretArn": self.secret_arn,
                "securityGroupId": self.security_group_id,
                "kmsKeyArn": self.kms_key_arn,
            }
        )


def _first_secret_arn(secrets: Sequence[Any] | None) -> str:
    """The ARN of the RDS-managed master-user secret (RDS creates exactly one)."""
    if not secrets:
        return ""
    first = secrets[0]
    arn = first.get("secret_arn") if isinstance(first, dict) else getattr(first, "secret_arn", None)
    return str(arn or "")


__all__ = [
    "CA_CERT_IDENTIFIER",
    "POSTGRES_PORT",
    "RDS_CA_BUNDLE_URL",
    "PostgresDatabase",
    "PostgresDatabaseArgs",
    "db_identifier",
    "db_parameters",
    "parameter_family",
    "validate_database_args",
]
