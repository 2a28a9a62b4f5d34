"""The diff model shared by both inputs (two plans, or one `pulumi preview --json`) and all renderers.

Everything here is plain, immutable data: the loaders and `compute` build it, the renderers only read it,
so a markdown comment, a JSON document and a terminal listing always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mlopsctl.wire import SECRET_MARK, UNKNOWN_MARK

SECRET = SECRET_MARK
"""How plans and `pulumi preview --json` mask a secret value; the only form a secret ever takes here."""

UNKNOWN = UNKNOWN_MARK
"""An input whose value is known only after apply (plans write it this way; previews are normalized to it)."""


class DiffError(Exception):
    """Bad input for a diff (unreadable or invalid document, mismatched stacks, bad git ref).

    The CLI prints the message and exits with code 2; the message names the file and key at fault.
    """


class ChangeKind(StrEnum):
    """What happens to one resource."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    MOVE = "move"
    """Renamed or re-parented with identical inputs: no cloud change when Pulumi aliases carry it over."""


KIND_ORDER: tuple[ChangeKind, ...] = (
    ChangeKind.REPLACE,
    ChangeKind.DELETE,
    ChangeKind.CREATE,
    ChangeKind.UPDATE,
    ChangeKind.MOVE,
)
"""Listing order: the changes a reviewer must not miss come first."""

SUMMARY_KINDS: tuple[ChangeKind, ...] = (
    ChangeKind.CREATE,
    ChangeKind.UPDATE,
    ChangeKind.REPLACE,
    ChangeKind.DELETE,
    ChangeKind.MOVE,
)
"""Column order of summary tables."""


class PropOp(StrEnum):
    """How one property changed."""

    ADD = "add"
    REMOVE = "remove"
    UPDATE = "update"
    REPORTED = "reported"
    """The engine reported a change the inputs do not show (e.g. provider-side drift); no values known."""


@dataclass(frozen=True)
class PropertyChange:
    """One changed property of a resource, at a nested path rendered like `a.b[2].c`.

    `before`/`after` are masked JSON values; both are None when `secret` is set, so a secret value
    cannot reach a renderer even by mistake.
    """

    path: str
    op: PropOp
    before: Any = None
    after: Any = None
    secret: bool = False
    forces_replacement: bool = False


@dataclass(frozen=True)
class ResourceChange:
    """The change to one resource. `urn` is the new URN (the old one for deletes)."""

    kind: ChangeKind
    urn: str
    type: str
    name: str
    component: str
    previous_urn: str | None = None
    """Set for renames and parent moves: the URN in BASE."""
    properties: tuple[PropertyChange, ...] = ()
    replace_reasons: tuple[str, ...] = ()
    """Top-level property paths that force the replacement."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    """One policy violation as plans record it (keyed by `(policy, urn)`)."""

    policy: str
    level: str
    severity: str
    urn: str
    message: str

    @property
    def key(self) -> tuple[str, str]:
        """Identity of a violation across two plans."""
        return (self.policy, self.urn)


@dataclass(frozen=True)
class PolicyDelta:
    """Violations in HEAD but not BASE (`new`), in BASE only (`fixed`), in both (`unchanged`)."""

    new: tuple[Violation, ...]
    fixed: tuple[Violation, ...]
    unchanged: tuple[Violation, ...]
    base_evaluated: bool = True
    """False when BASE carried no policy section: every HEAD violation then counts as new."""

    @property
    def new_mandatory(self) -> tuple[Violation, ...]:
        """New violations that block a deployment."""
        return tuple(v for v in self.new if v.level == "mandatory")


@dataclass(frozen=True)
class ImageEntry:
    """One image of a plan's inventory: the reference a resource runs and the upstream image it stands for."""

    image: str
    upstream: str


@dataclass(frozen=True)
class ImageChange:
    """An image a PR adds, removes or changes (new tag or digest, or another registry), by upstream repository."""

    kind: str
    """``added``, ``removed`` or ``changed``."""
    upstream: str
    """The upstream repository (``docker.io/apache/airflow``): what the image is, wherever it is pulled from."""
    before: str | None = None
    after: str | None = None
    note: str = ""
    """For ``changed``: what changed (tag, registry)."""


@dataclass(frozen=True)
class Diagnostic:
    """A warning or error the engine reported during a real preview."""

    severity: str
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Component:
    """A top-level building block (the top-most ancestor below the root stack) of the program."""

    label: str
    type: str


@dataclass(frozen=True)
class Diff:
    """The structured difference between BASE and HEAD of one stack."""

    project: str
    stack: str
    source: str
    """"plans" (two mlops-plan/1 documents) or "preview" (one `pulumi preview --json`)."""
    changes: tuple[ResourceChange, ...]
    unchanged: int
    components: tuple[Component, ...] = ()
    """Every component that has a change or an unchanged resource, sorted by label."""
    unchanged_by_component: Mapping[str, int] = field(default_factory=dict)
    component_edges: tuple[tuple[str, str], ...] = ()
    """(dependency, dependent) pairs between component labels, from resource dependencies."""
    policy: PolicyDelta | None = None
    """None when HEAD was not evaluated against the policy pack."""
    diagnostics: tuple[Diagnostic, ...] = ()
    images: tuple[ImageChange, ...] | None = None
    """Image changes from the plans' inventories; None when a side has no inventory (a preview, an old plan)."""

    def count(self, kind: ChangeKind, component: str | None = None) -> int:
        """Number of changes of `kind`, overall or within one component."""
        return sum(1 for c in self.changes if c.kind is kind and (component is None or c.component == component))

    @property
    def has_changes(self) -> bool:
        """Whether any resource changes at all."""
        return bool(self.changes)
