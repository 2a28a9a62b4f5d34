"""CodeBuild projects (the per-stack deploy runner): builds stopped, webhook deleted, then the project.

A running build holds network interfaces in the stack's VPC and subnets, so projects go before the network
kinds; the webhook is deleted first so GitHub stops queueing jobs for a runner that is going away (and
DeleteProject is not documented to remove the repository's webhook). The project's role, key and log group
are their own kinds, swept later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

_BATCH = 100  # BatchGetProjects takes at most 100 names
_RUNNING = "IN_PROGRESS"


def _codebuild(scope: AwsScope) -> Any:
    return scope.client("codebuild")


def collect_projects(scope: AwsScope) -> Iterator[Found]:
    codebuild = _codebuild(scope)
    names = list(pages(codebuild, "list_projects", "projects"))
    for start in range(0, len(names), _BATCH):
        for project in codebuild.batch_get_projects(names=names[start : start + _BATCH]).get("projects") or []:
            name = project["name"]
            yield Found(
                kind="codebuild:project",
                id=name,
                region=scope.region,
                # CodeBuild spells tags {"key", "value"}.
                tags=tag_dict(project.get("tags"), key="key", value="value"),
                name=name,
                context={"webhook": bool(project.get("webhook"))},
            )


def delete_project(scope: AwsScope, found: Found) -> None:
    codebuild = _codebuild(scope)
    ids = list(pages(codebuild, "list_builds_for_project", "ids", projectName=found.id))
    for start in range(0, len(ids), _BATCH):
        for build in codebuild.batch_get_builds(ids=ids[start : start + _BATCH]).get("builds") or []:
            if build.get("buildStatus") == _RUNNING:
                _stop(codebuild, build["id"])
    if found.context.get("webhook"):
        ignore_missing(codebuild.delete_webhook, projectName=found.id)
    codebuild.delete_project(name=found.id)


def _stop(codebuild: Any, build_id: str) -> None:
    """Stop a running build; one that finished meanwhile (InvalidInputException) or is gone needs nothing."""
    try:
        ignore_missing(codebuild.stop_build, id=build_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "InvalidInputException":
            raise


PROJECTS = Handler("codebuild:project", collect_projects, delete_project)
