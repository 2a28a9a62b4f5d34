"""Warehouse: Redshift Serverless in the private subnets, reachable only through declared flows.

The namespace is encrypted with a customer key and its admin password is generated and kept by
Secrets Manager (never a value in the program or the plan). The workgroup is private, routes
COPY/UNLOAD traffic through the VPC, requires TLS, and sits behind its own security group that
has no ingress rule of its own: the zero-trust flow graph adds one per declared flow to
:attr:`Warehouse.destination` on port 5439.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config_base import validate_placement
from components.data.config import WarehouseConfig
from components.data.lake_access import key_policy
from contracts.flows import AwsDestination

PORT = 5439
"""Redshift's port: the port flows to the warehouse declare."""

WAREHOUSE_KEY_SERVICES = ("redshift", "redshift-serverless", "secretsmanager")
"""Services that use the warehouse key: Redshift Serverless storage and the managed admin secret."""

LOG_EXPORTS = ("connectionlog", "useractivitylog", "userlog")
"""Audit logs exported to CloudWatch Logs."""

DATABASE = "analytics"
"""Name of the first database in the namespace."""


@dataclass(frozen=True, kw_only=True)
class WarehouseArgs:
    """Inputs of :class:`Warehouse`."""

    config: WarehouseConfig
    """The stack's ``mlops:warehouse`` section: capacity, usage limit, admin user, protection."""
    environment: str
    """Environment name: first part of the namespace and workgroup names."""
    account_id: pulumi.Input[str]
    """AWS account id: scopes the key policy of the warehouse's own key."""
    region: str
    """AWS region (``kms:ViaService`` endpoints of the key policy)."""
    vpc_id: pulumi.Input[str]
    """VPC of the workgroup's security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets of the workgroup (AWS asks for subnets in several AZs; three is safest)."""
    subnet_cidrs: Sequence[str]
    """CIDR blocks of those subnets: where pods may reach the warehouse (NetworkPolicy ipBlock)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer key for the namespace and its admin secret. Default None: the warehouse creates its own.
    A given key's policy must let redshift-serverless and secretsmanager use it and create grants."""
    s3_prefix_list_id: pulumi.Input[str] | None = None
    """Prefix list of the VPC's S3 gateway endpoint: if set, the only egress (HTTPS) the workgroup gets,
    for COPY/UNLOAD under enhanced VPC routing. Default None: no egress rule at all."""


def validate_args(args: WarehouseArgs) -> None:
    """Reject impossible plain values before any resource is created."""
    validate_placement(args.environment, args.region, args.account_id)
    if not args.subnet_cidrs:
        raise ValueError("subnet_cidrs must list the CIDR blocks of the warehouse's private subnets")
    for cidr in args.subnet_cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"subnet_cidrs: {cidr!r} is not a CIDR block ({exc})") from None
        if network.prefixlen == 0 or not network.is_private:
            raise ValueError(f"subnet_cidrs: {cidr!r} must be a private block, never the whole internet")


class Warehouse(pulumi.ComponentResource):
    """Redshift Serverless namespace + workgroup of one environment."""

    destination: AwsDestination
    """The warehouse in the zero-trust graph: declare flows to it on :data:`PORT` (5439)."""
    namespace_name: pulumi.Output[str]
    """Redshift Serverless namespace."""
    workgroup_name: pulumi.Output[str]
    """Redshift Serverless workgroup."""
    endpoint: pulumi.Output[str]
    """Private endpoint address of the workgroup (port 5439)."""
    port: int
    """Port of the endpoint."""
    admin_secret_arn: pulumi.Output[str]
    """Secrets Manager secret holding the generated admin credentials."""
    security_group_id: pulumi.Output[str]
    """The workgroup's security group (ingress only from declared flows)."""
    key_arn: pulumi.Output[str]
    """Customer key encrypting the namespace and the admin secret."""

    def __init__(self, name: str, args: WarehouseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:warehouse:Warehouse", name, None, opts)
        validate_args(args)
        config, env, region = args.config, args.environment, args.region
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=config.protect, retain_on_delete=config.protect)

        key_arn: pulumi.Input[str]
        if args.kms_key_arn is None:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{env} warehouse: Redshift Serverless namespace and admin secret",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=30 if config.protect else 7,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda a: key_policy(a, region, services=WAREHOUSE_KEY_SERVICES, grants=True)
                ),
                opts=keep,
            )
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{env}-warehouse", target_key_id=key.key_id, opts=child)
            key_arn = key.arn
        else:
            key_arn = args.kms_key_arn

        # No `ingress` and no `egress` here: AWS's default allow-all egress is removed by the provider
        # when none is declared, and ingress rules come from the zero-trust graph as separate resources.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"{env} warehouse: ingress only from declared flows on {PORT}",
            vpc_id=args.vpc_id,
            revoke_rules_on_delete=True,
            opts=child,
        )
        if args.s3_prefix_list_id is not None:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-s3-egress",
                security_group_id=security_group.id,
                description="COPY/UNLOAD to S3 through the gateway endpoint (enhanced VPC routing)",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                prefix_list_id=args.s3_prefix_list_id,
                opts=child,
            )

        namespace = aws.redshiftserverless.Namespace(
            f"{name}-namespace",
            namespace_name=f"{env}-warehouse",
            db_name=DATABASE,
            admin_username=config.admin_username,
            # Secrets Manager generates and rotates the password; it never appears in config or state.
            manage_admin_password=True,
            admin_password_secret_kms_key_id=key_arn,
            kms_key_id=key_arn,
            log_exports=list(LOG_EXPORTS),
            opts=keep,
        )

        workgroup = aws.redshiftserverless.Workgroup(
            f"{name}-workgroup",
            workgroup_name=f"{env}-warehouse",
            namespace_name=namespace.namespace_name,
            base_capacity=config.base_capacity,
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            subnet_ids=args.subnet_ids,
            security_group_ids=[security_group.id],
            port=PORT,
            config_parameters=[
                {"parameter_key": "require_ssl", "parameter_value": "true"},
                # Needed for the useractivitylog export.
                {"parameter_key": "enable_user_activity_logging", "parameter_value": "true"},
            ],
            opts=child,
        )

        if config.max_rpu_hours_per_day is not None:
            aws.redshiftserverless.UsageLimit(
                f"{name}-usage-limit",
                resource_arn=workgroup.arn,
                usage_type="serverless-compute",
                amount=config.max_rpu_hours_per_day,
                period="daily",
                breach_action=config.usage_limit_action,
                opts=child,
            )

        self.destination = AwsDestination(
            name=f"{env}-warehouse", cidrs=tuple(args.subnet_cidrs), security_group_id=security_group.id
        )
        self.namespace_name = namespace.namespace_name
        self.workgroup_name = workgroup.workgroup_name
        self.endpoint = workgroup.endpoints.apply(_first_address)
        self.port = PORT
        self.admin_secret_arn = namespace.admin_password_secret_arn
        self.security_group_id = security_group.id
        self.key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs(
            {
                "namespaceName": self.namespace_name,
                "workgroupName": self.workgroup_name,
                "endpoint": self.endpoint,
                "adminSecretArn": self.admin_secret_arn,
                "securityGroupId": self.security_group_id,
                "keyArn": self.key_arn,
            }
        )


def _first_address(endpoints: Sequence[Any] | None) -> str:
    """The address of the workgroup's endpoint (an output object, or a dict under some runtimes)."""
    if not endpoints:
        return ""
    first = endpoints[0]
    address = first.get("address") if isinstance(first, dict) else getattr(first, "address", None)
    return str(address or "")
