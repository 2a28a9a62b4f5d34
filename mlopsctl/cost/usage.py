"""Usage assumptions: ``cost/usage.yaml`` (documented defaults), overridden per stack by an optional
``cost/usage.<stack>.yaml``, like infracost's usage file.

Each file is validated on its own, so an error names the file and the key at fault::

    error: cost/usage.prod.yaml: network.natDataProcessedGb: Input should be greater than or equal to 0

Overrides merge key by key (mappings deep-merged, everything else replaced). Every field has a
default here so a partial file is valid; the documented values live in ``cost/usage.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, ValidationError

USAGE_SCHEMA = "mlops-usage/1"
USAGE_DIR = Path("cost")


class UsageError(Exception):
    """A usage file that cannot be used; the message names the file and the key (CLI exit 2)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NetworkUsage(_Section):
    natDataProcessedGb: float = Field(default=0.0, ge=0)
    """GB per month through all NAT gateways together, split evenly across them."""
    interfaceEndpointDataProcessedGb: float = Field(default=0.0, ge=0)
    """GB per month through all interface VPC endpoints together."""


class S3Usage(_Section):
    defaultGbPerBucket: float = Field(default=0.0, ge=0)
    buckets: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    """Per bucket, by the bucket resource's logical name in the plan (e.g. ``lake-raw-bucket``)."""


class LogsUsage(_Section):
    defaultIngestGbPerGroup: float = Field(default=0.0, ge=0)
    groups: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    """GB ingested per month, by the log group resource's logical name (e.g. ``network-flow-logs``)."""
    storageMonthsWithoutRetention: float = Field(default=12.0, ge=0)
    """How many months of logs a group without a retention setting is assumed to hold."""


class RdsUsage(_Section):
    backupGbPerInstance: float = Field(default=0.0, ge=0)
    """Automated backup storage per instance; free up to the instance's allocated storage."""


class WarehouseUsage(_Section):
    activeHoursPerMonth: float = Field(default=0.0, ge=0, le=744)
    """Hours per month the Redshift Serverless workgroup runs queries (billed at its base RPUs)."""


class CodeBuildUsage(_Section):
    buildMinutesPerMonth: float = Field(default=0.0, ge=0)


class SecretsUsage(_Section):
    apiCallsPerSecretPerMonth: float = Field(default=0.0, ge=0)


class LoadBalancerUsage(_Section):
    lcuPerHour: float = Field(default=0.0, ge=0)


class EcrUsage(_Section):
    gbPerRepository: float = Field(default=0.0, ge=0)


class EbsUsage(_Section):
    defaultRootVolumeGb: float = Field(default=20.0, ge=0)
    """Root volume of a node whose launch template sets no size (the EKS default is 20 GiB)."""


class Usage(_Section):
    """All usage assumptions of one stack."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str = Field(default=USAGE_SCHEMA, alias="schema")
    hoursPerMonth: float = Field(default=730.0, gt=0, le=744)
    network: NetworkUsage = Field(default_factory=NetworkUsage)
    s3: S3Usage = Field(default_factory=S3Usage)
    logs: LogsUsage = Field(default_factory=LogsUsage)
    rds: RdsUsage = Field(default_factory=RdsUsage)
    warehouse: WarehouseUsage = Field(default_factory=WarehouseUsage)
    codebuild: CodeBuildUsage = Field(default_factory=CodeBuildUsage)
    secretsManager: SecretsUsage = Field(default_factory=SecretsUsage)
    loadBalancers: LoadBalancerUsage = Field(default_factory=LoadBalancerUsage)
    ecr: EcrUsage = Field(default_factory=EcrUsage)
    ebs: EbsUsage = Field(default_factory=EbsUsage)


@dataclass(frozen=True)
class LoadedUsage:
    """The merged assumptions and the files they came from (printed with the estimate)."""

    usage: Usage
    files: tuple[str, ...]


def _problems(error: ValidationError) -> list[str]:
    out = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        out.append(f"{key}: {message}")
    return out


def validate(doc: Any, origin: str) -> Usage:
    """One usage document (a whole file or a merge of files); errors name ``origin`` and the key."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{origin}: expected a mapping at the top level, got {type(doc).__name__}")
    schema = doc.get("schema", USAGE_SCHEMA)
    if schema != USAGE_SCHEMA:
        raise UsageError(f"{origin}: schema: {schema!r}; expected {USAGE_SCHEMA!r}")
    try:
        return Usage.model_validate(doc)
    except ValidationError as exc:
        raise UsageError("\n".join(f"{origin}: {p}" for p in _problems(exc))) from None


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise UsageError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: mappings merged key by key, any other value replaced."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = merge(current, value)
        else:
            out[key] = value
    return out


def load_usage(root: Path, stack: str | None = None) -> LoadedUsage:
    """``cost/usage.yaml`` under ``root``, then ``cost/usage.<stack>.yaml`` if it exists."""
    base_path = root / USAGE_DIR / "usage.yaml"
    if not base_path.is_file():
        raise UsageError(f"{base_path}: no usage assumptions file")
    docs: list[tuple[str, Any]] = [(str(base_path), _read(base_path))]
    if stack:
        stack_path = root / USAGE_DIR / f"usage.{stack}.yaml"
        if stack_path.is_file():
            docs.append((str(stack_path), _read(stack_path)))
    merged: dict[str, Any] = {}
    for origin, doc in docs:
        validate(doc, origin)  # each file on its own first, so errors name the right file
        merged = merge(merged, doc or {})
    usage = validate(merged, " + ".join(origin for origin, _ in docs))
    return LoadedUsage(usage=usage, files=tuple(origin for origin, _ in docs))
