"""Invariant 7, images: every container image the plan runs is pinned, and all of them form an inventory.

Images come from Helm release values (``image: "repo:tag"``, ``{registry, repository, tag, digest}``,
``{image, tag}`` and ``{image, defaultVersion}`` shapes), from each known chart's defaults that values do not
override (:mod:`mlopsctl.deploy.charts`), and from every ``image`` in the spec of other Kubernetes resources
(Deployments, StatefulSets, Jobs, KServe serving runtimes...). Pinned means a digest, or a tag that is
not ``latest``; an image whose tag the chart sets counts as pinned when the chart version is.

The inventory names, for every image, where it comes from (:func:`contracts.registry.origin`): the stack's
ECR pull-through cache or mirror (with the upstream image it stands for), the team's repositories, an
AWS-owned registry, or outside ECR.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from contracts.registry import origin, parse_reference
from mlopsctl.deploy.charts import ChartFacts, DefaultImage, chart_name, facts_for
from mlopsctl.deploy.graphs import Finding, concrete, dig, release_values, short
from mlopsctl.engine import Graph, Registration

CHECK = "images"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
_TAG_KEYS = ("tag", "digest", "registry", "pullPolicy")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference, normalized the way container runtimes resolve it."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def image(self) -> str:
        """The full reference: ``registry/repository[:tag][@digest]``."""
        text = f"{self.registry}/{self.repository}" if self.registry else self.repository
        return text + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


@dataclass(frozen=True)
class ImageUse:
    """One image one resource runs."""

    ref: ImageRef
    urn: str
    source: str
    """``values <path>``, ``spec <path>``, or ``chart default (<chart> <version>)``."""
    chart_pinned: bool = False
    """The tag, when absent, comes from a pinned chart version."""

    @property
    def pinned(self) -> bool:
        """A digest, or a tag other than ``latest`` (or a pinned chart's tag)."""
        if self.ref.digest:
            return True
        if self.ref.tag:
            return self.ref.tag != "latest"
        return self.chart_pinned


def parse_image(reference: str, *, registry: str | None = None) -> ImageRef:
    """Parse ``[registry/]repository[:tag][@digest]`` (Docker Hub when no registry is named), as
    :func:`contracts.registry.parse_reference` does for the program."""
    ref = parse_reference(reference, registry=registry)
    return ImageRef(ref.registry, ref.repository, ref.tag, ref.digest)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or not concrete(value):
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) and value else None


def _with(ref: ImageRef, tag: Any, digest: Any) -> ImageRef:
    return ImageRef(ref.registry, ref.repository, _text(tag) or ref.tag, _text(digest) or ref.digest)


def value_images(values: Any, path: str = "") -> Iterator[tuple[str, ImageRef]]:
    """(values path, image) for every image shape in Helm values."""
    if isinstance(values, list):
        for position, item in enumerate(values):
            yield from value_images(item, f"{path}[{position}]")
        return
    if not isinstance(values, dict):
        return
    repository = _text(values.get("repository"))
    looks_like_image = "image" in path.rsplit(".", 1)[-1].lower() or any(k in values for k in _TAG_KEYS)
    if repository and looks_like_image:
        ref = parse_image(repository, registry=_text(values.get("registry")))
        yield path, _with(ref, values.get("tag"), values.get("digest"))
        return
    for key in sorted(values):
        value, here = values[key], f"{path}.{key}" if path else key
        image = _text(value)
        if image and (key == "image" or key.endswith("Image")):
            # {image: repo, tag: x} (KServe), {image: repo, defaultVersion: x} (KServe's explainer) and
            # {fooImage: repo, fooImageTag: x} (ModelMesh).
            tag = (values.get("tag") or values.get("defaultVersion")) if key == "image" else values.get(f"{key}Tag")
            digest = values.get("digest") if key == "image" else None
            yield here, _with(parse_image(image), tag, digest)
        elif isinstance(value, dict | list):
            yield from value_images(value, here)


def spec_images(value: Any, path: str = "spec") -> Iterator[tuple[str, ImageRef]]:
    """(path, image) for every ``image`` string under a Kubernetes object's spec (pod templates, runtimes)."""
    if isinstance(value, list):
        for position, item in enumerate(value):
            yield from spec_images(item, f"{path}[{position}]")
    elif isinstance(value, dict):
        for key in sorted(value):
            image = _text(value[key]) if key == "image" else None
            if image:
                yield f"{path}.{key}", parse_image(image)
            else:
                yield from spec_images(value[key], f"{path}.{key}")


def _default_tag(tag: str | None, facts: ChartFacts, version: str | None) -> str | None:
    if tag is None or not version:
        return None
    if "{version}" in tag:
        return tag.replace("{version}", version.removeprefix("v") if tag.startswith("v") else version)
    return tag if version == facts.read_at else None


