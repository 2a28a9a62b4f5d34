"""Stack tiers: what production rules key on, instead of an environment's name.

``mlops:tier`` is explicit in a stack file; when it is absent both the program and the policy pack derive
it the same way (:func:`effective_tier`), so renaming ``prod`` to ``production`` never switches the
production safeguards off.
"""

from __future__ import annotations

import re
from typing import Literal

Tier = Literal["production", "staging", "development", "ephemeral"]
TIERS: tuple[Tier, ...] = ("production", "staging", "development", "ephemeral")

PRODUCTION_NAMES = frozenset({"prod", "production", "prd", "live"})
"""Environment names that mean production when no tier is given."""
MAX_EXEMPTION_DAYS = 180
"""Longest a policy exemption may run: a waiver is a debt with a date, not a setting."""


def effective_tier(tier: str | None, *, environment: str, phoenix: bool) -> Tier:
    """The stack's tier: the explicit one, else ephemeral for phoenix stacks, production for production
    names, development otherwise."""
    for known in TIERS:
        if tier == known:
            return known
    if phoenix:
        return "ephemeral"
    return "production" if looks_like_production(environment) else "development"


def looks_like_production(environment: str) -> bool:
    """Whether an environment's name says production: a production name, alone or as one of its dash- or
    underscore-separated parts (``prod``, ``prod-eu``, ``eu_production``)."""
    return any(part in PRODUCTION_NAMES for part in re.split(r"[-_.]", environment.lower()))
