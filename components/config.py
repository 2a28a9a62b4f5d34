"""The platform's whole configuration: typed, validated, with safe defaults.

A stack file (``stacks/Pulumi.<stack>.yaml``) holds the ``mlops:`` keys; this module turns
them into one :class:`PlatformConfig`. Every problem is reported at once, each naming the
stack file, the key path (``mlops:network.cidr``) and what is allowed, so a bad stack file
never yields a traceback or a half-built platform.

Keys in stack files are camelCase (Pulumi's convention); fields here are snake_case.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

NAMESPACE = "mlops"
"""Config namespace of every platform key (``mlops:<key>``)."""

SUPPORTED_KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35")
"""EKS versions in standard support in late 2026 (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html)."""

PLATFORM_NAMESPACES = ("serving", "mlflow", "airflow", "notebooks", "monitoring")
"""Kubernetes namespaces the platform knows how to host workloads in."""

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
"""An AWS region name (``aws:region``); components validating a region argument use it too."""
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9-]{1,20}$"
"""An environment name (``mlops:environment``): the first part of resource names."""


def validate_placement(environment: str, region: str, account_id: object) -> None:
    """Reject a component argument set whose environment, region or (plain) account id is malformed."""
    if not re.match(ENVIRONMENT_PATTERN, environment):
        raise ValueError(f"environment {environment!r} must match {ENVIRONMENT_PATTERN}")
    if not re.match(REGION_PATTERN, region):
        raise ValueError(f"region {region!r} is not an AWS region (e.g. eu-west-1)")
    if isinstance(account_id, str) and not re.fullmatch(r"\d{12}", account_id):
        raise ValueError(f"account_id {account_id!r} is not a 12-digit AWS account id")


_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ConfigError(Exception):
    """A stack configuration that cannot be used; ``problems`` holds one line per bad key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class _Section(BaseModel):
    """Base of every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, validate_default=True
    )


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch retention period; allowed: {LOG_RETENTION_DAYS}")
    return days


def _check_cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid CIDR block ({exc})") from None
    if net.prefixlen == 0:
        raise ValueError(f"{value!r} opens to the whole internet; list specific CIDR blocks")
    return value


Cidr = Annotated[str, Field(description="A CIDR block such as 10.40.0.0/16")]


class PublicLoadBalancerConfig(_Section):
    """An internet-facing load balancer for the serving ingress. Off unless set; reported by the policy pack."""

    allowed_cidrs: list[Cidr] = Field(min_length=1)
    """Client CIDR blocks admitted to the public load balancer (never 0.0.0.0/0)."""

    _cidrs = field_validator("allowed_cidrs")(lambda v: [_check_cidr(c) for c in v])


class NetworkConfig(_Section):
    """The VPC: address space, availability zones, NAT and logging."""

    cidr: str = "10.40.0.0/16"
    """VPC IPv4 CIDR, a private (RFC 1918) block from /16 to /20."""
    az_count: int = Field(default=3, ge=2, le=3)
    """Availability zones used (2 or 3)."""
    nat: Literal["none", "single", "per-az"] = "single"
    """NAT gateways: none (AWS APIs only through VPC endpoints), one shared, or one per AZ."""
    flow_log_retention_days: int = 90
    """Retention of the VPC flow-log group, in days (a CloudWatch retention period)."""
    interface_endpoints: list[str] = Field(
        default_factory=lambda: ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms"]
    )
    """AWS services reached through interface endpoints (private DNS). S3 gets a gateway endpoint too; its
    interface endpoint keeps pod traffic to S3 inside the VPC CIDR, where NetworkPolicies can allow it."""
    public_load_balancer: PublicLoadBalancerConfig | None = None
    """Explicit opt-in to an internet-facing load balancer; None keeps everything internal."""

    @field_validator("cidr")
    @classmethod
    def _private_cidr(cls, value: str) -> str:
        _check_cidr(value)
        net = ipaddress.ip_network(value)
        if not isinstance(net, ipaddress.IPv4Network) or not net.is_private:
            raise ValueError(f"{value!r} must be a private IPv4 block (10/8, 172.16/12 or 192.168/16)")
        if not 16 <= net.prefixlen <= 20:
            raise ValueError(f"{value!r} has prefix /{net.prefixlen}; allowed: /16 to /20")
        return value

    _retention = field_validator("flow_log_retention_days")(lambda v: _check_retention(v))

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        required = {"ecr.api", "ecr.dkr", "s3", "sts", "logs"}
        missing = sorted(required - set(value))
        if missing:
            raise ValueError(
                f"missing {missing}: private nodes and pods cannot pull images, reach S3 or log without them"
            )
        if len(set(value)) != len(value):
            raise ValueError("duplicate service names")
        for service in value:  # the part after com.amazonaws.<region>.
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", service):
                raise ValueError(f"{service!r}: use an AWS service name like 'ecr.api'")
        return value

    @model_validator(mode="after")
    def _no_nat_needs_ec2(self) -> Self:
        if self.nat == "none" and "ec2" not in self.interface_endpoints:  # the VPC CNI assigns pod IPs via EC2
            raise ValueError("nat none needs 'ec2' in interfaceEndpoints (the VPC CNI calls the EC2 API)")
        return self


class StorageConfig(_Section):
    """Which governed storage layer the stack gets."""

    kind: Literal["lake", "warehouse", "both"] = "lake"
    """lake (S3 + Glue + Lake Formation + Athena), warehouse (Redshift Serverless), or both."""

    @property
    def lake(self) -> bool:
        return self.kind in ("lake", "both")

    @property
    def warehouse(self) -> bool:
        return self.kind in ("warehouse", "both")


class LifecycleConfig(_Section):
    """S3 lifecycle for the lake's zone buckets."""

    noncurrent_version_days: int = Field(default=30, ge=1, le=3650)
    """Days a noncurrent object version is kept."""
    infrequent_access_days: int = Field(default=30, ge=30, le=3650)
    """Days before current objects move to STANDARD_IA (S3 requires at least 30)."""
    glacier_days: int | None = Field(default=180, ge=1, le=3650)
    """Days before current objects move to GLACIER_IR; None keeps them out of Glacier."""
    abort_incomplete_upload_days: int = Field(default=7, ge=1, le=365)
    """Days after which incomplete multipart uploads are aborted."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.glacier_days is not None and self.glacier_days <= self.infrequent_access_days:
            raise ValueError(
                f"glacierDays ({self.glacier_days}) must be greater than infrequentAccessDays "
                f"({self.infrequent_access_days})"
            )
        return self


class LakeGrantConfig(_Section):
    """Lake Formation access of one principal to lake zones (catalog database, its tables, data location)."""

    principal: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/\S+$")
    """IAM role or user ARN, e.g. an analysts' SSO role that queries with Athena."""
    zones: list[str] = Field(min_length=1)
    """Lake zones the principal may use."""
    access: Literal["read", "write"] = "read"
    """read: DESCRIBE the databases, SELECT/DESCRIBE their tables; write: also create, alter and drop
    tables, insert and delete, and create tables over the zone's location."""


