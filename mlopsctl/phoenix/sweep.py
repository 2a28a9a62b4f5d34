"""The sweep: list every kind in every region, keep what the safety filter does not clear, and (with
``execute``) delete the rest in dependency order, with retries, recording a status per resource."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Literal

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import EXPIRES_TAG, is_phoenix_marked, judge
from mlopsctl.phoenix.handlers import HANDLERS, Found, Handler
from mlopsctl.phoenix.retry import Outcome, RetryPolicy, call_with_retry

Status = Literal["deleted", "would-delete", "kept", "failed"]


@dataclass(frozen=True)
class ResourceResult:
    """What happened to one resource (or, with id ``*``, to the listing of one kind in one region)."""

    kind: str
    id: str
    name: str
    region: str
    status: Status
    reason: str
    expires_at: str | None = None
    attempts: int = 0
    retried_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class SweepOptions:
    """How to sweep. ``sleep`` is injectable so tests do not wait through backoff delays."""

    now: datetime
    execute: bool = False
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    handlers: Sequence[Handler] = HANDLERS


def sweep(
    scopes: Sequence[AwsScope],
    options: SweepOptions,
    on_result: Callable[[ResourceResult], None] | None = None,
) -> list[ResourceResult]:
    """Sweep the given regions (one scope each; global kinds use the first) and return every result.

    Kinds are handled one after another in table order across all regions, so a kind is only
    deleted once everything that depends on it has been. Each kind is listed just before its turn,
    which keeps the listing accurate after earlier kinds took dependents with them.
    """
    if not scopes:
        return []
    results: list[ResourceResult] = []

    def record(result: ResourceResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    for handler in options.handlers:
        for scope in scopes[:1] if handler.scope == "global" else scopes:
            _sweep_kind(handler, scope, options, record)
    return results


def _sweep_kind(
    handler: Handler, scope: AwsScope, options: SweepOptions, record: Callable[[ResourceResult], None]
) -> None:
    listed: list[Found] = []
    outcome = call_with_retry(
        lambda: listed.extend(_fresh(handler, scope)), options.policy, options.sleep, missing_is_done=False
    )
    if not outcome.ok:
        label = "global" if handler.scope == "global" else scope.region
        record(
            ResourceResult(
                handler.kind,
                "*",
                "*",
                label,
                "failed",
                f"listing failed: {outcome.error}",
                attempts=outcome.attempts,
                retried_for=outcome.retried_for,
            )
        )
        return
    candidates: list[Found] = []
    for found in listed:
        if not is_phoenix_marked(found.tags):
            continue  # not a phoenix resource at all: not even reported
        verdict = judge(found.tags, options.now)
        if verdict.eligible and found.protected:
            record(_result(found, "kept", found.protected, verdict.expires_at))
        elif not verdict.eligible:
            record(_result(found, "kept", verdict.reason, verdict.expires_at))
        elif not options.execute:
            record(_result(found, "would-delete", verdict.reason, verdict.expires_at))
        else:
            candidates.append(found)
    if not candidates:
        return
    prepared = _prepare(handler, scope, candidates, options, record)
    deleted: list[Found] = []
    for found in prepared:
        expires = found.tags.get(EXPIRES_TAG)
        done = call_with_retry(partial(handler.delete, scope, found), options.policy, options.sleep)
        if done.ok:
            deleted.append(found)
            record(_result(found, "deleted", _done_reason(handler, done), expires, done))
        else:
            record(_result(found, "failed", done.error or "unknown error", expires, done))
    if deleted and handler.settle:
        handler.settle(scope, deleted)


def _fresh(handler: Handler, scope: AwsScope) -> list[Found]:
    # Materialised inside the retried call, so a throttled page restarts the listing from the top.
    return list(handler.collect(scope))


def _prepare(
    handler: Handler,
    scope: AwsScope,
    candidates: list[Found],
    options: SweepOptions,
    record: Callable[[ResourceResult], None],
) -> list[Found]:
    prepare = handler.prepare
    if prepare is None:
        return candidates
    ready: list[Found] = []
    for found in candidates:
        outcome = call_with_retry(partial(prepare, scope, found), options.policy, options.sleep)
        if outcome.ok and not outcome.gone:
            ready.append(found)
        elif outcome.gone:
            record(_result(found, "deleted", "already gone", found.tags.get(EXPIRES_TAG), outcome))
        else:
            reason = f"preparing failed: {outcome.error}"
            record(_result(found, "failed", reason, found.tags.get(EXPIRES_TAG), outcome))
    return ready


def _done_reason(handler: Handler, outcome: Outcome) -> str:
    if outcome.gone:
        return "already gone"
    return handler.done_note or "deleted"


def _result(
    found: Found, status: Status, reason: str, expires_at: str | None, outcome: Outcome | None = None
) -> ResourceResult:
    return ResourceResult(
        kind=found.kind,
        id=found.id,
        name=found.name or found.id,
        region=found.region,
        status=status,
        reason=reason,
        expires_at=expires_at,
        attempts=outcome.attempts if outcome else 0,
        retried_for=outcome.retried_for if outcome else (),
    )
