"""`mlops:registry`: the stack's container registry (Amazon ECR): team repositories, pull-through cache, CI."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from components.config_base import Section
from contracts.registry import (
    CACHE_PREFIXES,
    CREDENTIALS_SECRET_PREFIX,
    UPSTREAM_BY_PREFIX,
    UPSTREAMS,
    parse_reference,
)

REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
"""An ECR repository name segment path (ECR CreateRepository ``repositoryName`` pattern, lowercase)."""

CREDENTIAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:"
    + re.escape(CREDENTIALS_SECRET_PREFIX)
    + r"[A-Za-z0-9/_+=.@-]+$"
)
"""What CreatePullThroughCacheRule accepts as ``credentialArn`` (ECR API reference)."""

DEFAULT_UPSTREAMS = ("ecr-public", "k8s", "quay", "ghcr", "docker-hub")
"""Cache rules created by default: every upstream the platform's own images come from, plus ECR Public."""

DEFAULT_MIRRORS = ("nvcr.io/nvidia/k8s-device-plugin", "nvcr.io/nvidia/tritonserver")
"""Images from registries ECR cannot cache that the platform references (NVIDIA's device plugin, KServe's Triton
runtime): a repository is declared for each, CI copies the pinned tags into it."""


class LifecycleConfig(Section):
    """Image expiry in the team's repositories."""

    keep_images: int = Field(default=30, ge=1, le=1000)
    """Images kept per repository; older ones expire (a running tag is re-pushed by CI if ever needed)."""
    untagged_days: int = Field(default=7, ge=1, le=365)
    """Days before untagged images (superseded build layers, failed pushes) expire."""


class CiConfig(Section):
    """The CI role that pushes the team's images: GitHub Actions through OIDC, scoped to these repositories."""

    repository: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
    """GitHub repository (`owner/name`) whose workflows may push."""
    refs: list[str] = Field(default_factory=lambda: ["refs/heads/main"], min_length=1)
    """Git refs whose workflow runs may push (token claim `sub` = `repo:<repository>:ref:<ref>`); no wildcards."""
    oidc_provider: Literal["import", "create"] = "import"
    """The account's GitHub OIDC provider (token.actions.githubusercontent.com): `import` adopts the existing one
    (the deploy workflow's role already trusts it), `create` creates it (a fresh account). Kept on destroy."""

    @field_validator("refs")
    @classmethod
    def _refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not re.fullmatch(r"refs/(heads|tags)/[A-Za-z0-9._/-]+", ref) or ".." in ref:
                raise ValueError(f"{ref!r} is not a git ref like refs/heads/main (no wildcards)")
        if len(set(value)) != len(value):
            raise ValueError("duplicate refs")
        return value


class RegistryConfig(Section):
    """Amazon ECR: the team's repositories, the pull-through cache every platform image comes through, CI."""

    repositories: list[str] = Field(default_factory=lambda: ["model-servers", "pipeline-tasks"])
    """The team's repositories, created as `mlops/<environment>/<name>`: immutable tags, scan on push, KMS."""
    upstreams: list[str] = Field(default_factory=lambda: list(DEFAULT_UPSTREAMS))
    """Pull-through cache rules (ECR prefixes): ecr-public, k8s, quay, ghcr, docker-hub, gitlab."""
    mirrors: list[str] = Field(default_factory=lambda: list(DEFAULT_MIRRORS))
    """Images of registries ECR cannot cache (nvcr.io): a repository `mirror/nvcr/<path>` each, filled by CI."""
    account_settings: bool = True
    """This stack owns the registry settings of its account and region: cache rules, their credential secrets,
    creation templates, mirror repositories, the scanning configuration. A second stack there (a phoenix stack
    next to dev) sets false and uses them."""
    credential_arns: dict[str, str] = Field(default_factory=dict)
    """Upstream prefix -> ARN of an existing `ecr-pullthroughcache/...` secret holding its login. Unset for an
    upstream that needs one: the stack creates the secret with a placeholder; put the token in it (ADR 0003)."""
    enhanced_scanning: bool = False
    """Registry scanning: false = basic scan on push; true = Amazon Inspector enhanced, continuous scanning."""
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    """Expiry in the team's repositories."""
    ci: CiConfig | None = None
    """The CI role pushing the team's images; None: no push role (nobody may push)."""

    @field_validator("repositories")
    @classmethod
    def _repositories(cls, value: list[str]) -> list[str]:
        for name in value:
            if not REPOSITORY_NAME.match(name) or len(name) > 100:
                raise ValueError(f"{name!r} is not a repository name (lowercase letters, digits, . _ - and /)")
        if len(set(value)) != len(value):
            raise ValueError("duplicate repository names")
        return value

    @field_validator("upstreams")
    @classmethod
    def _upstreams(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(CACHE_PREFIXES))
        if unknown:
            raise ValueError(f"unknown upstream(s) {unknown}; allowed: {list(CACHE_PREFIXES)}")
        if len(set(value)) != len(value):
            raise ValueError("duplicate upstreams")
        return value

    @field_validator("mirrors")
    @classmethod
    def _mirrors(cls, value: list[str]) -> list[str]:
        mirrored = {u.registry for u in UPSTREAMS if u.kind == "mirror"}
        for image in value:
            ref = parse_reference(image)
            if ref.registry not in mirrored or ref.tag or ref.digest or ref.name != image:
                raise ValueError(
                    f"{image!r}: mirrors are repositories (no tag) of registries ECR cannot cache: {sorted(mirrored)}"
                )
        if len(set(value)) != len(value):
            raise ValueError("duplicate mirrors")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        for prefix, arn in self.credential_arns.items():
            upstream = UPSTREAM_BY_PREFIX.get(prefix)
            if upstream is None or not upstream.credentials or prefix not in self.upstreams:
                needing = [p for p in self.upstreams if UPSTREAM_BY_PREFIX[p].credentials]
                raise ValueError(
                    f"credentialArns.{prefix}: not a configured upstream that needs a login; use {needing}"
                )
            if not CREDENTIAL_ARN.match(arn):
                raise ValueError(
                    f"credentialArns.{prefix}: {arn!r} is not a Secrets Manager secret ARN named "
                    f"{CREDENTIALS_SECRET_PREFIX}... (the only secrets ECR's pull-through cache may read)"
                )
        return self
