"""Policy exemptions: one rule waived for one resource, with a reason and an expiry date.

Exemptions come from two places and are handled the same way:

* code: ``policies/exemptions.py`` (reviewed with the pack itself);
* stack config: ``mlops:policy: {exemptions: [{id, policy, resource, reason, expires}]}``.

An exemption applies only while it is valid: it has a reason, names a rule and a resource, and
``today <= expires`` (the expiry day is the last day it applies). Invalid or expired exemptions
never suppress anything and are reported by the ``policy-exemption-valid`` rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from contracts.tiers import MAX_EXEMPTION_DAYS

CONFIG_KEY = "mlops:policy"
"""The stack config key that holds ``{exemptions: [...]}``."""

EXEMPTION_FIELDS = ("id", "policy", "resource", "reason", "expires")

Status = Literal["active", "expired", "invalid"]

UNEXEMPTABLE = frozenset({"policy-exemption-valid"})
"""Rules no exemption can silence (the rule that polices exemptions)."""


@dataclass(frozen=True)
class Exemption:
    """One declared exemption."""

    id: str
    """Stable identifier, shown in reports (e.g. ``EX-12``)."""
    policy: str
    """Name of the waived rule (``s3-bucket-access-logging``)."""
    resource: str
    """URN of the exempted resource, or its logical name (the last URN segment)."""
    reason: str
    """Why the waiver is acceptable; required."""
    expires: date | None
    """Last day the exemption applies; ``None`` when missing or unparsable (then invalid)."""
    source: str
    """Where it was declared: ``code`` or ``stack config mlops:policy``."""
    problems: tuple[str, ...] = ()
    """Structural problems found while reading it (missing keys, bad date)."""
    malformed: bool = False
    """Not even an object: only its structural problem is worth reporting."""

    def status(self, today: date) -> Status:
        """``invalid`` (problems or no reason), ``expired`` (after ``expires``) or ``active``."""
        if self.problems or not self.reason.strip() or self.expires is None:
            return "invalid"
        if (self.expires - today).days > MAX_EXEMPTION_DAYS:
            return "invalid"  # a waiver until 2099 is a disabled rule
        if today > self.expires:
            return "expired"
        return "active"

    def matches(self, policy: str, urn: str) -> bool:
        """True when this exemption names ``policy`` and the resource ``urn`` (by URN or logical name)."""
        if policy != self.policy or not urn or policy in UNEXEMPTABLE:
            return False
        return self.resource == urn or self.resource == urn.rsplit("::", 1)[-1]

    def to_json(self, today: date) -> dict[str, Any]:
        """The exemption as listed in reports."""
        return {
            "id": self.id,
            "policy": self.policy,
            "resource": self.resource,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "source": self.source,
            "status": self.status(today),
        }


def exemption(*, id: str, policy: str, resource: str, reason: str, expires: str) -> Exemption:
    """Declare an exemption in code (``expires`` as ``YYYY-MM-DD``); bad input becomes a reported problem."""
    return _build({"id": id, "policy": policy, "resource": resource, "reason": reason, "expires": expires}, "code")


def from_stack_config(config: Mapping[str, Any]) -> tuple[Exemption, ...]:
    """Exemptions declared in the stack config ``mlops:policy`` (value as Pulumi passes it: JSON string or dict).

    Malformed input never raises: each problem is carried on an (invalid) exemption so that the
    ``policy-exemption-valid`` rule reports it with the offending key.
    """
    raw = config.get(CONFIG_KEY)
    source = f"stack config {CONFIG_KEY}"
    if raw is None:
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return (_problem(source, CONFIG_KEY, f"{CONFIG_KEY} is not a JSON/YAML object"),)
    if not isinstance(raw, Mapping):
        return (_problem(source, CONFIG_KEY, f"{CONFIG_KEY} must be an object with an 'exemptions' list"),)
    entries = raw.get("exemptions", [])
    if not isinstance(entries, list):
        return (_problem(source, CONFIG_KEY, f"{CONFIG_KEY}.exemptions must be a list"),)
    result = []
    for index, entry in enumerate(entries):
        where = f"{source}.exemptions[{index}]"
        if not isinstance(entry, Mapping):
            message = f"{where} must be an object with keys {', '.join(EXEMPTION_FIELDS)}"
            result.append(_problem(source, where, message))
            continue
        result.append(_build(entry, source, where=where))
    return tuple(result)


def _build(entry: Mapping[str, Any], source: str, *, where: str | None = None) -> Exemption:
    where = where or source
    problems: list[str] = []
    values: dict[str, str] = {}
    for key in EXEMPTION_FIELDS:
        value = entry.get(key)
        if value is None or (key != "reason" and not str(value).strip()):
            if key != "reason":  # a missing reason is its own, clearer violation
                problems.append(f"{where}: missing key '{key}'")
            value = ""
        values[key] = str(value)
    unknown = sorted(set(entry) - set(EXEMPTION_FIELDS))
    if unknown:
        problems.append(f"{where}: unknown key(s) {unknown}; allowed: {', '.join(EXEMPTION_FIELDS)}")
    expires: date | None = None
    if values["expires"]:
        try:
            expires = date.fromisoformat(values["expires"])
        except ValueError:
            problems.append(f"{where}: expires {values['expires']!r} is not a date (YYYY-MM-DD)")
    return Exemption(
        id=values["id"] or f"<unnamed {where}>",
        policy=values["policy"],
        resource=values["resource"],
        reason=values["reason"],
        expires=expires,
        source=source,
        problems=tuple(problems),
    )


def _problem(source: str, where: str, message: str) -> Exemption:
    return Exemption(
        id=f"<{where}>",
        policy="",
        resource="",
        reason="",
        expires=None,
        source=source,
        problems=(message,),
        malformed=True,
    )


def sorted_exemptions(items: Iterable[Exemption]) -> tuple[Exemption, ...]:
    """Deterministic order for reports: by id, then source."""
    return tuple(sorted(items, key=lambda e: (e.id, e.source, e.policy, e.resource)))
