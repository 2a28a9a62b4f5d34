"""ecr-repository-immutable-tags: a pushed tag always names the same image.

With mutable tags a push (or a compromised CI token) silently replaces what ``:1.4.2`` runs; the plan, the
inventory and a rollback would all point at something else. Creation templates count too: they set the
repositories the pull-through cache creates (ECR user guide, "Repository creation templates").
"""

from __future__ import annotations

from policies.mlops.ecr._types import CREATION_TEMPLATE, REPOSITORY
from policies.mlops.props import known, present
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    if not present(resource.props, "imageTagMutability"):
        report("imageTagMutability is not set (ECR's default is MUTABLE)")
        return
    value = known(resource.props, "imageTagMutability")
    if isinstance(value, str) and value != "IMMUTABLE":
        report(f"imageTagMutability is {value!r}, not 'IMMUTABLE'")


RULE = resource_rule(
    name="ecr-repository-immutable-tags",
    description="ECR repositories (and creation templates) make tags immutable.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set image_tag_mutability='IMMUTABLE' on aws.ecr.Repository / RepositoryCreationTemplate.",
    resource_types=(REPOSITORY, CREATION_TEMPLATE),
    check=_check,
)
