"""k8s-container-image-pinned: images are pinned to a digest or an explicit, non-latest tag."""

from __future__ import annotations

from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, image_problem, pod_spec
from policies.mlops.props import as_map, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.type == HELM_RELEASE:
        for path, key, value in walk(helm_values(resource.props)):
            if isinstance(value, str) and (key == "image" or key.endswith("Image")):
                problem = image_problem(value)
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
