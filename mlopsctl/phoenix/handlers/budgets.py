"""AWS Budgets: account-level (global) like IAM, swept once, through the account's budgets.

A budget is named, not addressed by ARN, in the Budgets API; its tags are read through its ARN
(``arn:<partition>:budgets::<account>:budget/<name>``). Budgets answers a budget that is already gone with
``NotFoundException``, which the sweep's retry classifier does not know: it is translated to the generic
``ResourceNotFoundException`` so a budget deleted meanwhile counts as gone, not as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler
from mlopsctl.phoenix.handlers.iam import GLOBAL

T = TypeVar("T")


def _gone_as_not_found(fn: Callable[..., T], /, **kwargs: Any) -> T:
    try:
        return fn(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "NotFoundException":
            message = str(error.get("Message", ""))
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": message}}, exc.operation_name
            ) from exc
        raise


def budget_arn(scope: AwsScope, name: str) -> str:
    return f"arn:{scope.partition}:budgets::{scope.account}:budget/{name}"


def collect_budgets(scope: AwsScope) -> Iterator[Found]:
    budgets = scope.client("budgets")
    for budget in pages(budgets, "describe_budgets", "Budgets", AccountId=scope.account):
        name = budget["BudgetName"]
        found = _gone_as_not_found(budgets.list_tags_for_resource, ResourceARN=budget_arn(scope, name))
        yield Found(
            kind="budgets:budget",
            id=name,
            region=GLOBAL,
            tags=tag_dict(found.get("ResourceTags")),
            name=name,
        )


def delete_budget(scope: AwsScope, found: Found) -> None:
    _gone_as_not_found(scope.client("budgets").delete_budget, AccountId=scope.account, BudgetName=found.id)


BUDGETS = Handler("budgets:budget", collect_budgets, delete_budget, scope="global")