def release_images(release: Registration) -> list[ImageUse]:
    """Images of one Helm release: from its values, then the chart defaults its values do not override."""
    values = release_values(release)
    version = _text(release.inputs.get("version"))
    chart = _text(release.inputs.get("chart")) or "?"
    facts = facts_for(chart)
    defaults = {d.values_path: d for d in facts.images} if facts is not None else {}
    uses = []
    for path, ref in value_images(values):
        default = defaults.get(path)
        if ref.tag is None and ref.digest is None and default is not None and facts is not None:
            # A repository override without a tag keeps the chart's tag for that image.
            ref = ImageRef(ref.registry, ref.repository, _default_tag(default.tag, facts, version), None)
        uses.append(ImageUse(ref, release.urn, f"values {path}", chart_pinned=bool(version)))
    overridden = {use.source.removeprefix("values ") for use in uses}
    if facts is None:
        # Unknown chart: its images cannot be listed; say so in the inventory rather than pretend.
        label = f"chart default ({chart_name(chart)} {version or 'unpinned'})"
        placeholder = ImageRef("", label, None, None)
        uses.append(
            ImageUse(placeholder, release.urn, f"{label}: chart not in mlopsctl/deploy/charts.py", bool(version))
        )
        return uses
    for default in facts.images:
        if default.values_path in overridden or not all(w.holds(values) for w in default.when):
            continue
        tag = _values_tag(values, default.values_path, default.tag_path) or _default_tag(default.tag, facts, version)
        where = f"chart default ({chart_name(chart)} {version or 'unpinned'})"
        if tag is None:
            where = f"chart default (tag from chart version {version or 'unpinned'})"
        base = parse_image(_default_repository(values, default))
        ref = ImageRef(base.registry, base.repository, tag, None)
        if any(use.ref == ref for use in uses):
            continue  # the same image as one already listed (Airflow's task pods run images.airflow's image)
        uses.append(ImageUse(ref, release.urn, where, bool(version)))
    return uses


def _default_repository(values: dict[str, Any], default: DefaultImage) -> str:
    """The repository of a chart default: from ``repository_path`` when values set it (Airflow's
    ``defaultAirflowRepository``), else the chart's own."""
    if default.repository_path:
        override = _text(dig(values, default.repository_path))
        if override:
            return override
    return default.repository


def _values_tag(values: dict[str, Any], path: str, tag_path: str | None) -> str | None:
    """A tag values set for a chart image without naming its repository (``<path>.tag``, the sibling
    ``tag`` of an ``image`` key, or the chart's ``tag_path``)."""
    candidates = [f"{path}.tag"]
    if path == "image" or path.endswith(".image"):
        candidates.append(path.removesuffix("image") + "tag")
    if tag_path:
        candidates.append(tag_path)
    return next((tag for tag in (_text(dig(values, c)) for c in candidates) if tag), None)


def image_uses(graph: Graph) -> list[ImageUse]:
    """Every image the plan runs, one entry per (resource, source)."""
    uses: list[ImageUse] = []
    for resource in graph.resources:
        if resource.type == HELM_RELEASE:
            uses += release_images(resource)
        elif resource.type.startswith("kubernetes:"):
            uses += [ImageUse(ref, resource.urn, path) for path, ref in spec_images(resource.inputs.get("spec"))]
    return uses


def check_images(graph: Graph) -> list[Finding]:
    """Images that are not pinned (no digest, and no tag or ``latest``)."""
    findings = []
    for use in image_uses(graph):
        if use.pinned:
            continue
        reason = "tag `latest`" if use.ref.tag == "latest" else "no tag or digest"
        findings.append(
            Finding(
                CHECK,
                f"{CHECK}:{short(use.urn)}:{use.ref.image}",
                use.urn,
                f"{use.ref.image} ({use.source}) is not pinned: {reason}; a re-pull may run another image. "
                "Pin a version tag or a digest.",
            )
        )
    return findings


def image_origin(ref: ImageRef) -> tuple[str, str | None]:
    """(origin kind, upstream image) of an image (:func:`contracts.registry.origin`, any account's ECR seen as the
    stack's own): ``cache``/``mirror`` name the upstream image they stand for; ``not-ecr`` is its own upstream;
    a chart default the plan cannot list is ``unknown``."""
    if not ref.registry:
        return "unknown", None
    found = origin(parse_reference(ref.image))
    if found.kind == "not-ecr":
        return found.kind, ref.image
    return found.kind, found.upstream.image if found.upstream is not None else None


def inventory(graph: Graph) -> list[dict[str, Any]]:
    """The ``deploy.images`` inventory: one entry per image, with every resource using it, where it is pulled
    from (``origin``) and the upstream image it stands for (``upstream``)."""
    grouped: dict[str, tuple[ImageRef, set[str], set[str]]] = {}
    for use in image_uses(graph):
        _, users, sources = grouped.setdefault(use.ref.image, (use.ref, set(), set()))
        users.add(use.urn)
        sources.add(use.source)
    entries = []
    for image, (ref, users, sources) in sorted(grouped.items()):
        kind, upstream = image_origin(ref)
        entries.append(
            {
                "image": image,
                "registry": ref.registry,
                "repository": ref.repository,
                "tag": ref.tag,
                "digest": ref.digest,
                "origin": kind,
                "upstream": upstream,
                "source": "; ".join(sorted(sources)),
                "usedBy": sorted(users),
            }
        )
    return entries