class LakeConfig(_Section):
    """The data lake: zones, lifecycle, catalog, governance and query limits."""

    zones: list[str] = Field(default_factory=lambda: ["raw", "curated", "ml-artifacts"], min_length=1)
    """Zone names, one bucket and Glue database each. `ml-artifacts` holds MLflow artifacts and Airflow logs."""
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    """Lifecycle rules applied to every zone bucket."""
    admins: list[str] = Field(default_factory=list)
    """IAM principal ARNs that administer Lake Formation."""
    athena_bytes_scanned_cutoff: int = Field(default=10 * 1024**3, ge=10 * 1024**2)
    """Per-query bytes-scanned cutoff of the Athena workgroup (AWS minimum: 10 MB)."""
    force_destroy: bool = False
    """Let `pulumi destroy` delete non-empty buckets (phoenix stacks)."""
    protect: bool = False
    """Protect buckets and the key from deletion (prod)."""
    zone_lifecycle: dict[str, LifecycleConfig] = Field(default_factory=dict)
    """Per-zone lifecycle overrides (zone -> lifecycle); zones not listed use `lifecycle`."""
    access_log_days: int = Field(default=365, ge=1, le=3650)
    """Days S3 server access logs are kept in the log bucket."""
    athena_results_days: int = Field(default=30, ge=1, le=3650)
    """Days Athena query results are kept in the results bucket."""
    lake_formation_settings: bool = True
    """Own the account-wide Lake Formation settings; false on stacks sharing an account with one that does."""
    grants: list[LakeGrantConfig] = Field(default_factory=list)
    """Lake Formation grants for people and applications outside the platform (the platform's own roles,
    such as Airflow's, are granted from their components' zone settings)."""

    @field_validator("zones")
    @classmethod
    def _zone_names(cls, value: list[str]) -> list[str]:
        for zone in value:
            if not _DNS_LABEL.match(zone):
                raise ValueError(f"zone {zone!r} must be lowercase letters, digits and '-' (max 32 chars)")
            if zone in ("access-logs", "athena-results"):
                raise ValueError(f"zone {zone!r} is reserved for the lake's own buckets")
        if len(set(value)) != len(value):
            raise ValueError("zone names must be unique")
        return value

    @field_validator("admins")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not arn.startswith("arn:aws:iam::"):
                raise ValueError(f"{arn!r} is not an IAM principal ARN (arn:aws:iam::<account>:role/...)")
        return value

    @model_validator(mode="after")
    def _exclusive(self) -> Self:
        if self.force_destroy and self.protect:
            raise ValueError("forceDestroy and protect cannot both be true")
        unknown = sorted(set(self.zone_lifecycle) - set(self.zones))
        if unknown:
            raise ValueError(f"zoneLifecycle names zones {unknown} that are not in zones {self.zones}")
        for index, grant in enumerate(self.grants):
            unknown = sorted(set(grant.zones) - set(self.zones))
            if unknown:
                raise ValueError(f"grants[{index}] names zones {unknown} that are not in zones {self.zones}")
        return self

    def lifecycle_for(self, zone: str) -> LifecycleConfig:
        """The lifecycle of one zone: its override if set, else the lake-wide one."""
        return self.zone_lifecycle.get(zone, self.lifecycle)


