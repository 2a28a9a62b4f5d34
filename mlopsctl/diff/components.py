"""Assign each resource to its component: its top-most ancestor below the root stack.

The parent chain is followed where it is known. Where it is not (a real preview omits unchanged
resources), the URN's type chain still names the top-most ancestor's type, and its name is recovered
from the known resources of that type.

A program whose resources all sit under one top-level component (here `mlops:platform:MlopsPlatform`)
would make that wrapper the only component; the wrapper is then looked through, and its children
(Network, ServingCluster, ...) are the components, which is what a reviewer wants to see per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mlopsctl.diff.model import Component
from mlopsctl.diff.urns import ROOT_STACK_TYPE, is_root_stack, parse_urn

STACK_LABEL = "(stack)"
"""Group of resources that sit directly under the root stack without a component (providers, etc.)."""


@dataclass(frozen=True)
class Node:
    """What the resolver needs to know about one resource."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool


def _chain(urn: str) -> tuple[str, ...]:
    parsed = parse_urn(urn)
    return parsed.type_chain if parsed else ()


def wrapper_type(urns: Iterable[str]) -> str | None:
    """The type of a single top-level component that wraps every other component, if there is one."""
    chains = [c for c in (_chain(u) for u in urns) if c and c != (ROOT_STACK_TYPE,)]
    tops = {c[0] for c in chains if not c[0].startswith("pulumi:providers:")}
    if len(tops) == 1 and any(len(c) >= 3 for c in chains):
        return next(iter(tops))
    return None


class ComponentResolver:
    """Maps URNs to `Component`s; labels are the component's logical name, made unique with its type."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self._nodes: dict[str, Node] = {}
        for node in nodes:
            self._nodes.setdefault(node.urn, node)
        self._wrapper = wrapper_type(self._nodes)
        self._cache: dict[str, Component] = {}
        names: dict[str, set[str]] = {}
        for node in self._nodes.values():
            names.setdefault(node.name, set()).add(node.type)
        self._ambiguous = {name for name, types in names.items() if len(types) > 1}

    def _depth(self, urn: str) -> int:
        """Length of the type chain at which a resource is top-level (2 below a wrapper, else 1)."""
        chain = _chain(urn)
        return 2 if self._wrapper is not None and chain and chain[0] == self._wrapper else 1

    def _is_boundary(self, urn: str) -> bool:
        """Whether `urn` is the root stack or the wrapper: ancestors at which the walk stops."""
        return is_root_stack(urn) or (self._wrapper is not None and _chain(urn) == (self._wrapper,))

    def _top(self, urn: str) -> str:
        """URN of the top-most known ancestor of `urn` below the boundary (possibly `urn` itself)."""
        seen = {urn}
        current = urn
        while True:
            node = self._nodes.get(current)
            parent = node.parent if node else None
            if parent is None or self._is_boundary(parent) or parent in seen:
                return current
            seen.add(parent)
            current = parent

    def _by_type_chain(self, urn: str) -> Node | None:
        """The known resource that the URN's type chain says is the top-most ancestor."""
        chain = _chain(urn)
        depth = self._depth(urn)
        top_chain = chain[:depth]
        candidates = [n for n in self._nodes.values() if _chain(n.urn) == top_chain]
        if len(candidates) == 1:
            return candidates[0]
        # Children conventionally carry their parent's name as a prefix (`f"{name}-{role}"`).
        parsed = parse_urn(urn)
        name = parsed.name if parsed else ""
        prefixed = [n for n in candidates if name.startswith(n.name)]
        return max(prefixed, key=lambda n: (len(n.name), n.urn)) if prefixed else None

    def _label(self, name: str, type_: str) -> str:
        return f"{name} ({type_})" if name in self._ambiguous else name

    def _resolve(self, urn: str) -> Component:
        if self._is_boundary(urn):
            parsed = parse_urn(urn)
            if parsed is None or parsed.type == ROOT_STACK_TYPE:
                return Component(STACK_LABEL, ROOT_STACK_TYPE)
            return Component(self._label(parsed.name, parsed.type), parsed.type)
        top_urn = self._top(urn)
        top = self._nodes.get(top_urn)
        chain = _chain(top_urn)
        if len(chain) > self._depth(top_urn):
            # The walk stopped at a parent we do not know: recover the top-most ancestor from the URN.
            found = self._by_type_chain(top_urn)
            if found is None:
                type_ = chain[self._depth(top_urn) - 1]
                return Component(type_, type_)
            top, top_urn = found, found.urn
        if top is None:
            parsed = parse_urn(top_urn)
            # Known only by URN: an ancestor of something is a component; the resource itself may be anything.
            name, type_, custom = (parsed.name, parsed.type, top_urn == urn) if parsed else (top_urn, "?", True)
        else:
            name, type_, custom = top.name, top.type, top.custom
        if type_ == ROOT_STACK_TYPE or custom:
            # Custom resources straight under the stack (or the wrapper) form one group.
            return Component(STACK_LABEL, ROOT_STACK_TYPE)
        return Component(self._label(name, type_), type_)

    def component_of(self, urn: str) -> Component:
        """The component of the resource `urn`."""
        component = self._cache.get(urn)
        if component is None:
            component = self._cache[urn] = self._resolve(urn)
        return component


def component_edges(
    dependencies: Mapping[str, Iterable[str]], resolver: ComponentResolver
) -> tuple[tuple[str, str], ...]:
    """(dependency, dependent) component pairs implied by resource dependencies, sorted, no self-loops."""
    edges: set[tuple[str, str]] = set()
    for urn, deps in dependencies.items():
        dependent = resolver.component_of(urn).label
        for dep in deps:
            source = resolver.component_of(dep).label
            if source != dependent:
                edges.add((source, dependent))
    return tuple(sorted(edges))
