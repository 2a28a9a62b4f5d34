"""MwaaEnvironment: Amazon Managed Workflows for Apache Airflow, private, encrypted, least privilege.

The orchestrator's ``mwaa`` mode. The web server is reachable only inside the VPC (``PRIVATE_ONLY``);
the environment runs in two private subnets behind its own security group, which admits nothing but the
environment itself (MWAA's components talk to each other) and what the zero-trust graph declares
towards :attr:`MwaaEnvironment.destination`. DAGs come from a versioned, private, KMS-encrypted bucket;
logs go to CloudWatch with a level per component; everything is encrypted with the environment's key.

Policy documents are pure functions, tested directly
(https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-create-role.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.data.artifact_bucket import ArtifactBucket, ArtifactBucketArgs, own_bucket_name
from components.iam import document, key_administration, kms_use, logs_use_key, partition_of, s3_access
from components.manifest import manifest
from components.orchestration.config import MWAA_DEFAULT_LOG_LEVELS, MwaaConfig
from contracts.flows import AwsDestination

DAGS_PREFIX = "dags"
"""Prefix of the DAG bucket MWAA reads DAGs from."""
LOG_COMPONENTS = {
    "dagProcessing": "dag_processing_logs",
    "scheduler": "scheduler_logs",
    "task": "task_logs",
    "webserver": "webserver_logs",
    "worker": "worker_logs",
}
"""Config key of each Airflow component -> its block in MWAA's logging configuration."""

_NAME = re.compile(r"^[a-zA-Z][0-9a-zA-Z_-]{0,79}$")


def environment_name(environment: str) -> str:
    """MWAA environment name ``<environment>-airflow``."""
    name = f"{environment}-airflow"
    if not _NAME.match(name):
        raise ValueError(f"MWAA environment name {name!r}: letters, digits, '-' and '_', at most 80 characters")
    return name


