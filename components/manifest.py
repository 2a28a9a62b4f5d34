"""Plain-dict arguments to Pulumi SDK parameters typed with their Args classes."""

from __future__ import annotations

from typing import Any


def manifest(value: Any) -> Any:
    """A plain-dict argument passed as is to a Pulumi SDK parameter typed with its Args classes.

    The program builds Kubernetes objects in Kubernetes' own camelCase (checked against the Kubernetes
    schema by kubernetes-validate in the tests) and some AWS arguments as plain dicts (checked by their
    tests); the SDKs accept both on the wire, but their TypedDicts use Python names, so the type checker
    cannot match them. Marking each such argument keeps every other argument of the call checked.
    """
    return value
