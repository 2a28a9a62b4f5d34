"""The platform's whole configuration: one entry point that loads and validates a stack.

A stack file (``stacks/Pulumi.<stack>.yaml``) holds the ``mlops:`` keys; :func:`parse_config` turns
them into one :class:`PlatformConfig` assembled from each capability's section
(``components/<capability>/config.py``). Every problem is reported at once, each naming the stack
file, the key path (``mlops:network.cidr``) and what is allowed, so a bad stack file never yields a
traceback or a half-built platform.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.access.config import AccessConfig, plaintext_secrets
from components.access.config import check_platform as check_access
from components.cluster.autoscaling import needs_autoscaler
from components.cluster.config import ClusterConfig
from components.cluster.system_flows import AUTOSCALER_ENDPOINT_SERVICES
from components.config_base import ENVIRONMENT_PATTERN, NAMESPACE, REGION_PATTERN, Section
from components.data.config import LakeConfig, StorageConfig, WarehouseConfig
from components.deploy.config import DeployConfig
from components.network.config import NetworkConfig
from components.observability.agents import DCGM_INSTANCE_TYPES
from components.observability.config import BudgetConfig, ObservabilityConfig
from components.orchestration.config import OrchestratorConfig
from components.registry.config import RegistryConfig
from components.tracking.config import TrackingConfig
from contracts import tags as tag_keys
from contracts.duration import parse_ttl, parse_utc
from contracts.errors import ConfigError
from contracts.secrets import is_credential_key
from contracts.stackfile import echo, read_stack_values
from contracts.tiers import Tier, effective_tier, looks_like_production

__all__ = ["NAMESPACE", "ConfigError", "PlatformConfig", "allowed_keys", "load_stack_file", "parse_config"]


class PhoenixConfig(Section):
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

    _ttl = field_validator("ttl")(lambda v: (parse_ttl(v), v)[1])

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


class ExemptionConfig(Section):
    """A policy exemption for one resource; expired or reason-less exemptions are violations themselves."""

    id: str = Field(min_length=1)
    policy: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    """URN or logical name of the exempted resource."""
    reason: str = ""
    expires: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    """Last day the exemption applies (YYYY-MM-DD)."""


class PolicyConfig(Section):
    """Policy-pack settings of the stack."""

    exemptions: list[ExemptionConfig] = Field(default_factory=list)


class PlatformConfig(Section):
    """Everything one stack needs to build the platform."""

    stack: str
    """Stack name (not a config key: given by the engine)."""
    region: str = Field(pattern=REGION_PATTERN)
    """AWS region, from `aws:region`."""
    tier: Tier | None = None
    """Stack tier: production | staging | development | ephemeral; production rules key on it. Unset:
    ephemeral for phoenix stacks, production for the environment names prod/production, else development."""
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
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    budget: BudgetConfig | None = None
    """`mlops:budget`: the AWS Budget and the cost model's budget; absent: no budget."""
    registry: RegistryConfig = Field(default_factory=RegistryConfig)
    access: AccessConfig | None = None
    """`mlops:access`: the way in (docs/adr/0004-the-way-in.md); absent: nothing outside the cluster reaches anything."""
    phoenix: PhoenixConfig = Field(default_factory=PhoenixConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in AWS_REGIONS:
            guess = difflib.get_close_matches(value, AWS_REGIONS, n=1)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            raise ValueError(f"{echo(value)} is not an AWS region; {hint}known: {', '.join(AWS_REGIONS)}")
        return value

    @field_validator("tags")
    @classmethod
    def _aws_tag_limits(cls, value: dict[str, str]) -> dict[str, str]:
        # AWS tagging rules: at most 50 tags per resource (the platform adds up to 7 of its own), keys up
        # to 128 and values up to 256 characters, letters/digits/spaces and _.:/=+-@, no "aws:" prefix
        # (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
        if len(value) > MAX_USER_TAGS:
            raise ValueError(f"{len(value)} tags; at most {MAX_USER_TAGS} (AWS allows 50, the platform adds 7)")
        for key, text in value.items():
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {echo(key)}: the 'aws:' prefix is reserved for AWS")
            if not 1 <= len(key) <= 128 or not TAG_TEXT.fullmatch(key):
                raise ValueError(f"tag key {echo(key)}: 1-128 letters, digits, spaces and _.:/=+-@")
            if not isinstance(text, str) or len(text) > 256 or not TAG_TEXT.fullmatch(text or "x"):
                raise ValueError(
                    f"tag {echo(key)}: value {echo(text)} must be up to 256 letters, digits, spaces and _.:/=+-@"
                )
            # Tags are readable by anyone with describe permissions, and copied into bills and logs.
            if is_credential_key(key) or ACCESS_KEY_SHAPE.search(text):
                raise ValueError(f"tag {echo(key)}: looks like a credential; tags are not secret, never put one there")
        return value

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
        missing = sorted(set(self.tracking.clients) - set(self.cluster.namespaces))
        if self.tracking.enabled and missing:
            raise ValueError(
                f"tracking.clients names {missing}, which are not in cluster.namespaces {self.cluster.namespaces}"
            )
        if self.tracking.enabled and "mlflow" not in self.cluster.namespaces:
            raise ValueError("tracking.enabled needs 'mlflow' in cluster.namespaces")
        if needs_autoscaler(self.cluster):
            absent = [s for s in AUTOSCALER_ENDPOINT_SERVICES if s not in self.network.interface_endpoints]
            if absent:
                raise ValueError(
                    f"network.interfaceEndpoints lacks {absent}: the cluster autoscaler (a pool with minSize < maxSize) "
                    "calls these APIs and its pods may reach the endpoint subnets only"
                )
        if self.orchestrator.mode == "mwaa" and self.network.nat == "none":
            raise ValueError("orchestrator.mode mwaa needs network.nat single or per-az (MWAA workers need egress)")
        # deploy.runner with nat none: the runner gets its own subnets and NAT gateway (Network.runner_egress).
        if self.tier in ("staging", "development") and looks_like_production(self.environment):
            raise ValueError(
                f"tier {self.tier!r} on environment {self.environment!r}, whose name says production, would drop every "
                "production safeguard; set tier: production, or rename the environment"
            )
        if self.effective_tier == "production" and self.phoenix.enabled:
            raise ValueError("a production-tier stack cannot enable phoenix: its resources would become reapable")
        if self.tier == "ephemeral" and not self.phoenix.enabled:
            raise ValueError("tier ephemeral needs phoenix.enabled (expiry tags, reaper)")
        if self.effective_tier == "production":
            short = sorted(
                name
                for name, days in (
                    ("network.flowLogRetentionDays", self.network.flow_log_retention_days),
                    ("cluster.logRetentionDays", self.cluster.log_retention_days),
                    ("tracking.database.logRetentionDays", self.tracking.database.log_retention_days),
                    ("orchestrator.database.logRetentionDays", self.orchestrator.database.log_retention_days),
                )
                if days < PRODUCTION_MIN_LOG_DAYS
            )
            if short:
                raise ValueError(f"a production-tier stack keeps logs at least {PRODUCTION_MIN_LOG_DAYS} days: {short}")
            lifecycles = [self.lake.lifecycle, *self.lake.zone_lifecycle.values()]
            if (
                self.storage.lake
                and min(c.noncurrent_version_days for c in lifecycles) < PRODUCTION_MIN_NONCURRENT_DAYS
            ):
                raise ValueError(
                    f"a production-tier stack keeps noncurrent object versions at least {PRODUCTION_MIN_NONCURRENT_DAYS} "
                    "days (lake.lifecycle and lake.zoneLifecycle noncurrentVersionDays): they are the undo of a bad write"
                )
            unprotected = [
                name
                for name, on in (
                    ("lake.protect", self.storage.lake and not self.lake.protect),
                    ("warehouse.protect", self.storage.warehouse and not self.warehouse.protect),
                )
                if on
            ]
            if unprotected:
                raise ValueError(
                    f"a production-tier stack keeps its data protected: set {', '.join(unprotected)}: true"
                )
        if self.effective_tier == "production" and not self.observability.enabled:
            raise ValueError("a production-tier stack keeps observability.enabled (metrics, logs, alarms)")
        if self.observability.enabled and self.cluster.gpu_pool is not None:
            unscraped = sorted(set(self.cluster.gpu_pool.instance_types) - DCGM_INSTANCE_TYPES)
            if unscraped:
                raise ValueError(
                    f"cluster.gpuPool.instanceTypes {unscraped}: the CloudWatch add-on's DCGM exporter does not run "
                    "on them, so their GPUs would report no metrics"
                )
        if self.access is not None:
            check_access(
                self.access,
                region=self.region,
                nat=self.network.nat,
                tier=self.effective_tier,
                tracking_enabled=self.tracking.enabled,
                airflow_on_cluster=self.orchestrator.enabled and self.orchestrator.mode == "helm",
                kserve_enabled=self.cluster.kserve.enabled,
                interface_endpoints=self.network.interface_endpoints,
            )
        if self.phoenix.enabled and self.lake.protect:
            raise ValueError("phoenix.enabled and lake.protect cannot both be true: phoenix stacks must be destroyable")
        if self.phoenix.enabled and self.registry.account_settings:
            raise ValueError(
                "phoenix.enabled needs registry.accountSettings: false: the pull-through cache rules, templates and "
                "scanning configuration are one per account and region, owned by the long-lived stack there"
            )
        return self

    @property
    def effective_tier(self) -> Tier:
        """The explicit tier, or the one derived from phoenix and the environment name."""
        return effective_tier(self.tier, environment=self.environment, phoenix=self.phoenix.enabled)

    @property
    def required_tags(self) -> dict[str, str]:
        """Tags every taggable AWS resource carries (provider default tags)."""
        tags = {**self.tags, "owner": self.owner, "environment": self.environment, "cost-center": self.cost_center}
        if self.phoenix.enabled:
            tags.update(
                {
                    tag_keys.ENVIRONMENT: self.stack,
                    tag_keys.PHOENIX: "true",
                    tag_keys.OWNER: self.owner,
                    tag_keys.EXPIRES_AT: self.phoenix.expires_at or "unset",
                }
            )
        return tags


# Top-level keys that are not sections but plain values of PlatformConfig.
_SCALAR_KEYS = {"environment", "owner", "costCenter", "tags", "tier"}
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
        elif namespace == NAMESPACE and key in _SCALAR_KEYS | _SECTION_KEYS:
            data[key] = _decode(value) if key in _SECTION_KEYS or key == "tags" else value
        elif namespace == "aws" and key in AWS_PROVIDER_KEYS:
            continue  # read by the AWS provider itself, not by the program
        else:
            problems.append(_unknown_key(full_key))
    if "region" not in data:
        problems.append("aws:region: missing; set the AWS region of the stack, e.g. eu-west-1")
    if problems:
        raise ConfigError(source, problems)
    try:
        return PlatformConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(err) for err in exc.errors()]) from None


