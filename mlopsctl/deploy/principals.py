"""Invariant 5, principals that exist: every principal a resource policy names exists when the policy is set.

IAM, KMS and S3 reject a policy naming a principal that does not exist (KMS: ``MalformedPolicyDocument``;
terraform-aws-modules/terraform-aws-eks#3013). Known to exist in a fresh account: account roots, service
principals, the identity running ``pulumi`` and ``*`` (with a Condition outside endpoint policies). Any
other principal must be created by the stack (roles, users and OIDC providers, matched by the ARNs the
offline engine's mocks give them; a service-linked role by its service name), and the resource holding
the policy must depend on the resource creating it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

from mlopsctl.deploy.graphs import Finding, GraphIndex, concrete, index_of
from mlopsctl.engine import Graph, Registration
from mlopsctl.mocks import PlatformMocks

CHECK = "principals"

POLICY_INPUTS: dict[str, tuple[str, str]] = {
    "aws:iam/role:Role": ("assumeRolePolicy", "trust policy"),
    "aws:kms/key:Key": ("policy", "key policy"),
    "aws:kms/keyPolicy:KeyPolicy": ("policy", "key policy"),
    "aws:s3/bucket:Bucket": ("policy", "bucket policy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy", "bucket policy"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy", "endpoint policy"),
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": ("policy", "endpoint policy"),
}
"""Resource type -> (input holding a policy document, kind of policy)."""

PRINCIPAL_CREATORS = (
    "aws:iam/role:Role",
    "aws:iam/user:User",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/samlProvider:SamlProvider",
)
SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
WELL_KNOWN_FEDERATED = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "www.amazon.com",
        "graph.facebook.com",
        "accounts.google.com",
        "appleid.apple.com",
    }
)
_ROOT = re.compile(r"^(\d{12}|arn:[\w-]+:iam::\d{12}:root)$")
_SLR = re.compile(r"^arn:[\w-]+:iam::\d{12}:role/aws-service-role/([^/]+)/([^/]+)$")
_ASSUMED = re.compile(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/[^/]+$")
_CALLER_INVOKES = ("aws:index/getCallerIdentity:getCallerIdentity", "aws:iam/getSessionContext:getSessionContext")


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a JSON string or an object); [] when unreadable."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    found = document.get("Statement") if isinstance(document, dict) else None
    found = [found] if isinstance(found, dict) else found
    return [s for s in found or () if isinstance(s, dict)]


def principals_of(statement: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, value) pairs of a statement's Principal/NotPrincipal (kind ``*`` for the wildcard)."""
    for key in ("Principal", "NotPrincipal"):
        principal = statement.get(key)
        if principal == "*":
            yield "*", "*"
        elif isinstance(principal, dict):
            for kind, values in sorted(principal.items()):
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, str) and concrete(value):
                        yield ("*", "*") if value == "*" else (kind, value)


def _mocks(graph: Graph) -> PlatformMocks:
    return PlatformMocks(region=graph.config.get("aws:region", "eu-west-1"), stack=graph.stack)


def created_principals(graph: Graph) -> dict[str, str]:
    """ARN -> URN of every role, user and identity provider the stack creates (ARNs as the mocks give them)."""
    mocks = _mocks(graph)
    created: dict[str, str] = {}
    for resource in graph.resources:
        if resource.type in PRINCIPAL_CREATORS:
            _, outputs = mocks.resource_outputs(resource.type, resource.name, dict(resource.inputs))
            arn = outputs.get("arn")
            if isinstance(arn, str):
                created[arn] = resource.urn
                path = resource.inputs.get("path")
                if isinstance(path, str) and path.strip("/") and ":role/" in arn:
                    head, _, name = arn.partition(":role/")
                    created[f"{head}:role/{path.strip('/')}/{name}"] = resource.urn
    return created


def caller_principals(graph: Graph) -> frozenset[str]:
    """The identity running ``pulumi`` (as the offline engine resolves it): it exists, or nothing runs."""
    mocks = _mocks(graph)
    found: set[str] = set()
    for token in _CALLER_INVOKES:
        result, _ = mocks.call(cast(Any, SimpleNamespace(token=token, args={})))
        found.update(v for k, v in result.items() if k in ("arn", "issuerArn") and isinstance(v, str))
    return frozenset(found)


def _service_linked(index: GraphIndex, service: str, role_name: str) -> Registration | None:
    for role in index.of_type(SERVICE_LINKED_ROLE):
        suffix = role.inputs.get("customSuffix")
        if role.inputs.get("awsServiceName") == service and (not suffix or role_name.endswith(f"_{suffix}")):
            return role
    return None


def check_principals(graph: Graph) -> list[Finding]:
    """Policy principals that do not exist in a fresh account, or that the policy does not wait for."""
    index = index_of(graph)
    created = created_principals(graph)
    callers = caller_principals(graph)
    findings: list[Finding] = []
    for holder in index.of_type(*POLICY_INPUTS):
        field_name, kind = POLICY_INPUTS[holder.type]
        for statement in statements(holder.inputs.get(field_name)):
            for principal_kind, value in principals_of(statement):
                finding = _judge(index, holder, kind, statement, principal_kind, value, created, callers)
                if finding is not None and finding not in findings:
                    findings.append(finding)
    return findings


def _judge(
    index: GraphIndex,
    holder: Registration,
    kind: str,
    statement: dict[str, Any],
    principal_kind: str,
    value: str,
    created: dict[str, str],
    callers: frozenset[str],
) -> Finding | None:
    label = value.rsplit("/", 1)[-1] or value
    where = f"{kind} of {holder.type} {holder.name}"
    if principal_kind == "*":
        if kind == "endpoint policy" or statement.get("Effect") == "Deny" or statement.get("Condition"):
            return None
        return Finding(
            CHECK,
            f"{CHECK}:{holder.name}:*",
            holder.urn,
            f"{where} allows Principal `*` without a Condition: anyone, in any account. Name the principals or "
            "add a Condition (aws:PrincipalAccount, aws:SourceVpce...).",
        )
    if principal_kind in ("Service", "CanonicalUser") or _ROOT.match(value) or value in callers:
        return None
    if principal_kind == "Federated" and value in WELL_KNOWN_FEDERATED:
        return None
    assumed = _ASSUMED.match(value)
    if assumed:
        value = f"arn:{assumed.group(1)}:iam::{assumed.group(2)}:role/{assumed.group(3)}"
        if value in callers:
            return None
    creator: Registration | None = None
    linked = _SLR.match(value)
    if linked:
        creator = _service_linked(index, linked.group(1), linked.group(2))
        missing = (
            f"names the service-linked role {value}, which exists only after {linked.group(1)} first uses the account: "
            f"create it in the stack ({SERVICE_LINKED_ROLE}) and make {holder.name} depend on it "
            "(terraform-aws-modules/terraform-aws-eks#3013)."
        )
    else:
        creator_urn = created.get(value)
        creator = index.by_urn.get(creator_urn) if creator_urn else None
        missing = f"names {value}, which the stack does not create and a fresh account does not have."
    if creator is None:
        return Finding(CHECK, f"{CHECK}:{holder.name}:{label}", holder.urn, f"{where} {missing}")
    if creator.urn != holder.urn and creator.urn not in index.closure(holder.urn):
        return Finding(
            CHECK,
            f"{CHECK}:{holder.name}:{label}:order",
            holder.urn,
            f"{where} names {value} ({creator.type} {creator.name}) but does not depend on it: the policy may be "
            f"set before the principal exists and be rejected. Add {creator.name} to dependsOn.",
        )
    return None
