"""Container registries: where every image of the platform comes from, and its form in the stack's own ECR.

The program rewrites every image reference to its Amazon ECR pull-through-cache form
(``<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream path>:<tag>``); the tool reads those
references back (image inventory, PR diff, the ``air-gap`` deploy check, the policy pack). Both use this
one table. Standard library only.

Sources (checked 2026-12):

- Supported upstreams and their ``upstreamRegistryUrl``: ECR API reference, CreatePullThroughCacheRule
  (``public.ecr.aws``, ``registry-1.docker.io``, ``ghcr.io``, ``registry.gitlab.com``, ``registry.k8s.io``,
  ``<custom>.azurecr.io``, ``quay.io``, and other ECR registries). NVIDIA's ``nvcr.io`` is not among them.
- ``ecrRepositoryPrefix``: 2 to 30 characters, ``(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*``
  (same page); a ``/`` is implied after it.
- Docker Hub official images keep their ``library/`` namespace in the cache path (ECR user guide, "Pulling an
  image with a pull through cache rule").
- Upstreams needing credentials (Docker Hub, GitHub, GitLab, Azure): a Secrets Manager secret named
  ``ecr-pullthroughcache/...`` with keys ``username`` and ``accessToken`` (ECR user guide, "Storing your upstream
  repository credentials in an AWS Secrets Manager secret"; the service-linked role may read only that prefix).
- AWS-owned registries: the EKS add-on image registries per region (EKS user guide, "View Amazon container
  image registries for Amazon EKS add-ons").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CREDENTIALS_SECRET_PREFIX = "ecr-pullthroughcache/"
"""Secrets Manager name prefix of upstream credentials: ECR's pull-through-cache role reads only these."""

PREFIX_PATTERN = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
"""What ECR accepts as an ``ecrRepositoryPrefix`` (2 to 30 characters)."""


@dataclass(frozen=True)
class Upstream:
    """A registry the platform's images come from, and where its images live in the stack's ECR."""

    prefix: str
    """ECR repository prefix: ``<host>/<prefix>/<upstream repository>``."""
    registry: str
    """The registry as image references name it (``quay.io``; Docker Hub ``docker.io``)."""
    url: str
    """``upstreamRegistryUrl`` of the pull-through cache rule (Docker Hub: ``registry-1.docker.io``)."""
    credentials: bool
    """The upstream requires a login (an ``ecr-pullthroughcache/`` secret) to be cached."""
    kind: Literal["cache", "mirror"] = "cache"
    """``cache``: a pull-through cache rule fills ``<prefix>/`` on first pull. ``mirror``: ECR cannot cache this
    upstream, so its images are copied (by CI, ``crane copy``) into repositories the stack declares."""


UPSTREAMS: tuple[Upstream, ...] = (
    Upstream("ecr-public", "public.ecr.aws", "public.ecr.aws", credentials=False),
    Upstream("k8s", "registry.k8s.io", "registry.k8s.io", credentials=False),
    Upstream("quay", "quay.io", "quay.io", credentials=False),
    Upstream("ghcr", "ghcr.io", "ghcr.io", credentials=True),
    Upstream("docker-hub", "docker.io", "registry-1.docker.io", credentials=True),
    Upstream("gitlab", "registry.gitlab.com", "registry.gitlab.com", credentials=True),
    Upstream("mirror/nvcr", "nvcr.io", "nvcr.io", credentials=False, kind="mirror"),
)
"""Every upstream the platform knows, in the order rules and reports list them."""

UPSTREAM_BY_PREFIX = {upstream.prefix: upstream for upstream in UPSTREAMS}
UPSTREAM_BY_REGISTRY = {upstream.registry: upstream for upstream in UPSTREAMS}
CACHE_PREFIXES = tuple(u.prefix for u in UPSTREAMS if u.kind == "cache")
"""Prefixes filled by pull-through cache rules."""

TEAM_PREFIX = "mlops"
"""Repositories of the team's own images: ``mlops/<environment>/<name>`` (never under an upstream's prefix)."""

EKS_ADDON_REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-east-2": "533267051163",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ap-southeast-5": "151610086707",
    "ap-southeast-6": "333609536671",
    "ap-southeast-7": "121268973566",
    "ca-west-1": "761377655185",
    "cn-north-1": "918309763551",
    "cn-northwest-1": "961992271922",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
    "mx-central-1": "730335286997",
    "us-gov-east-1": "151742754352",
    "us-gov-west-1": "013241004608",
}
"""Regions whose EKS add-on images live in another account than :data:`EKS_ADDON_DEFAULT_ACCOUNT`."""
EKS_ADDON_DEFAULT_ACCOUNT = "602401143452"
"""The EKS add-on image registry of every other region (eu-west-1, us-east-1, ...)."""

ECR_HOST = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
"""A private ECR registry host."""


def ecr_host(account: str, region: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com`` (``.com.cn`` in the China regions)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}"


