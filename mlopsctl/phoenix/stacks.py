"""Per-PR stack lifecycle (up, down, list, reap expired) over a small workspace interface.

The real implementation of :class:`PhoenixWorkspace` drives the Pulumi Automation API
(:mod:`mlopsctl.phoenix.automation`); tests pass a fake. Everything here is pure decision-making:
which stack, which config, which expiry, what to destroy.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from mlopsctl.phoenix.expiry import ExpiryError, expiry_after, parse_timestamp
from mlopsctl.phoenix.settings import (
    ENVIRONMENT_KEY,
    OWNER_KEY,
    PHOENIX_KEY,
    REGION_KEY,
    PhoenixConfigError,
    PhoenixTemplate,
)

_STACK_NAME = re.compile(r"^(?:.*/)?pr-(\d+)$")


class PhoenixWorkspace(Protocol):
    """What the phoenix commands need from a Pulumi backend. Stack names are short (``pr-42``)."""

    def list_stacks(self) -> list[str]:
        """Names of all stacks of this project in the current backend (may be ``org/project/name``)."""
        ...

    def create_or_select(self, stack: str) -> None:
        """Make sure the stack exists in the backend."""
        ...

    def write_config(self, stack: str, config: Mapping[str, Any]) -> None:
        """Replace the stack's whole configuration (structured values stay structured)."""
        ...

    def up(self, stack: str) -> Mapping[str, int]:
        """Run ``pulumi up``; return the resource change summary (e.g. ``{"create": 12}``)."""
        ...

    def expiry(self, stack: str) -> str | None:
        """The stack's recorded ``mlops:expires-at`` value as stored, or None if none is recorded."""
        ...

    def destroy(self, stack: str) -> Mapping[str, int]:
        """Run ``pulumi destroy``; return the resource change summary."""
        ...

    def remove(self, stack: str) -> None:
        """Remove the (empty) stack and its config from the backend."""
        ...


def stack_name(pr: int) -> str:
    """The stack name for pull request ``pr`` (``pr-42``)."""
    if pr <= 0:
        raise PhoenixConfigError(f"--pr must be a positive pull request number, got {pr}")
    return f"pr-{pr}"


