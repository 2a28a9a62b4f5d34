"""k8s-container-image-pinned: images are pinned to a digest or an explicit, non-latest tag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, image_problem, pod_spec
from policies.mlops.props import as_map, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _sibling_tag(values: Mapping[str, Any], path: str, key: str) -> Any:
    """The tag a chart appends to ``<key>``: ``{image, tag}`` and ``{image, defaultVersion}`` (KServe),
    ``{fooImage, fooImageTag}`` (ModelMesh)."""
    parent: Any = values
    for part in path.split(".")[:-1]:
        parent = as_map(parent).get(part)
    block = as_map(parent)
    return (block.get("tag") or block.get("defaultVersion")) if key == "image" else block.get(f"{key}Tag")


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        values = helm_values(resource.props)
        for path, key, value in walk(values):
            if isinstance(value, str) and (key == "image" or key.endswith("Image")):
                reference = value
                tag = _sibling_tag(values, path, key) if "[" not in path else None
                if isinstance(tag, str) and tag and ":" not in value.rsplit("/", 1)[-1] and "@" not in value:
                    reference = f"{value}:{tag}"  # the chart renders "{{ image }}:{{ tag }}"
                problem = image_problem(reference)
                if problem:
                    report(f"Helm value {path}: {problem}")
            else:
                # Charts spell images as {repository, tag}; an empty tag means "the chart's
                # appVersion", which the pinned chart version fixes.
                block = as_map(value)
                if "repository" in block and block.get("tag") == "latest":
                    report(f"Helm value {path}.tag is 'latest'")
        return
    for label, container in containers(pod_spec(resource.type, resource.props)):
        image = container.get("image")
        if not isinstance(image, str) or not image:
            report(f"{label} has no image")
            continue
        problem = image_problem(image)
        if problem:
            report(f"{label}: {problem}")


RULE = resource_rule(
    name="k8s-container-image-pinned",
    description="Container images are pinned (digest or explicit tag, never 'latest' or untagged).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Reference images as registry/name:1.2.3 or registry/name@sha256:<digest>.",
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
