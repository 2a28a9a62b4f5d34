"""What every deploy check shares: findings, and an index of one graph (dependency closure, lookups).

A resource *depends on* another when the engine must create the other first: through ``dependencies``,
``propertyDependencies``, its provider reference (``"urn::id"``) and its parent chain, transitively. A
dependency on a component resource means every resource inside it (the engine waits for the whole
component); a parent edge reaches the component itself, whose own dependencies then count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlopsctl.engine import Graph, Registration
from mlopsctl.layers import Layer, layer_of

SECRET_MARK = "[secret]"
UNKNOWN_MARK = "[unknown]"


@dataclass(frozen=True, order=True)
class Finding:
    """One violated deploy invariant: a stable id (``<check>:<resource name>[:<detail>]``) and why."""

    check: str
    """Check id (``ordering``, ``layer-closure``, ``helm-wait``, ``api-reachability``, ``principals``,
    ``engine-version``, ``images``)."""
    id: str
    """Stable finding id, e.g. ``principals:serving-node-key:AWSServiceRoleForAutoScaling``."""
    urn: str | None
    """The resource at fault (None for a stack-wide finding)."""
    message: str
    """What is wrong, why it fails a real deploy, and what would fix it."""

    def to_json(self) -> dict[str, Any]:
        """Plain data for the plan's ``deploy.violations``."""
        return {"check": self.check, "id": self.id, "resource": self.urn, "message": self.message}


def provider_urn(reference: str | None) -> str | None:
    """The URN part of a provider reference ``"<urn>::<id>"``."""
    if not reference:
        return None
    urn, sep, _ = reference.rpartition("::")
    return urn if sep and urn.startswith("urn:pulumi:") else None


def short(urn: str) -> str:
    """The logical name at the end of a URN."""
    return urn.rsplit("::", 1)[-1]


def dig(value: Any, path: str, default: Any = None) -> Any:
    """``value["a"]["b"]`` for ``path`` ``"a.b"``; ``default`` when a step is missing or not a mapping."""
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def release_values(release: Registration) -> dict[str, Any]:
    """A Helm release's ``values`` (empty when absent or masked)."""
    values = release.inputs.get("values")
    return values if isinstance(values, dict) else {}


def concrete(value: Any) -> bool:
    """False for the masked markers (secret or unknown): such a value cannot be checked offline."""
    return value not in (SECRET_MARK, UNKNOWN_MARK)


@dataclass
class GraphIndex:
    """Lookups over one graph, built once and shared by every check of a plan."""

    graph: Graph
    by_urn: dict[str, Registration] = field(init=False)
    children: dict[str, list[str]] = field(init=False)
    _closure: dict[str, frozenset[str]] = field(init=False, default_factory=dict)
    _edges: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    _descendants: dict[str, frozenset[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.graph.resources}
        self.children = {}
        for resource in self.graph.resources:
            if resource.parent:
                self.children.setdefault(resource.parent, []).append(resource.urn)

    def of_type(self, *types: str) -> list[Registration]:
        """Registrations of these types, in URN order."""
        wanted = set(types)
        return [r for r in self.graph.resources if r.type in wanted]

    def layer(self, resource: Registration) -> Layer:
        """The deploy layer of a registration."""
        return layer_of(resource.type)

    def direct(self, resource: Registration, *, parent: bool = True) -> Iterator[str]:
        """URNs ``resource`` waits for directly (components expanded to their contents)."""
        explicit = set(resource.dependencies)
        for urns in resource.property_dependencies.values():
            explicit.update(urns)
        provider = provider_urn(resource.provider)
        if provider:
            explicit.add(provider)
        for urn in sorted(explicit):
            yield urn
            target = self.by_urn.get(urn)
            if target is not None and not target.custom:
                yield from sorted(self.descendants(urn))
        if parent and resource.parent:
            yield resource.parent

    def descendants(self, urn: str) -> frozenset[str]:
        """Every resource under ``urn`` in the parent tree."""
        cached = self._descendants.get(urn)
        if cached is None:
            found: set[str] = set()
            stack = list(self.children.get(urn, ()))
            while stack:
                child = stack.pop()
                if child not in found:
                    found.add(child)
                    stack.extend(self.children.get(child, ()))
            cached = self._descendants[urn] = frozenset(found)
        return cached

    def closure(self, urn: str) -> frozenset[str]:
        """Everything ``urn`` depends on, transitively (never itself)."""
        cached = self._closure.get(urn)
        if cached is not None:
            return cached
        # Iterative post-order DFS: deep graphs must not hit the recursion limit. A cycle (the engine
        # rejects real ones; component expansion can close artificial ones) contributes what is known.
        in_progress: set[str] = set()
        stack: list[tuple[str, bool]] = [(urn, False)]
        while stack:
            node, expanded = stack.pop()
            if node in self._closure:
                continue
            edges = self._edges.get(node)
            if edges is None:
                resource = self.by_urn.get(node)
                edges = self._edges[node] = tuple(self.direct(resource)) if resource is not None else ()
            if expanded:
                result: set[str] = set()
                for edge in edges:
                    if edge == node:
                        continue
                    result.add(edge)
                    result.update(self._closure.get(edge, ()))
                result.discard(node)
                self._closure[node] = frozenset(result)
                in_progress.discard(node)
                continue
            if node in in_progress:
                continue
            in_progress.add(node)
            stack.append((node, True))
            stack.extend((edge, False) for edge in edges if edge not in self._closure and edge not in in_progress)
        return self._closure[urn]

    def depends_on_type(self, urn: str, type_: str) -> bool:
        """Whether ``urn`` depends (transitively) on some resource of ``type_``."""
        return any(self.by_urn[u].type == type_ for u in self.closure(urn) if u in self.by_urn)


_LAST: list[GraphIndex] = []


def index_of(graph: Graph) -> GraphIndex:
    """The (cached) index of ``graph``: the checks of one plan share it."""
    if _LAST and _LAST[0].graph is graph:
        return _LAST[0]
    index = GraphIndex(graph)
    _LAST[:] = [index]
    return index


def unique_ids(findings: Iterable[Finding]) -> list[Finding]:
    """Findings sorted by id, a repeated id suffixed ``#2``, ``#3`` (ids are keys in the plan)."""
    seen: dict[str, int] = {}
    result = []
    for finding in sorted(findings, key=lambda f: (f.check, f.id, f.urn or "", f.message)):
        count = seen[finding.id] = seen.get(finding.id, 0) + 1
        if count > 1:
            finding = Finding(finding.check, f"{finding.id}#{count}", finding.urn, finding.message)
        result.append(finding)
    return result
