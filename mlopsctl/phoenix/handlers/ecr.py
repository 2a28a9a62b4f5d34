"""ECR repositories of phoenix stacks (the team's ``mlops/pr-<n>/...`` repositories), deleted with their images.

Cache repositories the pull-through cache creates carry the tags of the stack owning the account's registry
settings (a long-lived stack, never a phoenix one), so the sweep leaves them alone like any resource without
the phoenix tags. Pull-through cache rules and creation templates take no tags: phoenix stacks do not create
them (``mlops:registry.accountSettings: false``).
"""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def collect_repositories(scope: AwsScope) -> Iterator[Found]:
    ecr = scope.client("ecr")
    for repository in pages(ecr, "describe_repositories", "repositories"):
        arn = repository["repositoryArn"]
        tags = tag_dict(ecr.list_tags_for_resource(resourceArn=arn).get("tags"))
        name = repository["repositoryName"]
        yield Found(kind="ecr:repository", id=name, region=scope.region, tags=tags, name=name)


def delete_repository(scope: AwsScope, found: Found) -> None:
    # force: a phoenix stack's repository still holds the images its PR pushed.
    scope.client("ecr").delete_repository(repositoryName=found.id, force=True)


REPOSITORIES = Handler("ecr:repository", collect_repositories, delete_repository)
"""Before ``kms:key``: repositories are encrypted with the registry key."""