class WarehouseConfig(_Section):
    """Redshift Serverless."""

    base_capacity: int = Field(default=8, ge=8, le=1024)
    """Base capacity in RPUs (8 to 1024, a multiple of 8)."""
    max_rpu_hours_per_day: int | None = Field(default=64, ge=1)
    """Daily usage limit in RPU-hours; None for no limit."""
    admin_username: str = Field(default="warehouse_admin", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    """Admin user; its password is generated and kept by Secrets Manager."""
    protect: bool = False
    """Protect the namespace from deletion (prod)."""
    usage_limit_action: Literal["log", "emit-metric", "deactivate"] = "deactivate"
    """What Redshift does when the daily RPU-hour limit is reached (deactivate: user queries stop)."""

    @field_validator("base_capacity")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(f"{value} is not a multiple of 8")
        return value


class NodePoolConfig(_Section):
    """A managed node group."""

    instance_types: list[str] = Field(default_factory=list)
    """EC2 instance types."""
    min_size: int = Field(default=2, ge=0)
    desired_size: int = Field(default=2, ge=0)
    max_size: int = Field(default=4, ge=1)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    """Encrypted gp3 root volume size."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize ({self.min_size}) <= desiredSize ({self.desired_size}) <= maxSize ({self.max_size})"
            )
        return self


class KServeConfig(_Section):
    """Model serving with KServe (RawDeployment mode) and its dependency cert-manager."""

    enabled: bool = True
    version: str = Field(default="v0.15.2", pattern=r"^v\d+\.\d+\.\d+$")
    """KServe chart version (OCI charts kserve-crd and kserve), pinned: vX.Y.Z."""
    cert_manager_version: str = Field(default="v1.21.1", pattern=r"^v\d+\.\d+\.\d+$")
    """cert-manager chart version (https://charts.jetstack.io), pinned: vX.Y.Z."""


class ClusterConfig(_Section):
    """The EKS serving cluster."""

    version: str = "1.34"
    """Kubernetes version, one EKS supports."""
    public_access_cidrs: list[Cidr] = Field(default_factory=list)
    """Empty: private API endpoint only. Non-empty: public endpoint for these CIDRs (reported by policy)."""
    admin_principals: list[str] = Field(default_factory=list)
    """IAM principal ARNs given cluster-admin through access entries."""
    log_retention_days: int = 90
    """Retention of the control-plane log group."""
    system_pool: NodePoolConfig = Field(
        default_factory=lambda: NodePoolConfig(instance_types=["m7i.large"], min_size=2, desired_size=2, max_size=4)
    )
    """The system/CPU node pool."""
    gpu_pool: NodePoolConfig | None = None
    """Optional GPU pool (tainted nvidia.com/gpu=true:NoSchedule, scales to zero)."""
    namespaces: list[str] = Field(default_factory=lambda: ["serving", "mlflow", "airflow"])
    """Workload namespaces, from PLATFORM_NAMESPACES."""
    kserve: KServeConfig = Field(default_factory=KServeConfig)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{value!r} is not a supported EKS version; allowed: {SUPPORTED_KUBERNETES_VERSIONS}")
        return value

    _cidrs = field_validator("public_access_cidrs")(lambda v: [_check_cidr(c) for c in v])
    _retention = field_validator("log_retention_days")(lambda v: _check_retention(v))

    @field_validator("namespaces")
    @classmethod
    def _known_namespaces(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PLATFORM_NAMESPACES))
        if unknown:
            raise ValueError(f"unknown namespace(s) {unknown}; allowed: {PLATFORM_NAMESPACES}")
        return value

    @field_validator("gpu_pool")
    @classmethod
    def _gpu_types(cls, value: NodePoolConfig | None) -> NodePoolConfig | None:
        if value is not None and not value.instance_types:
            raise ValueError("a GPU pool needs instanceTypes (e.g. [g5.xlarge])")
        return value

    @field_validator("admin_principals")
    @classmethod
    def _principal_arns(cls, value: list[str]) -> list[str]:
        for arn in value:  # access entries take IAM role/user ARNs, never an assumed-role session ARN
            if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/\S+", arn):
                raise ValueError(f"{arn!r} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)")
        # EKS allows one access entry per principal: a repeat would fail the deploy half-way.
        repeated = sorted({arn for arn in value if value.count(arn) > 1})
        if repeated:
            raise ValueError(f"{repeated} listed more than once; each principal gets one access entry")
        return value

    @model_validator(mode="after")
    def _serving_prerequisites(self) -> Self:
        if not self.system_pool.instance_types or self.system_pool.min_size < 1:
            raise ValueError("systemPool needs instanceTypes and minSize >= 1 (CoreDNS and controllers run there)")
        if self.kserve.enabled and "serving" not in self.namespaces:
            raise ValueError("kserve.enabled needs 'serving' in namespaces (InferenceServices run there)")
        return self


class DatabaseConfig(_Section):
    """An RDS PostgreSQL instance (MLflow's or Airflow's metadata database)."""

    instance_class: str = Field(default="db.t4g.medium", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    engine_version: str = Field(default="16", pattern=r"^\d+(\.\d+)?$")
    """PostgreSQL major version (e.g. `16`); RDS applies minor upgrades in the maintenance window. A minor
    (`16.8`) only with `autoMinorVersionUpgrade: false`."""
    auto_minor_version_upgrade: bool = True
    """Let RDS apply minor upgrades (security fixes) in the maintenance window."""
    allocated_storage_gib: int = Field(default=20, ge=20, le=65536)
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    """Automated backups kept (at least 7 days)."""
    multi_az: bool = False
    deletion_protection: bool = False
    """Deletion protection plus a final snapshot (prod)."""
    log_retention_days: int = 90
    """Retention of the instance's PostgreSQL log group in CloudWatch (a CloudWatch retention period)."""

    @model_validator(mode="after")
    def _version_survives_upgrades(self) -> Self:
        # With a pinned minor, the first automatic minor upgrade makes the next `up` ask RDS to go back
        # down, which it refuses. The AWS provider accepts a major-only version and keeps the actual one.
        if self.auto_minor_version_upgrade and "." in self.engine_version:
            major = self.engine_version.split(".", 1)[0]
            raise ValueError(
                f"engineVersion {self.engine_version!r} pins a minor version while autoMinorVersionUpgrade is on: "
                f"after RDS upgrades the minor, the next `pulumi up` would try to downgrade; give the major only "
                f"({major!r}) or set autoMinorVersionUpgrade: false"
            )
        return self

    _retention = field_validator("log_retention_days")(lambda v: _check_retention(v))


class TrackingConfig(_Section):
    """The MLflow tracking server."""

    enabled: bool = True
    mlflow_version: str = Field(default="3.17.0", pattern=r"^\d+\.\d+\.\d+$")
    """Official MLflow image tag (ghcr.io/mlflow/mlflow:v<version>-full; the -full image, with the PostgreSQL
    driver and boto3, exists from 3.10 on: https://github.com/mlflow/mlflow/tree/master/docker). Default 3.17.0:
    the newest release whose `-full` tag is on record; check a newer one with `docker manifest inspect` first."""
    replicas: int = Field(default=1, ge=1, le=20)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    clients: list[str] = Field(default_factory=list)
    """Extra client namespaces allowed to reach MLflow (e.g. notebooks)."""

    @field_validator("clients")
    @classmethod
    def _known_clients(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(PLATFORM_NAMESPACES))
        if unknown:
            raise ValueError(f"unknown client namespace(s) {unknown}; allowed: {PLATFORM_NAMESPACES}")
        return value

    @field_validator("mlflow_version")
    @classmethod
    def _full_image(cls, value: str) -> str:
        if tuple(int(p) for p in value.split(".")) < (3, 10, 0):
            raise ValueError(f"{value!r}: MLflow >= 3.10.0 needed (the -full image with PostgreSQL and S3 support)")
        return value


class GitDagsConfig(_Section):
    """DAGs pulled by git-sync."""

    repository: str = Field(pattern=r"^(https://|ssh://|git@)\S+$")
    branch: str = "main"
    subpath: str = "dags"
    egress_cidrs: list[Cidr] = Field(min_length=1)
    """Addresses of the git host: git-sync may reach only these (zero-trust egress through NAT)."""

    _cidrs = field_validator("egress_cidrs")(lambda v: [_check_cidr(c) for c in v])


MWAA_AIRFLOW_VERSIONS = ("2.9.2", "2.10.1", "2.10.3", "2.11.0", "3.0.6")
"""Airflow versions MWAA creates environments with (botocore mwaa model, CreateEnvironment.AirflowVersion)."""

MwaaLogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
MwaaLogComponent = Literal["dagProcessing", "scheduler", "task", "webserver", "worker"]
MWAA_DEFAULT_LOG_LEVELS: dict[MwaaLogComponent, MwaaLogLevel] = {
    "dagProcessing": "WARNING",
    "scheduler": "WARNING",
    "task": "INFO",
    "webserver": "WARNING",
    "worker": "WARNING",
}
"""Task logs at INFO (what users read), the service components at WARNING (cost and noise)."""


class MwaaConfig(_Section):
    """Amazon Managed Workflows for Apache Airflow settings (mode mwaa)."""

    airflow_version: str = Field(default="2.10.3", pattern=r"^\d+\.\d+\.\d+$")
    environment_class: Literal["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"] = (
        "mw1.small"
    )
    min_workers: int = Field(default=1, ge=1)
    max_workers: int = Field(default=5, ge=1, le=25)
    log_levels: dict[MwaaLogComponent, MwaaLogLevel] = Field(default_factory=lambda: dict(MWAA_DEFAULT_LOG_LEVELS))
    """CloudWatch log level per Airflow component; components not listed log at WARNING."""

    @field_validator("airflow_version")
    @classmethod
    def _mwaa_version(cls, value: str) -> str:
        if value not in MWAA_AIRFLOW_VERSIONS:
            raise ValueError(f"{value!r} is not an Airflow version MWAA offers; allowed: {MWAA_AIRFLOW_VERSIONS}")
        return value

    @model_validator(mode="after")
    def _workers(self) -> Self:
        if self.min_workers > self.max_workers:
            raise ValueError(f"minWorkers ({self.min_workers}) > maxWorkers ({self.max_workers})")
        return self


class OrchestratorConfig(_Section):
    """Airflow: on the cluster from the official chart (helm) or managed (mwaa)."""

    enabled: bool = True
    mode: Literal["helm", "mwaa"] = "helm"
    airflow_version: str = Field(default="3.0.6", pattern=r"^\d+\.\d+\.\d+$")
    """Airflow image version for helm mode (3.x)."""
    dags_git: GitDagsConfig | None = None
    """DAGs from git-sync; None means DAGs come from the lake's S3 prefix."""
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    data_zones_read: list[str] = Field(default_factory=lambda: ["raw", "curated"])
    """Lake zones Airflow workers may read."""
    data_zones_write: list[str] = Field(default_factory=lambda: ["curated"])
    """Lake zones Airflow workers may write."""
    mwaa: MwaaConfig = Field(default_factory=MwaaConfig)

    @field_validator("airflow_version")
    @classmethod
    def _airflow3(cls, value: str) -> str:
        if not value.startswith("3."):
            raise ValueError(f"{value!r}: helm mode runs Airflow 3.x")
        return value


def duration(text: str) -> timedelta | None:
    """A duration such as ``8h``, ``90m``, ``2d`` or ``1h30m`` (units s, m, h, d, w), or None when malformed.

    The one grammar for TTLs: the stack config and ``mlopsctl phoenix --ttl`` both read it.
    """
    compact = text.strip().lower()
    if not compact or _DURATION.sub("", compact):
        return None
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(compact)))


