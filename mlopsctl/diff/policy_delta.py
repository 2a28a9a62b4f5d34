"""Policy delta between BASE and HEAD: which violations a change introduces, fixes or leaves alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mlopsctl.diff.model import PolicyDelta, Violation

LEVEL_RANK = {"mandatory": 0, "remediate": 1, "advisory": 2, "disabled": 3}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def violation_order(v: Violation) -> tuple[int, int, str, str, str]:
    """Sort key: mandatory first, then by severity, policy name and resource."""
    return (LEVEL_RANK.get(v.level, 9), SEVERITY_RANK.get(v.severity, 9), v.policy, v.urn, v.message)


def policy_delta(
    base: Iterable[Violation] | None,
    head: Iterable[Violation] | None,
    renamed: Mapping[str, str] | None = None,
) -> PolicyDelta | None:
    """Compare violations by `(policy, urn)`.

    `renamed` maps BASE URNs to HEAD URNs of renamed/moved resources, so a violation that merely follows
    its resource to a new URN counts as unchanged, not as one fixed plus one new. Returns None when HEAD
    was not evaluated; a BASE without policy results counts as having none.
    """
    if head is None:
        return None
    moves = renamed or {}
    base_by_key: dict[tuple[str, str], Violation] = {}
    for v in base or ():
        base_by_key.setdefault((v.policy, moves.get(v.urn, v.urn)), v)
    head_by_key: dict[tuple[str, str], Violation] = {}
    for v in head:
        head_by_key.setdefault(v.key, v)
    new = [v for k, v in head_by_key.items() if k not in base_by_key]
    fixed = [v for k, v in base_by_key.items() if k not in head_by_key]
    unchanged = [v for k, v in head_by_key.items() if k in base_by_key]
    return PolicyDelta(
        new=tuple(sorted(new, key=violation_order)),
        fixed=tuple(sorted(fixed, key=violation_order)),
        unchanged=tuple(sorted(unchanged, key=violation_order)),
        base_evaluated=base is not None,
    )
