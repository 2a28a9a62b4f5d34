"""Every image the platform runs, in its Amazon ECR form: the one function value builders call.

``pull_through("quay.io/jetstack/cert-manager-controller:v1.21.1", registry)`` returns
``<account>.dkr.ecr.<region>.amazonaws.com/quay/jetstack/cert-manager-controller:v1.21.1``: the stack's own
registry, under the prefix of the upstream's pull-through cache rule (or of its mirror repositories, for
upstreams ECR cannot cache). The upstream table lives in :mod:`contracts.registry`, shared with the tool
(inventory, PR diff, the ``air-gap`` deploy check). Pure: no resource, no Output.

A builder given ``registry=None`` keeps the upstream reference (the stack pulls from the internet); the
platform always passes :attr:`components.registry.component.ImageRegistry.base`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.config_base import REGION_PATTERN
from contracts.registry import Reference, ecr_host, origin, parse_reference, pull_through_form


@dataclass(frozen=True)
class RegistryBase:
    """The stack's own registry: images are pulled from ``<account_id>.dkr.ecr.<region>.amazonaws.com``."""

    account_id: str
    """The stack's AWS account (12 digits)."""
    region: str
    """The stack's region."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise ValueError(f"RegistryBase.account_id {self.account_id!r} is not a 12-digit AWS account id")
        if not re.match(REGION_PATTERN, self.region):
            raise ValueError(f"RegistryBase.region {self.region!r} is not an AWS region (e.g. eu-west-1)")

    @property
    def host(self) -> str:
        """``<account>.dkr.ecr.<region>.amazonaws.com``."""
        return ecr_host(self.account_id, self.region)


def _reference(reference: str, registry: RegistryBase) -> Reference:
    ref = pull_through_form(parse_reference(reference), account=registry.account_id, region=registry.region)
    if origin(ref, account=registry.account_id, region=registry.region).kind not in ("cache", "mirror", "team"):
        raise ValueError(f"image {reference!r} is in another account's or region's registry, not {registry.host}")
    return ref


def pull_through(reference: str, registry: RegistryBase | None) -> str:
    """``reference`` (``[registry/]path[:tag][@digest]``) as pulled through the stack's ECR.

    Tag and digest are kept. Docker Hub names get their implied ``library/``; an image already in the stack's
    ECR is returned as it is. ``registry=None`` returns ``reference`` unchanged. Raises ValueError for a
    registry that no pull-through cache rule or mirror covers (see :data:`contracts.registry.UPSTREAMS`).
    """
    if registry is None:
        return reference
    return _reference(reference, registry).image


def repository(name: str, registry: RegistryBase | None) -> str:
    """A repository without tag (``quay.io/jetstack/cert-manager-controller``) as pulled through the stack's ECR:
    for charts whose values split ``repository`` and ``tag``."""
    if registry is None:
        return name
    ref = parse_reference(name)
    if ref.tag or ref.digest:
        raise ValueError(f"repository {name!r} carries a tag or digest; give it separately")
    return _reference(name, registry).name


def image_values(name: str, tag: str, registry: RegistryBase | None) -> dict[str, str]:
    """``{"repository": <ECR form of name>, "tag": tag}``: the image block most charts take."""
    if not tag or tag == "latest":
        raise ValueError(f"image {name!r}: tag {tag!r} is not a pinned version")
    return {"repository": repository(name, registry), "tag": tag}


__all__ = ["RegistryBase", "image_values", "pull_through", "repository"]
