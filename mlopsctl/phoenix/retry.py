"""Retries with exponential backoff for AWS calls that fail for reasons that pass with time.

Two kinds pass with time: throttling (the API asks us to slow down) and dependency errors (another
resource is still being torn down, e.g. a security group whose instance is still terminating).
"Not found" means somebody (or an earlier run) already deleted it: success, which is what makes a
sweep safe to repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import ClientError

ErrorKind = Literal["throttling", "dependency", "gone", "fatal"]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
    }
)

DEPENDENCY_CODES = frozenset(
    {
        "DependencyViolation",
        "ResourceInUse",
        "ResourceInUseException",
        "DeleteConflict",
        "InvalidDBSubnetGroupStateFault",
        "InvalidDBParameterGroupState",
        "InvalidDBInstanceState",
        "InvalidIPAddress.InUse",
        "InvalidNetworkInterface.InUse",
        "IncorrectState",
        "IncorrectInstanceState",
        "ConcurrentModificationException",
        "OperationAbortedException",
        "OperationAborted",
        "BucketNotEmpty",
        "InvalidGroup.InUse",
        "InvalidStateException",
    }
)

GONE_CODES = frozenset(
    {
        "NoSuchEntity",
        "NoSuchBucket",
        "EntityNotFoundException",
        "ResourceNotFoundException",
        "ResourceNotFound",
        "DBInstanceNotFound",
        "DBSubnetGroupNotFoundFault",
        "DBParameterGroupNotFound",
        "TargetGroupNotFound",
        "LoadBalancerNotFound",
        "NotFoundException",
        "InvalidAllocationID.NotFound",
        "InvalidAssociationID.NotFound",
    }
)


def classify(error: BaseException) -> ErrorKind:
    """Sort an exception into throttling / dependency / gone / fatal by its AWS error code."""
    if not isinstance(error, ClientError):
        return "fatal"
    code = error_code(error)
    if code in THROTTLING_CODES:
        return "throttling"
    if code in DEPENDENCY_CODES:
        return "dependency"
    # EC2 spells "not found" as <Thing>.NotFound / <Thing>NotFound (InvalidVpcID.NotFound, ...).
    if code in GONE_CODES or code.endswith(("NotFound", ".NotFound", "NotFoundFault")):
        return "gone"
    return "fatal"


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError (``""`` when missing)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_text(error: BaseException) -> str:
    """A one-line description: ``Code: message`` for AWS errors, the exception text otherwise."""
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return f"{error_code(error)}: {message}".strip()
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff schedule: delay = min(base * 2**(attempt-1), cap); at most ``max_attempts`` calls.

    The defaults give about 4 minutes in total, enough for a NAT gateway or an instance to finish
    deleting in real AWS; a resource that needs longer is reported failed and the next run finishes it.
    """

    max_attempts: int = 9
    base_delay: float = 2.0
    max_delay: float = 45.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed call number ``attempt`` (1-based)."""
        return float(min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


@dataclass(frozen=True)
class Outcome:
    """The result of a retried call: ok (True also when the target was already gone), attempts, error."""

    ok: bool
    attempts: int
    gone: bool = False
    error: str | None = None
    retried_for: tuple[str, ...] = ()


def call_with_retry(
    fn: Callable[[], object],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    *,
    missing_is_done: bool = True,
) -> Outcome:
    """Call ``fn`` until it succeeds, the target is gone, a fatal error occurs, or attempts run out.

    ``missing_is_done=False`` is for listings: there a "not found" means something vanished while
    being listed, and the listing is simply run again.
    """
    retried: list[str] = []
    for attempt in range(1, policy.max_attempts + 1):
        try:
            fn()
        except Exception as exc:  # classified below; anything unknown is fatal and reported, never raised
            kind = classify(exc)
            if kind == "gone" and missing_is_done:
                return Outcome(True, attempt, gone=True, retried_for=tuple(retried))
            if kind == "fatal" or attempt == policy.max_attempts:
                return Outcome(False, attempt, error=error_text(exc), retried_for=tuple(retried))
            retried.append(error_code(exc) if isinstance(exc, ClientError) else kind)
            sleep(policy.delay(attempt))
            continue
        return Outcome(True, attempt, retried_for=tuple(retried))
    raise AssertionError("unreachable: the loop returns on its last attempt")
