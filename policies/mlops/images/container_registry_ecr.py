"""images-container-registry-ecr: production runs images from ECR only.

An image pulled from a public registry can change or vanish upstream, is not scanned by the account, and needs
internet egress from the nodes. In the production tier every image must come from a private ECR registry in the
stack's region: the account's own (its pull-through cache, mirror or team repositories) or an AWS-owned one
(EKS add-ons). The account itself is matched by the ``air-gap`` deploy check, which knows it; a policy sees only
the reference. Other tiers: not applicable (the deploy check still reports them).
"""

from __future__ import annotations

from collections.abc import Iterator

from contracts.registry import ECR_HOST, parse_reference
from policies.mlops.kube import HELM_RELEASE, WORKLOADS, containers, helm_values, pod_spec
from policies.mlops.props import as_map, walk
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _helm_images(resource: ResourceInput) -> Iterator[tuple[str, str]]:
    """(values path, reference) of every image in a release's values: ``image: "ref"``, ``fooImage: "ref"`` and
    ``{[registry,] repository, tag}`` blocks under an image-named key (``images.airflow``, ``image``)."""
    for path, key, value in walk(helm_values(resource.props)):
        if isinstance(value, str) and (key == "image" or key.endswith("Image")):
            yield path, value
            continue
        block = as_map(value)
        repository = block.get("repository")
        if isinstance(repository, str) and repository and ("image" in path.lower() or "tag" in block):
            registry = block.get("registry")
            yield (
                f"{path}.repository",
                f"{registry}/{repository}" if isinstance(registry, str) and registry else repository,
            )


def _problem(reference: str, region: str) -> str | None:
    ref = parse_reference(reference)
    match = ECR_HOST.match(ref.registry)
    if match is None:
        return f"{reference!r} is pulled from {ref.registry}, not from ECR"
    if region and match.group("region") != region:
        return f"{reference!r} is in ECR of region {match.group('region')}, not the stack's {region}"
    return None


def _check(resource: ResourceInput, report: Report) -> None:
    if resource.stack.tier != "production":
        resource.not_applicable(f"tier {resource.stack.tier}: only the production tier must pull from ECR only")
    region = str(resource.stack.config.get("aws:region") or "")
    if resource.type == HELM_RELEASE:
        for path, reference in _helm_images(resource):
            problem = _problem(reference, region)
            if problem:
                report(f"Helm value {path}: {problem}")
        return
    for label, container in containers(pod_spec(resource.type, resource.props)):
        image = container.get("image")
        if isinstance(image, str) and image:
            problem = _problem(image, region)
            if problem:
                report(f"{label}: {problem}")


RULE = resource_rule(
    name="images-container-registry-ecr",
    description="Production-tier workloads and Helm releases pull images from ECR in the stack's region only.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Pass the registry base to the value builder (components.registry.images.pull_through) so the image is "
        "pulled through the stack's ECR pull-through cache or mirror."
    ),
    resource_types=(*WORKLOADS, HELM_RELEASE),
    check=_check,
)