def execution_trust_policy() -> str:
    """Trust policy of the execution role: MWAA's service principals only."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["airflow.amazonaws.com", "airflow-env.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def execution_policy(
    *,
    account_id: str,
    region: str,
    name: str,
    dag_bucket_arn: str,
    dag_key_arn: str,
    env_key_arn: str,
    zone_reads: Mapping[str, str] | None = None,
    zone_writes: Mapping[str, str] | None = None,
    zone_key_arn: str | None = None,
) -> str:
    """Least-privilege policy of the execution role (AWS's documented minimum, scoped to this environment).

    Three statements need ``*`` because the actions support no resource ARN; each is read-only or bound
    by a condition: ``logs:DescribeLogGroups``, ``s3:GetAccountPublicAccessBlock`` (MWAA checks the DAG
    bucket is private) and ``cloudwatch:PutMetricData`` (namespace ``AmazonMWAA`` only). The Celery queues
    live in an AWS-owned account, hence the account wildcard in their ARN.
    """
    environment_arn = f"arn:aws:airflow:{region}:{account_id}:environment/{name}"
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:airflow-{name}-*"
    statements: list[list[dict[str, Any]]] = [
        [
            {
                "Sid": "PublishMetrics",
                "Effect": "Allow",
                "Action": ["airflow:PublishMetrics"],
                "Resource": [environment_arn],
            }
        ],
        [
            {
                "Sid": "DenyListAllBuckets",
                "Effect": "Deny",
                "Action": ["s3:ListAllMyBuckets"],
                "Resource": [dag_bucket_arn, f"{dag_bucket_arn}/*"],
            },
            {
                "Sid": "ReadDagBucket",
                "Effect": "Allow",
                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                "Resource": [dag_bucket_arn, f"{dag_bucket_arn}/*"],
            },
            {
                "Sid": "CheckAccountPublicAccessBlock",
                "Effect": "Allow",
                "Action": ["s3:GetAccountPublicAccessBlock"],
                "Resource": ["*"],
            },
        ],
        [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:GetLogRecord",
                    "logs:GetLogGroupFields",
                    "logs:GetQueryResults",
                ],
                "Resource": [log_groups],
            },
            {"Sid": "DescribeLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": ["*"]},
            {
                "Sid": "PutMwaaMetrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": ["*"],
                "Condition": {"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}},
            },
        ],
        [
            {
                "Sid": "CeleryQueues",
                "Effect": "Allow",
                "Action": [
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage",
                ],
                "Resource": [f"arn:aws:sqs:{region}:*:airflow-celery-*"],
            }
        ],
        [
            {
                "Sid": "EnvironmentKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
                "Resource": [env_key_arn],
                "Condition": {
                    "StringLike": {"kms:ViaService": [f"sqs.{region}.amazonaws.com", f"s3.{region}.amazonaws.com"]}
                },
            }
        ],
        kms_use(dag_key_arn, encrypt=False, sid="DagBucketKey"),
    ]
    reads, writes = dict(zone_reads or {}), dict(zone_writes or {})
    for zone, arn in sorted(reads.items()):
        if zone not in writes:
            statements.append(s3_access(arn, write=False, sid=f"ReadZone{_sid(zone)}"))
    for zone, arn in sorted(writes.items()):
        statements.append(s3_access(arn, write=True, sid=f"WriteZone{_sid(zone)}"))
    if reads or writes:
        if zone_key_arn is None:
            raise ValueError("execution_policy: zone access needs the lake's KMS key (zone_key_arn)")
        statements.append(kms_use(zone_key_arn, encrypt=bool(writes), sid="LakeKey"))
    return document(*statements)


def key_policy(account_id: str, region: str, name: str) -> str:
    """The environment key: administered by the account; CloudWatch Logs may use it for this environment's
    log groups only (MWAA encrypts its logs with it)."""
    return document(
        [
            key_administration(account_id, partition=partition_of(region), sid="AccountAdministers"),
            logs_use_key(account_id, region, f"airflow-{name}-*", sid="CloudWatchLogsForThisEnvironment"),
        ]
    )


def logging_configuration(levels: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Every component's logs on, each at its configured level (the config's defaults when not given)."""
    chosen = {str(key): str(level) for key, level in MWAA_DEFAULT_LOG_LEVELS.items()}
    chosen.update(levels or {})
    unknown = sorted(set(chosen) - set(LOG_COMPONENTS))
    if unknown:
        raise ValueError(f"unknown MWAA log components {unknown}; allowed: {sorted(LOG_COMPONENTS)}")
    return {block: {"enabled": True, "log_level": chosen[key]} for key, block in LOG_COMPONENTS.items()}


def _sid(zone: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^a-zA-Z0-9]", zone) if part)


@dataclass(frozen=True, kw_only=True)
class MwaaEnvironmentArgs:
    """Inputs of :class:`MwaaEnvironment`."""

    config: MwaaConfig
    """The ``mlops:orchestrator.mwaa`` section (version, class, workers, log levels)."""
    environment: str
    """Environment name (dev, prod, pr-42)."""
    region: str
    """AWS region."""
    account_id: pulumi.Input[str]
    """AWS account id (policies, DAG bucket name)."""
    vpc_id: pulumi.Input[str]
    """VPC of the environment's security group."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets; MWAA uses the first two (two AZs), which must have NAT egress."""
    private_subnet_cidrs: Sequence[str]
    """Their CIDRs: where the private web server endpoint is reached (the flow destination)."""
    zone_reads: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Lake zone -> bucket ARN the DAGs may read."""
    zone_writes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Lake zone -> bucket ARN the DAGs may write."""
    zone_kms_key_arn: pulumi.Input[str] | None = None
    """The lake's key (needed with any zone access)."""
    protect: bool = False
    """Protect the DAG bucket and keys from deletion (prod)."""
    force_destroy_bucket: bool = False
    """Let ``pulumi destroy`` empty the DAG bucket (phoenix)."""


def validate_mwaa_args(args: MwaaEnvironmentArgs) -> str:
    """Reject impossible plain inputs; returns the environment name."""
    name = environment_name(args.environment)
    if isinstance(args.private_subnet_ids, list | tuple) and len(args.private_subnet_ids) < 2:
        raise ValueError("MwaaEnvironmentArgs.private_subnet_ids: MWAA needs two private subnets in two AZs")
    if len(args.private_subnet_cidrs) < 2:
        raise ValueError("MwaaEnvironmentArgs.private_subnet_cidrs: MWAA needs two private subnets in two AZs")
    if (args.zone_reads or args.zone_writes) and args.zone_kms_key_arn is None:
        raise ValueError("MwaaEnvironmentArgs: zone access needs zone_kms_key_arn (the lake's key)")
    return name


class MwaaEnvironment(pulumi.ComponentResource):
    """A private MWAA environment with its own key, DAG bucket, security group and execution role."""

    arn: pulumi.Output[str]
    """The environment's ARN."""
    webserver_url: pulumi.Output[str]
    """Private web server URL (reachable inside the VPC only)."""
    dag_bucket_name: pulumi.Output[str]
    """Bucket holding ``dags/``."""
    security_group_id: pulumi.Output[str]
    """The environment's security group."""
    execution_role_arn: pulumi.Output[str]
    """The execution role (what DAG tasks run as)."""
    destination: AwsDestination
    """The private web server endpoint as a flow destination (``client -> destination : 443``)."""

    def __init__(self, name: str, args: MwaaEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:mwaa:MwaaEnvironment", name, None, opts)
        env_name = validate_mwaa_args(args)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{env_name}: MWAA environment (metadata, queues, logs)",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if args.protect else 7,
            policy=account.apply(lambda a: key_policy(str(a), args.region, env_name)),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        dags = ArtifactBucket(
            f"{name}-dags",
            ArtifactBucketArgs(
                bucket_name=own_bucket_name(args.environment, "airflow-dags", account, args.region),
                purpose=f"{env_name}: DAGs",
                force_destroy=args.force_destroy_bucket,
                protect=args.protect,
            ),
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{env_name}: MWAA; its own components, plus declared zero-trust flows",
            revoke_rules_on_delete=True,
            tags={"Name": f"{env_name}-mwaa"},
            opts=child,
        )
        # MWAA's scheduler, workers, web server and metadata endpoints talk to each other through this
        # group (required by MWAA); nothing else gets in unless a flow adds a rule.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-self-ingress",
            security_group_id=security_group.id,
            referenced_security_group_id=security_group.id,
            ip_protocol="-1",
            description="MWAA components to each other",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-self-egress",
            security_group_id=security_group.id,
            referenced_security_group_id=security_group.id,
            ip_protocol="-1",
            description="MWAA components to each other",
            opts=child,
        )
        # Workers reach AWS APIs (SQS, CloudWatch, S3, KMS) and PyPI over HTTPS through NAT or endpoints.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-egress",
            security_group_id=security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS service endpoints and package indexes (NAT)",
            opts=child,
        )

        zone_inputs = [dict(args.zone_reads), dict(args.zone_writes), args.zone_kms_key_arn]
        policy = pulumi.Output.all(account, dags.bucket_arn, dags.kms_key_arn, key.arn, *zone_inputs).apply(
            lambda v: execution_policy(
                account_id=str(v[0]),
                region=args.region,
                name=env_name,
                dag_bucket_arn=str(v[1]),
                dag_key_arn=str(v[2]),
                env_key_arn=str(v[3]),
                zone_reads=v[4],
                zone_writes=v[5],
                zone_key_arn=v[6],
            )
        )
        role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=execution_trust_policy(),
            description=f"{env_name}: MWAA execution role",
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy", role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=role)
        )
        subnets = pulumi.Output.from_input(args.private_subnet_ids).apply(_two_subnets)
        environment = aws.mwaa.Environment(
            f"{name}-environment",
            name=env_name,
            airflow_version=config.airflow_version,
            environment_class=config.environment_class,
            min_workers=config.min_workers,
            max_workers=config.max_workers,
            execution_role_arn=role.arn,
            source_bucket_arn=dags.bucket_arn,
            dag_s3_path=f"{DAGS_PREFIX}/",
            kms_key=key.arn,
            webserver_access_mode="PRIVATE_ONLY",
            endpoint_management="SERVICE",
            network_configuration={"security_group_ids": [security_group.id], "subnet_ids": subnets},
            logging_configuration=manifest(logging_configuration({str(k): v for k, v in config.log_levels.items()})),
            airflow_configuration_options={"core.load_examples": "False"},
            weekly_maintenance_window_start="SUN:03:00",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *dags.ready]),
        )
        self.arn = environment.arn
        self.webserver_url = environment.webserver_url
        self.dag_bucket_name = dags.bucket_name
        self.security_group_id = security_group.id
        self.execution_role_arn = role.arn
        self.destination = AwsDestination(
            name=f"mwaa/{env_name}",
            cidrs=tuple(args.private_subnet_cidrs[:2]),
            security_group_id=security_group.id,
        )
        self.register_outputs(
            {"arn": self.arn, "webserverUrl": self.webserver_url, "dagBucketName": self.dag_bucket_name}
        )


def _two_subnets(ids: Sequence[str]) -> list[str]:
    if len(ids) < 2:
        raise ValueError(f"MWAA needs two private subnets in two AZs; got {len(ids)}")
    return list(ids[:2])


__all__ = [
    "MwaaEnvironment",
    "MwaaEnvironmentArgs",
    "environment_name",
    "execution_policy",
    "execution_trust_policy",
    "key_policy",
    "logging_configuration",
    "validate_mwaa_args",
]
