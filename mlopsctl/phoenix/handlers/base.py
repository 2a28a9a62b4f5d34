"""The shape every service handler has: how to list one kind of resource and how to delete one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError, WaiterError

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import EXPIRES_TAG, PHOENIX_TAG

# EC2 filters server-side on these keys, so the listing stays small in a busy account while still
# returning phoenix=false and expiry-only resources, which the report lists as kept. One call per key:
# several values in one tag-key filter are OR-ed by AWS but not by every emulator.
PHOENIX_TAG_KEYS = (PHOENIX_TAG, EXPIRES_TAG)


@dataclass(frozen=True)
class Found:
    """One listed resource.

    ``id`` is what the delete call takes (id, name or ARN); ``name`` is for people. ``context`` carries
    what the handler's delete needs besides the id (e.g. the cluster of a node group). A resource with
    ``protected`` set is never deleted, whatever its tags say; the text is the reason in the report.
    """

    kind: str
    id: str
    region: str
    tags: Mapping[str, str]
    name: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    protected: str | None = None


Collect = Callable[[AwsScope], Iterable[Found]]
Act = Callable[[AwsScope, Found], None]
Settle = Callable[[AwsScope, Sequence[Found]], None]


@dataclass(frozen=True)
class Handler:
    """How to sweep one kind. Handlers run in the order of the table in ``handlers/__init__.py``.

    ``prepare`` runs on every candidate of the kind before the first delete of that kind (e.g. revoke
    security-group rules so groups that reference each other can go). ``settle`` waits, after the
    deletes of the kind, for asynchronous deletions to finish, so the next kind does not race them.
    ``scope`` "global" kinds (IAM) are swept once, not per region.
    """

    kind: str
    collect: Collect
    delete: Act
    scope: Literal["regional", "global"] = "regional"
    prepare: Act | None = None
    settle: Settle | None = None
    done_note: str = ""


def wait_quietly(scope: AwsScope, service: str, waiter: str, **kwargs: Any) -> None:
    """Run a boto3 waiter; a timeout or failure is not an error of the sweep.

    If the deletion is still in progress, the next kind's deletes get dependency errors and retry;
    the waiter only shortens that.
    """
    try:
        scope.client(service).get_waiter(waiter).wait(
            **kwargs, WaiterConfig={"Delay": scope.waiter_delay, "MaxAttempts": scope.waiter_attempts}
        )
    except (WaiterError, ClientError):
        return


def check_batch_errors(operation: str, errors: Sequence[Mapping[str, Any]]) -> None:
    """Raise the first per-item error of a batch API (S3 DeleteObjects, EC2 DeleteVpcEndpoints)."""
    if not errors:
        return
    first = errors[0]
    error = first.get("Error", first)
    code = str(error.get("Code", "BatchItemFailed"))
    message = str(error.get("Message", ""))
    raise ClientError({"Error": {"Code": code, "Message": message}}, operation)
