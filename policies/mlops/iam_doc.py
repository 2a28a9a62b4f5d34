"""Reading IAM policy documents (identity policies, trust policies, bucket policies)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from policies.mlops.props import as_list, as_map, as_strs
from policies.mlops.rule import Report, ResourceInput

# Verb prefixes of actions that only read (AWS service authorization reference, "Access level":
# List / Read). Anything else may change state.
READ_ONLY_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "BatchGet",
    "Search",
    "Select",
    "View",
    "Lookup",
    "Query",
    "Scan",
)

# Write actions AWS only authorizes on Resource "*" (no resource-level permissions), harmless to
# grant that way: https://docs.aws.amazon.com/service-authorization/latest/reference/
RESOURCE_STAR_ONLY = frozenset(
    {
        "cloudwatch:PutMetricData",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sts:GetCallerIdentity",
    }
)

# Condition keys that confine a "*" resource to a tagged, account-scoped or service-scoped set.
SCOPING_CONDITION_MARKERS = ("ResourceTag/", "RequestTag/", "ResourceAccount", "ResourceOrgID", "ViaService")


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document (``Statement`` may be one object or a list)."""
    body = as_map(document).get("Statement")
    if isinstance(body, Mapping):
        return [body]
    return [as_map(s) for s in as_list(body)]


def allows(statement: Mapping[str, Any]) -> bool:
    """True for an ``Allow`` statement."""
    return statement.get("Effect") == "Allow"


def actions(statement: Mapping[str, Any]) -> list[str]:
    """The ``Action`` entries of a statement."""
    return as_strs(statement.get("Action"))


def is_read_only(action: str) -> bool:
    """True for ``svc:Get*``-style actions (a wildcard after a read verb stays read-only)."""
    _, _, verb = action.partition(":")
    return any(verb.startswith(prefix) for prefix in READ_ONLY_PREFIXES)


def is_scoped_by_condition(statement: Mapping[str, Any]) -> bool:
    """True when a condition confines the statement to tagged/account/service-scoped resources."""
    for operator_block in as_map(statement.get("Condition")).values():
        for key in as_map(operator_block):
            if any(marker in key for marker in SCOPING_CONDITION_MARKERS):
                return True
    return False


def to_everyone(principal: Any) -> bool:
    """Whether a statement's ``Principal`` is everyone: ``"*"`` or ``{"AWS": "*"}`` (alone or in a list)."""
    return principal == "*" or "*" in as_strs(as_map(principal).get("AWS"))


def condition_keys(condition: Any) -> set[str]:
    """The condition keys a statement's ``Condition`` tests, lower-cased (IAM compares them case-insensitively)."""
    return {str(key).lower() for operators in as_map(condition).values() for key in as_map(operators)}


def policy_document(resource: ResourceInput, report: Report, *, absent: str) -> Any | None:
    """The parsed JSON of a resource's ``policy`` input; not applicable (with ``absent`` as the reason) when there
    is none, and None after reporting a document that is not JSON."""
    text = resource.props.get("policy")
    if not isinstance(text, str) or not text:
        resource.not_applicable(absent)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        report("policy is not valid JSON")
        return None
