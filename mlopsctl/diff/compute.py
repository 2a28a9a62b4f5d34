"""Diff two plans of one stack: created, deleted, updated, replaced, renamed/moved and unchanged resources."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from mlopsctl.diff.components import ComponentResolver, Node, component_edges
from mlopsctl.diff.images_delta import image_delta
from mlopsctl.diff.model import KIND_ORDER, ChangeKind, Diff, DiffError, ResourceChange
from mlopsctl.diff.paths import parse_path
from mlopsctl.diff.plan_doc import Plan, PlanResource
from mlopsctl.diff.policy_delta import policy_delta
from mlopsctl.diff.propdiff import diff_inputs
from mlopsctl.diff.urns import ROOT_STACK_TYPE


def _canonical(inputs: Mapping[str, Any]) -> str:
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _substitute(value: Any, urns: Mapping[str, str]) -> Any:
    """Rewrite references (URN strings) to renamed resources so they do not show up as changes."""
    if isinstance(value, str):
        return urns.get(value, value)
    if isinstance(value, dict):
        return {k: _substitute(v, urns) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, urns) for v in value]
    return value


def _pair_unique(
    base: Iterable[PlanResource], head: Iterable[PlanResource], key: Callable[[PlanResource], Hashable]
) -> dict[str, str]:
    """Pair BASE-only and HEAD-only resources whose `key` matches exactly one resource on each side."""
    by_base: dict[Hashable, list[str]] = {}
    by_head: dict[Hashable, list[str]] = {}
    for r in base:
        by_base.setdefault(key(r), []).append(r.urn)
    for r in head:
        by_head.setdefault(key(r), []).append(r.urn)
    return {b[0]: by_head[k][0] for k, b in by_base.items() if len(b) == 1 and len(by_head.get(k, ())) == 1}


def match_moves(base: Plan, head: Plan) -> dict[str, str]:
    """BASE URN -> HEAD URN for resources that were re-parented or renamed, as aliases would carry them.

    First by (type, name): the same logical resource under a parent of another type. Then by (type,
    inputs): the same resource under a new name. Ambiguous candidates are left as delete + create.
    """
    gone = [r for u, r in base.resources.items() if u not in head.resources]
    new = [r for u, r in head.resources.items() if u not in base.resources]
    pairs = _pair_unique(gone, new, lambda r: (r.type, r.name))
    gone = [r for r in gone if r.urn not in pairs]
    taken = set(pairs.values())
    new = [r for r in new if r.urn not in taken]
    pairs.update(_pair_unique(gone, new, lambda r: (r.type, _canonical(r.inputs))))
    return pairs


def _notes(before: PlanResource, after: PlanResource, kind: ChangeKind, renamed: bool) -> tuple[str, ...]:
    notes: list[str] = []
    if renamed:
        notes.append("URN changed: keep an alias (ResourceOptions(aliases=[...])) or Pulumi deletes and re-creates it")
    elif before.parent != after.parent:
        old = before.parent.rsplit("::", 1)[-1] if before.parent else "(none)"
        new = after.parent.rsplit("::", 1)[-1] if after.parent else "(none)"
        notes.append(f"parent changed from {old} to {new}")
    if before.protect and kind is ChangeKind.REPLACE:
        notes.append("protected in BASE: Pulumi refuses to replace it until `protect` is lifted")
    return tuple(notes)


def _compare(
    before: PlanResource, after: PlanResource, component: str, urns: Mapping[str, str], renamed: bool
) -> ResourceChange | None:
    props = diff_inputs(_substitute(dict(before.inputs), urns), after.inputs, after.type)
    parent_moved = urns.get(before.parent or "", before.parent) != after.parent
    if not props and not renamed and not parent_moved:
        return None
    forced = sorted({str(parse_path(p.path)[0]) for p in props if p.forces_replacement})
    kind = ChangeKind.REPLACE if forced else ChangeKind.UPDATE if props else ChangeKind.MOVE
    return ResourceChange(
        kind=kind,
        urn=after.urn,
        type=after.type,
        name=after.name,
        component=component,
        previous_urn=before.urn if renamed else None,
        properties=tuple(props),
        replace_reasons=tuple(forced),
        notes=_notes(before, after, kind, renamed),
    )


def _whole(r: PlanResource, kind: ChangeKind, component: str) -> ResourceChange:
    notes: tuple[str, ...] = ()
    if kind is ChangeKind.DELETE and r.protect:
        notes = ("protected: Pulumi refuses to delete it until `protect` is lifted",)
    return ResourceChange(kind=kind, urn=r.urn, type=r.type, name=r.name, component=component, notes=notes)


def sort_changes(changes: Iterable[ResourceChange]) -> tuple[ResourceChange, ...]:
    """Stable order: by component, then replace/delete/create/update/move, then type, name, URN."""
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return tuple(sorted(changes, key=lambda c: (c.component, rank[c.kind], c.type, c.name, c.urn)))


def diff_plans(base: Plan, head: Plan) -> Diff:
    """Compare two plans of the same project and stack."""
    if base.stack != head.stack:
        raise DiffError(
            f"{base.origin} is stack {base.stack!r} but {head.origin} is stack {head.stack!r}: "
            "a diff compares two plans of one stack"
        )
    if base.project != head.project:
        raise DiffError(f"{base.origin} is project {base.project!r} but {head.origin} is {head.project!r}")
    nodes = [Node(r.urn, r.type, r.name, r.parent, r.custom) for plan in (head, base) for r in plan.resources.values()]
    resolver = ComponentResolver(nodes)
    moves = match_moves(base, head)
    moved_from = {h: b for b, h in moves.items()}
    changes: list[ResourceChange] = []
    unchanged: Counter[str] = Counter()
    for urn, after in head.resources.items():
        component = resolver.component_of(urn).label
        previous = urn if urn in base.resources else moved_from.get(urn)
        if previous is None:
            changes.append(_whole(after, ChangeKind.CREATE, component))
            continue
        change = _compare(base.resources[previous], after, component, moves, previous != urn)
        if change is not None:
            changes.append(change)
        elif after.type != ROOT_STACK_TYPE:
            unchanged[component] += 1
    for urn, before in base.resources.items():
        if urn not in head.resources and urn not in moves:
            changes.append(_whole(before, ChangeKind.DELETE, resolver.component_of(urn).label))
    deps: dict[str, tuple[str, ...]] = {u: r.dependencies for u, r in base.resources.items()}
    deps.update({u: r.dependencies for u, r in head.resources.items()})
    components = {resolver.component_of(c.urn) for c in changes}
    components |= {resolver.component_of(u) for u in head.resources if resolver.component_of(u).label in unchanged}
    return Diff(
        project=head.project,
        stack=head.stack,
        source="plans",
        changes=sort_changes(changes),
        unchanged=sum(unchanged.values()),
        components=tuple(sorted(components, key=lambda c: c.label)),
        unchanged_by_component=dict(sorted(unchanged.items())),
        component_edges=component_edges(deps, resolver),
        policy=policy_delta(base.violations, head.violations, moves),
        images=None if base.images is None or head.images is None else image_delta(base.images, head.images),
    )
