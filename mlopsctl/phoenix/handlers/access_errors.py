"""Error codes of the way-in services that mean "wait for a dependent to go" or "already gone", in the shape
``mlopsctl.phoenix.retry.classify`` understands (it knows the generic codes, not these service-specific ones)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from mlopsctl.phoenix.retry import error_code

T = TypeVar("T")

IN_USE = frozenset({"TrustStoreInUse", "WAFAssociatedItemException", "HostedZoneNotEmpty"})
"""Still referenced: a listener uses the trust store, a load balancer the web ACL, records the zone."""
GONE = frozenset({"NoSuchHostedZone", "WAFNonexistentItemException"})
"""Already deleted."""


def translated(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """Call ``fn``; re-raise service-specific in-use and not-found errors as the generic codes the retry policy
    classifies (``ResourceInUse`` -> retried as a dependency, ``ResourceNotFound`` -> gone)."""
    try:
        return fn(**kwargs)
    except ClientError as exc:
        code = error_code(exc)
        if code in IN_USE or code in GONE:
            generic = "ResourceInUse" if code in IN_USE else "ResourceNotFound"
            message = str(exc.response.get("Error", {}).get("Message", code))
            raise ClientError(
                {"Error": {"Code": generic, "Message": f"{code}: {message}"}}, exc.operation_name
            ) from exc
        raise