def pr_number(name: str) -> int | None:
    """The PR number of a phoenix stack name (fully qualified names allowed), or None."""
    match = _STACK_NAME.match(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class UpOutcome:
    """Result of ``phoenix up``."""

    stack: str
    expires_at: str
    owner: str
    changes: Mapping[str, int]


def stack_config(template: PhoenixTemplate, *, stack: str, owner: str, expires_at: str) -> dict[str, Any]:
    """The per-PR stack's config: the template's, with environment (the stack name), owner and expiry set.

    Raises PhoenixConfigError when the template is missing, not a phoenix template, or holds secrets
    (they are encrypted for the template stack and would not decrypt under another stack's key).
    """
    check_template(template)
    config = copy.deepcopy(dict(template.config))
    phoenix = dict(config[PHOENIX_KEY])
    phoenix["enabled"] = True
    phoenix["expiresAt"] = expires_at
    config[PHOENIX_KEY] = phoenix
    config[OWNER_KEY] = owner
    config[ENVIRONMENT_KEY] = stack
    return config


def check_template(template: PhoenixTemplate) -> None:
    """Raise PhoenixConfigError unless the template can seed per-PR stacks."""
    if not template.exists:
        raise PhoenixConfigError(f"{template.path}: phoenix template not found")
    if PHOENIX_KEY not in template.config:
        raise PhoenixConfigError(f"{template.path}: no {PHOENIX_KEY} section; not a phoenix template")
    if not template.enabled:
        raise PhoenixConfigError(f"{template.path}: {PHOENIX_KEY}.enabled is false; set it to true to use phoenix")
    for key, value in template.config.items():
        if isinstance(value, dict) and "secure" in value:
            raise PhoenixConfigError(
                f"{template.path}: {key} is a secret encrypted for the template stack and cannot be copied;"
                " provide it through an ESC environment or CI secret instead"
            )


def phoenix_up(
    workspace: PhoenixWorkspace,
    template: PhoenixTemplate,
    *,
    pr: int,
    now: datetime,
    ttl: timedelta | None = None,
    owner: str | None = None,
) -> UpOutcome:
    """Create or update stack ``pr-N`` from the template, (re)setting its expiry to ``now + ttl``.

    Every push calls this again, so the expiry moves forward while the PR is active.
    """
    name = stack_name(pr)
    check_template(template)
    who = owner or template.owner
    if not who:
        raise PhoenixConfigError(f"no owner: pass --owner or set {OWNER_KEY} in {template.path}")
    region = template.region
    if region is not None and region in template.protected_regions:
        raise PhoenixConfigError(
            f"{template.path}: {REGION_KEY}={region} is listed in {PHOENIX_KEY}.protectedRegions; refusing"
        )
    expires_at = expiry_after(now, ttl or template.ttl)
    config = stack_config(template, stack=name, owner=who, expires_at=expires_at)
    workspace.create_or_select(name)
    workspace.write_config(name, config)
    changes = workspace.up(name)
    return UpOutcome(stack=name, expires_at=expires_at, owner=who, changes=dict(changes))


@dataclass(frozen=True)
class StackInfo:
    """One phoenix stack as seen in the backend."""

    name: str
    pr: int
    expires_at: str | None
    state: Literal["active", "expired", "unknown-expiry"]


def list_phoenix_stacks(workspace: PhoenixWorkspace, now: datetime) -> list[StackInfo]:
    """All ``pr-N`` stacks with their expiry, sorted by PR number."""
    infos: list[StackInfo] = []
    for name in workspace.list_stacks():
        pr = pr_number(name)
        if pr is None:
            continue
        short = f"pr-{pr}"
        raw = workspace.expiry(short)
        infos.append(StackInfo(name=short, pr=pr, expires_at=raw, state=_state(raw, now)))
    return sorted(infos, key=lambda info: info.pr)


def _state(raw: str | None, now: datetime) -> Literal["active", "expired", "unknown-expiry"]:
    if raw is None:
        return "unknown-expiry"
    try:
        moment = parse_timestamp(raw)
    except ExpiryError:
        return "unknown-expiry"
    return "active" if moment >= now else "expired"


@dataclass(frozen=True)
class StackAction:
    """What happened (or would happen) to one stack: status is destroyed/would-destroy/kept/failed."""

    name: str
    status: Literal["destroyed", "would-destroy", "kept", "failed"]
    detail: str


def phoenix_down(workspace: PhoenixWorkspace, pr: int) -> StackAction:
    """Destroy stack ``pr-N`` and remove it. A stack that does not exist is reported as kept."""
    name = stack_name(pr)
    if name not in {f"pr-{n}" for n in map(pr_number, workspace.list_stacks()) if n is not None}:
        return StackAction(name, "kept", "no such stack (already removed)")
    return _destroy(workspace, name)


def reap_stacks(
    workspace: PhoenixWorkspace,
    now: datetime,
    *,
    execute: bool,
    on_progress: Callable[[str], None] | None = None,
) -> list[StackAction]:
    """Destroy and remove every phoenix stack whose expiry is past. Unknown expiries are kept.

    One failing stack does not stop the others; its error is in the returned action.
    """
    actions: list[StackAction] = []
    for info in list_phoenix_stacks(workspace, now):
        if info.state == "active":
            actions.append(StackAction(info.name, "kept", f"expires {info.expires_at}"))
        elif info.state == "unknown-expiry":
            actions.append(StackAction(info.name, "kept", f"no parseable expiry ({info.expires_at!r})"))
        elif not execute:
            actions.append(StackAction(info.name, "would-destroy", f"expired at {info.expires_at}"))
        else:
            if on_progress:
                on_progress(f"destroying {info.name} (expired at {info.expires_at})")
            actions.append(_destroy(workspace, info.name))
    return actions


def _destroy(workspace: PhoenixWorkspace, name: str) -> StackAction:
    # Automation API failures (CommandError and friends) are reported per stack; the run goes on.
    try:
        changes = workspace.destroy(name)
        workspace.remove(name)
    except Exception as exc:
        return StackAction(name, "failed", _error_summary(str(exc)))
    deleted = changes.get("delete", 0)
    return StackAction(name, "destroyed", f"{deleted} resources deleted, stack removed")


def _error_summary(text: str) -> str:
    # Pulumi's CommandError carries the whole stderr; its last non-empty line is the actual error.
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else "unknown error"
