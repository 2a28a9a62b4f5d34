"""Error classification and backoff."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mlopsctl.phoenix.retry import RetryPolicy, call_with_retry, classify


def aws_error(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DeleteSomething")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("Throttling", "throttling"),
        ("RequestLimitExceeded", "throttling"),
        ("SlowDown", "throttling"),
        ("DependencyViolation", "dependency"),
        ("ResourceInUseException", "dependency"),
        ("DeleteConflict", "dependency"),
        ("InvalidDBSubnetGroupStateFault", "dependency"),
        ("InvalidVpcID.NotFound", "gone"),
        ("InvalidGroup.NotFound", "gone"),
        ("NoSuchEntity", "gone"),
        ("DBInstanceNotFound", "gone"),
        ("AccessDenied", "fatal"),
        ("OperationNotPermitted", "fatal"),
    ],
)
def test_classify_by_code(code: str, kind: str) -> None:
    assert classify(aws_error(code)) == kind


def test_non_aws_errors_are_fatal() -> None:
    assert classify(ValueError("x")) == "fatal"


class Script:
    """A callable that raises the scripted errors in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def test_throttling_and_dependency_errors_are_retried_with_exponential_backoff() -> None:
    slept: list[float] = []
    fn = Script(aws_error("Throttling"), aws_error("DependencyViolation"), aws_error("Throttling"))
    outcome = call_with_retry(fn, RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0), slept.append)
    assert outcome.ok and not outcome.gone
    assert outcome.attempts == 4 == fn.calls
    assert outcome.retried_for == ("Throttling", "DependencyViolation", "Throttling")
    assert slept == [1.0, 2.0, 3.0]  # doubling, capped at max_delay


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    slept: list[float] = []
    fn = Script(*[aws_error("DependencyViolation", f"try {i}") for i in range(10)])
    outcome = call_with_retry(fn, RetryPolicy(max_attempts=3), slept.append)
    assert not outcome.ok
    assert outcome.attempts == 3 == fn.calls
    assert outcome.error == "DependencyViolation: try 2"
    assert len(slept) == 2


def test_fatal_errors_are_not_retried() -> None:
    slept: list[float] = []
    fn = Script(aws_error("AccessDenied", "no"))
    outcome = call_with_retry(fn, RetryPolicy(), slept.append)
    assert (outcome.ok, outcome.attempts, outcome.error, slept) == (False, 1, "AccessDenied: no", [])


def test_already_gone_counts_as_done() -> None:
    outcome = call_with_retry(Script(aws_error("InvalidSubnetID.NotFound")), RetryPolicy(), lambda _: None)
    assert outcome.ok and outcome.gone and outcome.attempts == 1


def test_default_policy_waits_about_four_minutes_in_total() -> None:
    policy = RetryPolicy()
    total = sum(policy.delay(attempt) for attempt in range(1, policy.max_attempts))
    assert 180 <= total <= 300


def test_listings_retry_on_not_found_instead_of_reporting_done() -> None:
    slept: list[float] = []
    fn = Script(aws_error("ResourceNotFoundException"))
    outcome = call_with_retry(fn, RetryPolicy(), slept.append, missing_is_done=False)
    assert outcome.ok and not outcome.gone
    assert outcome.attempts == 2 and outcome.retried_for == ("ResourceNotFoundException",)
