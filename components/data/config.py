"""`mlops:storage`, `mlops:lake`, `mlops:warehouse`, and the database settings MLflow and Airflow share."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import (
    DNS_LABEL,
    Section,
    check_retention,
)
from contracts.stackfile import echo


class StorageConfig(Section):
    """Which governed storage layer the stack gets."""

    kind: Literal["lake", "warehouse", "both"] = "lake"
    """lake (S3 + Glue + Lake Formation + Athena), warehouse (Redshift Serverless), or both."""

    @property
    def lake(self) -> bool:
        return self.kind in ("lake", "both")

    @property
    def warehouse(self) -> bool:
        return self.kind in ("warehouse", "both")


class LifecycleConfig(Section):
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


IAM_PRINCIPAL = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+")
"""One IAM role or user (path allowed): no wildcard, no account root."""


class LakeGrantConfig(Section):
    """Lake Formation access of one principal to lake zones (catalog database, its tables, data location)."""

    principal: str = Field(pattern=IAM_PRINCIPAL.pattern)
    """IAM role or user ARN, e.g. an analysts' SSO role that queries with Athena."""
    zones: list[str] = Field(min_length=1)
    """Lake zones the principal may use."""
    access: Literal["read", "write"] = "read"
    """read: DESCRIBE the databases, SELECT/DESCRIBE their tables; write: also create, alter and drop
    tables, insert and delete, and create tables over the zone's location."""


class LakeConfig(Section):
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
            if not DNS_LABEL.match(zone):
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
            if not IAM_PRINCIPAL.fullmatch(arn):
                raise ValueError(
                    f"{echo(arn)} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>; no wildcards, "
                    "not the account root)"
                )
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


class WarehouseConfig(Section):
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


class DatabaseConfig(Section):
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
        if int(self.engine_version.split(".", 1)[0]) < 13:
            raise ValueError(f"engineVersion {self.engine_version!r}: PostgreSQL 13 or newer (e.g. '16')")
        if self.auto_minor_version_upgrade and "." in self.engine_version:
            major = self.engine_version.split(".", 1)[0]
            raise ValueError(
                f"engineVersion {self.engine_version!r} pins a minor version while autoMinorVersionUpgrade is on: "
                f"after RDS upgrades the minor, the next `pulumi up` would try to downgrade; give the major only "
                f"({major!r}) or set autoMinorVersionUpgrade: false"
            )
        return self

    _retention = field_validator("log_retention_days")(lambda v: check_retention(v))
