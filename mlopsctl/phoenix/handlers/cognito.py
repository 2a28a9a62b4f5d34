"""Cognito user pools of phoenix stacks (the people entry's pool): the domain first, then the pool (DeleteUserPool
refuses a pool that still has a domain). A pool with deletion protection is reported, never unprotected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

_PAGE = 60  # ListUserPools requires MaxResults (at most 60)
PROTECTED = "deletion protection is on: turn it off in the stack, never in the sweep"


def _cognito(scope: AwsScope) -> Any:
    return scope.client("cognito-idp")


def collect_user_pools(scope: AwsScope) -> Iterator[Found]:
    client = _cognito(scope)
    for summary in pages(client, "list_user_pools", "UserPools", MaxResults=_PAGE):
        pool = client.describe_user_pool(UserPoolId=summary["Id"])["UserPool"]
        yield Found(
            kind="cognito-idp:user-pool",
            id=pool["Id"],
            region=scope.region,
            tags=tag_dict(pool.get("UserPoolTags")),
            name=pool.get("Name", pool["Id"]),
            context={"domains": [d for d in (pool.get("Domain"), pool.get("CustomDomain")) if d]},
            protected=PROTECTED if pool.get("DeletionProtection") == "ACTIVE" else None,
        )


def delete_user_pool(scope: AwsScope, found: Found) -> None:
    client = _cognito(scope)
    for domain in found.context.get("domains", ()):
        ignore_missing(client.delete_user_pool_domain, Domain=domain, UserPoolId=found.id)
    client.delete_user_pool(UserPoolId=found.id)


USER_POOLS = Handler("cognito-idp:user-pool", collect_user_pools, delete_user_pool)
