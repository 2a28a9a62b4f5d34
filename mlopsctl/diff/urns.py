"""Pulumi URNs: `urn:pulumi:<stack>::<project>::<parent-type$...$>type::name`."""

from __future__ import annotations

from dataclasses import dataclass

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Urn:
    """The parts of a URN. `type_chain` lists the ancestor types (root stack excluded) then the own type."""

    stack: str
    project: str
    type_chain: tuple[str, ...]
    name: str

    @property
    def type(self) -> str:
        """The resource's own type token."""
        return self.type_chain[-1]


def parse_urn(urn: str) -> Urn | None:
    """Split a URN, or None when it is not one. Names may themselves contain `::`."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:") :].split("::", 3)
    if len(parts) != 4 or not all(parts[:3]):
        return None
    stack, project, qualified, name = parts
    return Urn(stack=stack, project=project, type_chain=tuple(qualified.split("$")), name=name)


def is_root_stack(urn: str) -> bool:
    """Whether `urn` names the root `pulumi:pulumi:Stack` resource."""
    parsed = parse_urn(urn)
    return parsed is not None and parsed.type_chain == (ROOT_STACK_TYPE,)