AWS_REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
    "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
)  # fmt: skip
"""AWS regions (aws ec2 describe-regions --all-regions, late 2026, plus GovCloud and China)."""
PRODUCTION_MIN_LOG_DAYS = 90
"""Shortest log retention in the production tier (incident investigations look back weeks)."""
PRODUCTION_MIN_NONCURRENT_DAYS = 30
"""Shortest noncurrent-version retention of lake buckets in the production tier."""
ACCESS_KEY_SHAPE = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----")
"""AWS access key ids and PEM private keys."""
MAX_USER_TAGS = 43
"""User tags per resource: AWS allows 50, the platform's own (owner, environment, cost-center and four
phoenix tags) take 7."""
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*", re.UNICODE)


AWS_PROVIDER_KEYS = frozenset(
    {
        "accessKey",
        "allowedAccountIds",
        "assumeRole",
        "assumeRoleWithWebIdentity",
        "defaultTags",
        "endpoints",
        "forbiddenAccountIds",
        "ignoreTags",
        "insecure",
        "maxRetries",
        "profile",
        "region",
        "retryMode",
        "s3UsePathStyle",
        "secretKey",
        "sharedConfigFiles",
        "sharedCredentialsFiles",
        "skipCredentialsValidation",
        "skipMetadataApiCheck",
        "skipRegionValidation",
        "skipRequestingAccountId",
        "stsRegion",
        "token",
    }
)
"""``aws:`` keys the AWS provider reads from stack config (pulumi-aws provider configuration)."""


