"""`mlops:tracking`: the MLflow tracking server."""

from __future__ import annotations

from pydantic import Field, field_validator

from components.config_base import (
    PLATFORM_NAMESPACES,
    Section,
)
from components.data.config import DatabaseConfig


class TrackingConfig(Section):
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
