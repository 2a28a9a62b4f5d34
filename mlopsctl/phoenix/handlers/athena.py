"""Athena workgroups (with their saved queries; the primary workgroup is never touched)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mlopsctl.phoenix.aws import AwsScope, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def _tags(athena: Any, arn: str) -> dict[str, str] | None:
    try:
        return tag_dict(athena.list_tags_for_resource(ResourceARN=arn).get("Tags"))
    except ClientError as exc:
        # A workgroup deleted between the listing and this call is answered with
        # InvalidRequestException "... does not exist": skip it, it is gone.
        if "not exist" in str(exc.response.get("Error", {}).get("Message", "")).lower():
            return None
        raise


def collect_athena_workgroups(scope: AwsScope) -> Iterator[Found]:
    athena = scope.client("athena")
    token: str | None = None
    while True:  # ListWorkGroups has no boto3 paginator
        page = athena.list_work_groups(**({"NextToken": token} if token else {}))
        for group in page.get("WorkGroups", []):
            name = group["Name"]
            tags = _tags(athena, scope.arn("athena", f"workgroup/{name}"))
            if tags is None:
                continue
            yield Found(
                kind="athena:workgroup",
                id=name,
                region=scope.region,
                tags=tags,
                name=name,
                protected="the account's primary workgroup" if name == "primary" else None,
            )
        token = page.get("NextToken")
        if not token:
            return


def delete_athena_workgroup(scope: AwsScope, found: Found) -> None:
    scope.client("athena").delete_work_group(WorkGroup=found.id, RecursiveDeleteOption=True)


ATHENA_WORKGROUPS = Handler("athena:workgroup", collect_athena_workgroups, delete_athena_workgroup)
