"""`mlops:orchestrator`: Airflow on the cluster (Helm) or managed (MWAA)."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import (
    Cidr,
    Section,
    check_cidr,
)
from components.data.config import DatabaseConfig


class GitDagsConfig(Section):
    """DAGs pulled by git-sync."""

    repository: str = Field(pattern=r"^(https://|ssh://|git@)\S+$")
    branch: str = "main"
    subpath: str = "dags"
    egress_cidrs: list[Cidr] = Field(min_length=1)
    """Addresses of the git host: git-sync may reach only these (zero-trust egress through NAT)."""

    @field_validator("egress_cidrs")
    @classmethod
    def _git_host_ranges(cls, value: list[str]) -> list[str]:
        for cidr in value:
            check_cidr(cidr)
            # A git host publishes /16 or narrower ranges (GitHub's are /20-/24); 0.0.0.0/1 + 128.0.0.0/1
            # would be the whole internet in two halves.
            if ipaddress.ip_network(cidr).prefixlen < 16:
                raise ValueError(f"{cidr!r} is wider than /16; list the git host's published ranges")
        return value


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


class MwaaConfig(Section):
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


class OrchestratorConfig(Section):
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