def aws_owned_accounts(region: str) -> frozenset[str]:
    """ECR accounts of AWS-owned registries whose images a cluster in ``region`` may run (EKS add-ons)."""
    return frozenset({EKS_ADDON_REGISTRY_ACCOUNTS.get(region, EKS_ADDON_DEFAULT_ACCOUNT)})


@dataclass(frozen=True)
class Reference:
    """A parsed image reference, normalized the way container runtimes resolve it."""

    registry: str
    """Host (``docker.io`` when the reference names none)."""
    repository: str
    """Path in the registry (``library/redis`` for Docker Hub official images)."""
    tag: str | None = None
    digest: str | None = None

    @property
    def image(self) -> str:
        """``registry/repository[:tag][@digest]``."""
        text = f"{self.registry}/{self.repository}" if self.registry else self.repository
        return text + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def name(self) -> str:
        """``registry/repository`` (no tag or digest): what Helm values call the repository."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository


def parse_reference(reference: str, *, registry: str | None = None) -> Reference:
    """Parse ``[registry/]repository[:tag][@digest]``; no registry named means Docker Hub (``library/`` added)."""
    name, _, digest = reference.partition("@")
    head, slash, last = name.rpartition("/")
    tag = None
    if ":" in last:
        last, tag = last.split(":", 1)
    name = f"{head}{slash}{last}"
    first, _, rest = name.partition("/")
    if registry:
        host, repository = registry.rstrip("/"), name
    elif rest and ("." in first or ":" in first or first == "localhost"):
        host, repository = first, rest
    else:
        host, repository = "docker.io", name
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        host = "docker.io"
        if "/" not in repository:
            repository = f"library/{repository}"
    return Reference(host, repository, tag or None, digest or None)


@dataclass(frozen=True)
class Origin:
    """Where an image in ECR comes from (:func:`origin`)."""

    kind: Literal["cache", "mirror", "team", "aws", "other-ecr", "not-ecr"]
    """``cache``/``mirror``: an upstream's image in this account's ECR; ``team``: the team's own repository;
    ``aws``: an AWS-owned registry (EKS add-ons); ``other-ecr``: another account's ECR; ``not-ecr``: pulled
    from outside ECR."""
    upstream: Reference | None = None
    """The upstream reference a cached or mirrored image stands for."""
    account: str | None = None
    region: str | None = None


def origin(ref: Reference, *, account: str | None = None, region: str | None = None) -> Origin:
    """Classify an image: in this account's ECR (and from which upstream), AWS-owned, or elsewhere.

    ``account``/``region``: the stack's own; None accepts any account's ECR as "own" (the tool reading a plan
    whose account it does not know is told by the host).
    """
    match = ECR_HOST.match(ref.registry)
    if match is None:
        return Origin("not-ecr")
    host_account, host_region = match.group("account"), match.group("region")
    if account is not None and host_account != account:
        kind: Literal["aws", "other-ecr"] = (
            "aws" if host_account in aws_owned_accounts(region or host_region) else "other-ecr"
        )
        return Origin(kind, account=host_account, region=host_region)
    if region is not None and host_region != region:
        return Origin("other-ecr", account=host_account, region=host_region)
    for upstream in sorted(UPSTREAMS, key=lambda u: -len(u.prefix)):
        if ref.repository.startswith(f"{upstream.prefix}/"):
            path = ref.repository[len(upstream.prefix) + 1 :]
            source = Reference(upstream.registry, path, ref.tag, ref.digest)
            return Origin(upstream.kind, source, host_account, host_region)
    if host_account in aws_owned_accounts(host_region) and account is None:
        return Origin("aws", account=host_account, region=host_region)
    return Origin("team", account=host_account, region=host_region)


def pull_through_form(ref: Reference, *, account: str, region: str) -> Reference:
    """``ref`` as pulled through this account's ECR: ``<host>/<prefix>/<path>`` with the same tag and digest.

    Raises ValueError for a registry no upstream covers (nothing can bring it into ECR). An image already in
    ECR is returned unchanged.
    """
    if ECR_HOST.match(ref.registry):
        return ref
    upstream = UPSTREAM_BY_REGISTRY.get(ref.registry)
    if upstream is None:
        known = ", ".join(u.registry for u in UPSTREAMS)
        raise ValueError(f"image {ref.image!r}: registry {ref.registry!r} has no ECR upstream; known: {known}")
    return Reference(ecr_host(account, region), f"{upstream.prefix}/{ref.repository}", ref.tag, ref.digest)


__all__ = [
    "CACHE_PREFIXES",
    "CREDENTIALS_SECRET_PREFIX",
    "ECR_HOST",
    "EKS_ADDON_DEFAULT_ACCOUNT",
    "EKS_ADDON_REGISTRY_ACCOUNTS",
    "PREFIX_PATTERN",
    "TEAM_PREFIX",
    "UPSTREAMS",
    "UPSTREAM_BY_PREFIX",
    "UPSTREAM_BY_REGISTRY",
    "Origin",
    "Reference",
    "Upstream",
    "aws_owned_accounts",
    "ecr_host",
    "origin",
    "parse_reference",
    "pull_through_form",
]