def _unknown_key(full_key: str) -> str:
    """Why ``full_key`` is refused, with the nearest allowed key when there is a close one."""
    known = [f"{NAMESPACE}:{key}" for key in allowed_keys()] + [f"aws:{key}" for key in sorted(AWS_PROVIDER_KEYS)]
    guess = difflib.get_close_matches(full_key, known, n=1, cutoff=0.75)
    if ":" not in full_key:
        guess = guess or difflib.get_close_matches(f"{NAMESPACE}:{full_key}", known, n=1, cutoff=0.75)
        hint = f"; did you mean {guess[0]!r}?" if guess else f"; platform keys are {NAMESPACE}:<key>"
        return f"{echo(full_key)[1:-1]}: a config key without a namespace{hint}"
    namespace = full_key.partition(":")[0]
    if namespace not in (NAMESPACE, "aws"):
        hint = f"did you mean {guess[0]!r}?" if guess else f"allowed namespaces: {NAMESPACE}, aws"
        return f"{echo(full_key)[1:-1]}: unknown namespace {echo(namespace)}; {hint}"
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    allowed = ", ".join(allowed_keys()) if namespace == NAMESPACE else "the AWS provider's configuration keys"
    return f"{echo(full_key)[1:-1]}: unknown key; {hint}allowed: {allowed}"


def load_stack_file(path: Path) -> PlatformConfig:
    """Read and validate ``stacks/Pulumi.<stack>.yaml``; the stack name comes from the file name."""
    source = str(path)
    match = re.fullmatch(r"Pulumi\.(.+)\.yaml", path.name)
    if not match:
        raise ConfigError(source, ["file name must be Pulumi.<stack>.yaml"])
    values = read_stack_values(path)
    # The real engine decrypts `secure:` values before the program sees them: only the file can tell plain text.
    secrets = plaintext_secrets(values, source=source)
    if secrets:
        raise ConfigError(source, secrets)
    return parse_config(values, stack=match.group(1), source=source)


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
        message = f"{message} (got {echo(err['input'])})"
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
