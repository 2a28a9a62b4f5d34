"""Where identity-based IAM policy documents sit in the IAM resources' inputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.mlops.props import as_list, as_map, json_value
from policies.mlops.rule import ResourceInput

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

IDENTITY_POLICY_TYPES = (POLICY, ROLE, ROLE_POLICY, USER_POLICY, GROUP_POLICY)


class BadDocument:
    """A policy document that is not valid JSON."""


def documents(resource: ResourceInput) -> Iterator[tuple[str, Any]]:
    """``(label, document)`` for every identity policy a resource declares (``BadDocument()`` if unparsable)."""
    if resource.type == ROLE:
        sources = [
            (f"inline policy '{as_map(p).get('name', index)}'", as_map(p).get("policy"))
            for index, p in enumerate(as_list(resource.props.get("inlinePolicies")))
        ]
    else:
        sources = [("policy", resource.props.get("policy"))]
    for label, raw in sources:
        try:
            yield label, json_value(raw)
        except ValueError:
            yield label, BadDocument()
