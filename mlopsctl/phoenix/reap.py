"""``phoenix reap``: expired stacks first (through the engine's state), then the tag-driven sweep.

This module decides where the run may go (account and regions against the protected lists) and
puts the two parts together into one report; the parts live in ``stacks`` and ``sweep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, caller_account, partition_of
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.settings import PHOENIX_KEY, PhoenixConfigError, PhoenixTemplate
from mlopsctl.phoenix.stacks import PhoenixWorkspace, StackAction, reap_stacks
from mlopsctl.phoenix.sweep import ResourceResult, SweepOptions, sweep


@dataclass(frozen=True)
class ReapReport:
    """Everything a reap run did or would do; rendered by :mod:`mlopsctl.phoenix.report`."""

    execute: bool
    now: datetime
    account: str
    regions: tuple[str, ...]
    stacks: tuple[StackAction, ...] = ()
    stacks_note: str | None = None
    resources: tuple[ResourceResult, ...] = ()
    duration_seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when any stack or resource could not be handled (exit code 1)."""
        return any(s.status == "failed" for s in self.stacks) or any(r.status == "failed" for r in self.resources)


@dataclass(frozen=True)
class ReapTarget:
    """Where the sweep runs: the caller's account and the regions to visit."""

    account: str
    regions: tuple[str, ...]
    partition: str = "aws"


def choose_regions(requested: Sequence[str], session_region: str | None, template: PhoenixTemplate) -> tuple[str, ...]:
    """``--region`` values, else the session's region, else the template's ``aws:region``."""
    regions = tuple(dict.fromkeys(r.strip() for r in requested if r.strip()))
    if regions:
        return regions
    fallback = session_region or template.region
    if not fallback:
        raise PhoenixConfigError(f"no region: pass --region, set AWS_REGION, or set aws:region in {template.path}")
    return (fallback,)


def check_protection(template: PhoenixTemplate, target: ReapTarget) -> None:
    """Refuse the whole run when the account or any region is on a protected list."""
    if target.account in template.protected_accounts:
        raise PhoenixConfigError(
            f"account {target.account} is listed in {PHOENIX_KEY}.protectedAccounts of {template.path}; refusing to reap"
        )
    blocked = sorted(set(target.regions) & template.protected_regions)
    if blocked:
        raise PhoenixConfigError(
            f"region(s) {', '.join(blocked)} listed in {PHOENIX_KEY}.protectedRegions of {template.path}; refusing to reap"
        )


def resolve_target(session: Any, regions: tuple[str, ...], endpoint_url: str | None) -> ReapTarget:
    """Look up the account behind the credentials (STS) for the chosen regions."""
    return ReapTarget(
        account=caller_account(session, regions[0], endpoint_url),
        regions=regions,
        partition=partition_of(session, regions[0]),
    )


@dataclass(frozen=True)
class ReapRun:
    """Inputs of one run. ``workspace`` is None when stacks cannot be reached (no Pulumi CLI); then
    ``workspace_note`` says why. ``sleep``, ``policy``, ``wrap_client`` and ``waiter_delay`` exist
    for tests (fast backoff, injected faults)."""

    template: PhoenixTemplate
    target: ReapTarget
    now: datetime
    execute: bool
    session: Any
    endpoint_url: str | None = None
    workspace: PhoenixWorkspace | None = None
    workspace_note: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    wrap_client: Callable[[str, Any], Any] | None = None
    waiter_delay: int = 15


def reap(run: ReapRun, on_result: Callable[[ResourceResult], None] | None = None) -> ReapReport:
    """Check protection, reap expired stacks, then sweep leftovers. Raises PhoenixConfigError on refusal."""
    started = time.monotonic()
    check_protection(run.template, run.target)
    stacks: list[StackAction] = []
    if run.workspace is not None:
        stacks = reap_stacks(run.workspace, run.now, execute=run.execute)
    scopes = [
        AwsScope(
            session=run.session,
            region=region,
            account=run.target.account,
            partition=run.target.partition,
            endpoint_url=run.endpoint_url,
            wrap=run.wrap_client,
            waiter_delay=run.waiter_delay,
        )
        for region in run.target.regions
    ]
    options = SweepOptions(now=run.now, execute=run.execute, policy=run.policy, sleep=run.sleep)
    resources = sweep(scopes, options, on_result)
    return ReapReport(
        execute=run.execute,
        now=run.now,
        account=run.target.account,
        regions=run.target.regions,
        stacks=tuple(stacks),
        stacks_note=run.workspace_note,
        resources=tuple(resources),
        duration_seconds=round(time.monotonic() - started, 3),
    )