def parse_duration(text: str) -> timedelta:
    """Parse a stack TTL (see :func:`duration`), between 10 minutes and 14 days."""
    delta = duration(text)
    if delta is None:
        raise ValueError(f"{text!r} is not a duration; use e.g. 8h, 90m, 2d or 1h30m")
    if not timedelta(minutes=10) <= delta <= timedelta(days=14):
        raise ValueError(f"{text!r} is outside 10m..14d")
    return delta


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries a UTC offset (``2026-11-23T12:00:00Z``)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{text!r} must be a UTC timestamp ending in Z or +00:00")
    return value.astimezone(UTC)


class PhoenixConfig(_Section):
    """Ephemeral per-PR environments."""

    enabled: bool = False
    """This stack is a phoenix environment: expiry tags on everything, torn down when expired."""
    ttl: str = "8h"
    """Lifetime from the last `phoenix up`."""
    expires_at: str | None = None
    """UTC expiry, set by `mlopsctl phoenix up`."""
    protected_accounts: list[str] = Field(default_factory=list)
    """AWS account ids the reaper refuses to touch."""
    protected_regions: list[str] = Field(default_factory=list)
    """Regions the reaper refuses to touch."""

    _ttl = field_validator("ttl")(lambda v: (parse_duration(v), v)[1])

    @field_validator("expires_at")
    @classmethod
    def _utc(cls, value: str | None) -> str | None:
        if value is not None:
            parse_utc(value)
        return value

    @field_validator("protected_accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            if not re.fullmatch(r"\d{12}", account):
                raise ValueError(f"{account!r} is not a 12-digit AWS account id")
        return value


class ExemptionConfig(_Section):
    """A policy exemption for one resource; expired or reason-less exemptions are violations themselves."""

    id: str = Field(min_length=1)
    policy: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    """URN or logical name of the exempted resource."""
    reason: str = ""
    expires: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    """Last day the exemption applies (YYYY-MM-DD)."""


class RunnerConfig(_Section):
    """The in-VPC deploy runner: a VPC-attached CodeBuild project registered as a GitHub Actions runner.

    It runs the Kubernetes layer of `pulumi preview/up/destroy` (the cluster API endpoint is private);
    see docs/adr/0001-deploying-a-private-cluster.md.
    """

    repository: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
    """GitHub repository (`owner/name`) whose workflow jobs the runner takes."""
    connection_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$",
    )
    """CodeConnections connection to GitHub (created and authorized once in the console); unset: the
    account's CodeBuild GitHub source credential is used."""
    compute_type: Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"] = (
        "BUILD_GENERAL1_MEDIUM"
    )
    """CodeBuild compute size (MEDIUM: 4 vCPU / 7 GB, enough for the program and Helm)."""
    image: str = Field(default="aws/codebuild/amazonlinux-x86_64-standard:5.0", min_length=1)
    """CodeBuild-managed image; it carries the AWS CLI the kubeconfig's token command needs."""
    timeout_minutes: int = Field(default=120, ge=5, le=480)
    """Build timeout: the longest job the runner takes."""
    log_retention_days: int = 90
    """Days the runner's build logs are kept."""
    extra_policy_arns: list[str] = Field(default_factory=list)
    """Managed policies added to the runner's role (e.g. access to an S3 state backend)."""
    workflows: list[str] = Field(default_factory=lambda: ["deploy", "preview", "phoenix", "e2e"], min_length=1)
    """Names of the GitHub workflows whose jobs the runner accepts (a `WORKFLOW_NAME` webhook filter): a
    new workflow file cannot borrow the deployer's role."""

    _retention = field_validator("log_retention_days")(lambda v: _check_retention(v))

    @field_validator("workflows")
    @classmethod
    def _workflow_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}", name):
                raise ValueError(f"{name!r} is not a workflow name (letters, digits, space, '.', '_', '-')")
        return value

    @field_validator("extra_policy_arns")
    @classmethod
    def _policy_arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not re.match(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/\S+$", arn):
                raise ValueError(f"{arn!r} is not an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)")
        return value


class DeployConfig(_Section):
    """Where `pulumi` runs: the AWS layer from anywhere, the Kubernetes layer from the in-VPC runner."""

    runner: RunnerConfig | None = None
    """The in-VPC deploy runner; without it nothing can reach the private cluster API (a deploy finding)."""


class PolicyConfig(_Section):
    """Policy-pack settings of the stack."""

    exemptions: list[ExemptionConfig] = Field(default_factory=list)


class PlatformConfig(_Section):
    """Everything one stack needs to build the platform."""

    stack: str
    """Stack name (not a config key: given by the engine)."""
    region: str = Field(pattern=REGION_PATTERN)
    """AWS region, from `aws:region`."""
    environment: str = Field(pattern=ENVIRONMENT_PATTERN)
    """Environment name used in resource names and tags (dev, prod, pr-42)."""
    owner: str = Field(min_length=1)
    """Owning team or person: the `owner` tag."""
    cost_center: str = Field(min_length=1)
    """The `cost-center` tag."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra tags for every taggable AWS resource."""
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    lake: LakeConfig = Field(default_factory=LakeConfig)
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    orchestrator: OrchestratorConfig = Field(default_factory=OrchestratorConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
    phoenix: PhoenixConfig = Field(default_factory=PhoenixConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        needs_artifacts = self.tracking.enabled or (self.orchestrator.enabled and self.orchestrator.mode == "helm")
        if self.storage.lake and needs_artifacts and "ml-artifacts" not in self.lake.zones:
            raise ValueError("lake.zones must include 'ml-artifacts' (MLflow artifacts and Airflow logs live there)")
        zones = set(self.lake.zones) if self.storage.lake else set()
        for key in ("data_zones_read", "data_zones_write"):
            unknown = sorted(set(getattr(self.orchestrator, key)) - zones)
            if self.orchestrator.enabled and unknown:
                raise ValueError(f"orchestrator.{to_camel(key)} names zones {unknown} that the lake does not have")
        if self.orchestrator.enabled and self.orchestrator.mode == "helm" and "airflow" not in self.cluster.namespaces:
            raise ValueError("orchestrator.mode helm needs 'airflow' in cluster.namespaces")
        if self.tracking.enabled and "mlflow" not in self.cluster.namespaces:
            raise ValueError("tracking.enabled needs 'mlflow' in cluster.namespaces")
        if self.orchestrator.mode == "mwaa" and self.network.nat == "none":
            raise ValueError("orchestrator.mode mwaa needs network.nat single or per-az (MWAA workers need egress)")
        if self.deploy.runner is not None and self.network.nat == "none":
            raise ValueError(
                "deploy.runner needs network.nat single or per-az: the runner reaches GitHub, the Pulumi backend "
                "and the chart repositories through NAT"
            )
        if self.phoenix.enabled and self.lake.protect:
            raise ValueError("phoenix.enabled and lake.protect cannot both be true: phoenix stacks must be destroyable")
        return self

    @property
    def required_tags(self) -> dict[str, str]:
        """Tags every taggable AWS resource carries (provider default tags)."""
        tags = {**self.tags, "owner": self.owner, "environment": self.environment, "cost-center": self.cost_center}
        if self.phoenix.enabled:
            tags.update(
                {
                    "mlops:environment": self.stack,
                    "mlops:phoenix": "true",
                    "mlops:owner": self.owner,
                    "mlops:expires-at": self.phoenix.expires_at or "unset",
                }
            )
        return tags


# Top-level keys that are not sections but plain values of PlatformConfig.
_SCALAR_KEYS = {"environment", "owner", "costCenter", "tags"}
_SECTION_KEYS = {
    to_camel(name) for name in PlatformConfig.model_fields if name not in ("stack", "region")
} - _SCALAR_KEYS


def allowed_keys() -> list[str]:
    """Every `mlops:` key a stack file may set."""
    return sorted(_SCALAR_KEYS | _SECTION_KEYS)


def parse_config(raw: Mapping[str, Any], *, stack: str, source: str) -> PlatformConfig:
    """Build the platform config from a stack's flat config map.

    ``raw`` maps ``namespace:key`` to values as Pulumi gives them (structured values may be JSON
    strings). ``source`` names the stack file in error messages. Raises :class:`ConfigError`
    listing every problem.
    """
    problems: list[str] = []
    data: dict[str, Any] = {"stack": stack}
    for full_key, value in sorted(raw.items()):
        namespace, _, key = full_key.partition(":")
        if full_key == "aws:region":
            data["region"] = value
        elif namespace == NAMESPACE:
            if key not in _SCALAR_KEYS | _SECTION_KEYS:
                problems.append(f"{full_key}: unknown key; allowed: {', '.join(allowed_keys())}")
                continue
            data[key] = _decode(value) if key in _SECTION_KEYS or key == "tags" else value
    if "region" not in data:
        problems.append("aws:region: missing; set the AWS region of the stack, e.g. eu-west-1")
    if problems:
        raise ConfigError(source, problems)
    try:
        return PlatformConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(err) for err in exc.errors()]) from None


def load_stack_file(path: Path) -> PlatformConfig:
    """Read and validate ``stacks/Pulumi.<stack>.yaml``; the stack name comes from the file name."""
    source = str(path)
    match = re.fullmatch(r"Pulumi\.(.+)\.yaml", path.name)
    if not match:
        raise ConfigError(source, ["file name must be Pulumi.<stack>.yaml"])
    return parse_config(read_stack_values(path), stack=match.group(1), source=source)


def read_stack_values(path: Path) -> dict[str, Any]:
    """The flat ``config:`` map of a stack file (secure values kept as their ``{secure: ...}`` mapping)."""
    source = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(source, ["stack file not found"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(source, ["config: must be a mapping of namespace:key to values"])
    values: dict[str, Any] = document.get("config") or {}
    return values


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON strings."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(err: Mapping[str, Any]) -> str:
    """One readable line for a pydantic error: key path, what was wrong, what is allowed."""
    loc = [str(part) for part in err["loc"]]
    path = _key_path(loc)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = sorted(to_camel(name) for name in parent.model_fields) if parent else []
        message = f"unknown key; allowed: {', '.join(allowed)}"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
        message = f"{message} (got {err['input']!r})"
    return f"{path}: {message}"


def _key_path(loc: list[str]) -> str:
    if not loc:
        return f"{NAMESPACE}:(top level)"
    if loc[0] == "region":
        return "aws:region"
    head, *rest = loc
    parts = [f"{NAMESPACE}:{head}"]
    for part in rest:
        parts.append(f"[{part}]" if part.isdigit() else f".{part}")
    return "".join(parts)


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    """The pydantic model class found by following ``loc`` from PlatformConfig (camelCase keys)."""
    model: type[BaseModel] = PlatformConfig
    for part in loc:
        if part.isdigit():
            continue
        fields = {to_camel(n): f for n, f in model.model_fields.items()} | dict(model.model_fields)
        field = fields.get(part)
        if field is None:
            return None
        candidates = [t for t in getattr(field.annotation, "__args__", (field.annotation,)) if isinstance(t, type)]
        nested = next((t for t in candidates if issubclass(t, BaseModel)), None)
        if nested is None:
            args = [a for c in getattr(field.annotation, "__args__", ()) for a in getattr(c, "__args__", (c,))]
            nested = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is None:
            return None
        model = nested
    return model
