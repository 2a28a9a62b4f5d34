"""What rules know about the stack being checked: its name, its config, today's date, exemptions.

Two sources, one shape:

* Real engine (``pulumi preview --policy-pack policies``): the Pulumi CLI starts the pack with
  ``PULUMI_STACK``, ``PULUMI_PROJECT`` and ``PULUMI_CONFIG`` (the stack's whole config as JSON,
  structured values as JSON strings) in its environment - see ``constructEnv`` in
  ``sdk/go/common/resource/plugin/analyzer_plugin.go`` - and ``pulumi_policy`` loads that config
  into ``pulumi.runtime`` before every Analyze call. :func:`current` reads it from there.
* Offline (``mlopsctl``): :func:`use_context` installs a context built from the offline graph
  (stack name, stack config, the evaluation date) for the duration of one evaluation.

So environment-dependent rules (``mlops:environment``), phoenix rules (``mlops:phoenix``) and
stack-config exemptions (``mlops:policy``) behave the same in both engines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from contracts.tiers import Tier, effective_tier
from policies.mlops.exemption import Exemption, from_stack_config

ExemptedHook = Callable[[Exemption, str, str, str], None]
"""Called as ``hook(exemption, policy, urn, message)`` when an exemption suppresses a violation."""


@dataclass(frozen=True)
class StackContext:
    """The stack under evaluation."""

    stack: str
    """Stack name (``dev``, ``prod``, ``pr-42``)."""
    config: Mapping[str, Any]
    """Stack config, ``namespace:key`` -> value; structured values decoded from JSON."""
    today: date
    """The evaluation date (exemption expiry)."""
    exemptions: tuple[Exemption, ...] = ()
    """Code and stack-config exemptions."""
    on_exempted: ExemptedHook | None = field(default=None, compare=False)
    """Offline evaluator hook recording suppressed violations (unused in the real engine)."""

    @property
    def environment(self) -> str:
        """``mlops:environment`` or, when unset, the stack name."""
        value = self.config.get("mlops:environment")
        return str(value) if value else self.stack

    @property
    def tier(self) -> Tier:
        """``mlops:tier``, else derived as the program derives it (:func:`contracts.tiers.effective_tier`)."""
        explicit = self.config.get("mlops:tier")
        return effective_tier(
            explicit if isinstance(explicit, str) else None, environment=self.environment, phoenix=self.phoenix
        )

    @property
    def phoenix(self) -> bool:
        """True on phoenix (ephemeral, expiring) stacks: ``mlops:phoenix.enabled``."""
        section = self.config.get("mlops:phoenix")
        return isinstance(section, Mapping) and section.get("enabled") is True

    def active_exemption(self, policy: str, urn: str) -> Exemption | None:
        """The first valid, unexpired exemption of ``policy`` for ``urn``, if any."""
        for item in self.exemptions:
            if item.status(self.today) == "active" and item.matches(policy, urn):
                return item
        return None


def decode_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Decode structured values (JSON object/array strings) of a flat Pulumi config map."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in ("{", "["):
            with suppress(ValueError):  # a plain string may start with a brace too
                value = json.loads(value)
        result[key] = value
    return result


def build_context(
    *,
    stack: str,
    config: Mapping[str, Any],
    today: date,
    code_exemptions: tuple[Exemption, ...] = (),
    on_exempted: ExemptedHook | None = None,
) -> StackContext:
    """A context from a stack name and its raw (flat) config."""
    decoded = decode_config(config)
    return StackContext(
        stack=stack,
        config=decoded,
        today=today,
        exemptions=code_exemptions + from_stack_config(decoded),
        on_exempted=on_exempted,
    )


_OVERRIDE: ContextVar[StackContext | None] = ContextVar("mlops_policy_context", default=None)
_RUNTIME_CACHE: dict[tuple[str, str, date], StackContext] = {}


def current() -> StackContext:
    """The context of the running evaluation: the offline one if installed, else the real engine's."""
    installed = _OVERRIDE.get()
    return installed if installed is not None else _from_engine_environment()


@contextmanager
def use_context(ctx: StackContext) -> Iterator[StackContext]:
    """Install ``ctx`` for rules evaluated inside the ``with`` block (offline evaluation, tests)."""
    token = _OVERRIDE.set(ctx)
    try:
        yield ctx
    finally:
        _OVERRIDE.reset(token)


def _from_engine_environment() -> StackContext:
    # Imported lazily: code exemptions import this package's model, and the registry must stay a
    # plain module without import cycles.
    from policies.exemptions import CODE_EXEMPTIONS

    stack = os.environ.get("PULUMI_STACK", "")
    raw_config = os.environ.get("PULUMI_CONFIG", "{}")
    today = datetime.now(UTC).date()
    key = (stack, raw_config, today)
    cached = _RUNTIME_CACHE.get(key)
    if cached is None:
        try:
            config = json.loads(raw_config)
        except ValueError:
            config = {}
        cached = build_context(
            stack=stack,
            config=config if isinstance(config, dict) else {},
            today=today,
            code_exemptions=CODE_EXEMPTIONS,
        )
        _RUNTIME_CACHE.clear()
        _RUNTIME_CACHE[key] = cached
    return cached
