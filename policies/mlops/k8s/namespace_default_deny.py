"""k8s-namespace-default-deny: every namespace denies all ingress and egress unless a policy allows it.

A namespace counts as covered when NetworkPolicies selecting all its pods (empty
``podSelector``) list ``Ingress`` with no ingress rules and ``Egress`` with no egress rules (one
policy with both types, or two). Namespaces are the declared ``Namespace`` objects plus every
namespace that workloads, Services and Helm releases deploy into (EKS's own ``kube-*``
namespaces excepted).
"""

from __future__ import annotations

from policies.mlops.kube import (
    HELM_RELEASE,
    NAMESPACE,
    NETWORK_POLICY,
    SERVICE,
    SYSTEM_NAMESPACES,
    WORKLOADS,
    namespace_of,
    release_namespace,
)
from policies.mlops.props import as_list, as_map, as_strs, get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule


def _selects_all_pods(policy: StackResource) -> bool:
    selector = as_map(get(policy.props, "spec", "podSelector"))
    return not as_map(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions"))


def _denied(policy: StackResource) -> set[str]:
    """Directions (``Ingress``/``Egress``) this policy denies for every pod of its namespace."""
    spec = as_map(policy.props.get("spec"))
    types = as_strs(spec.get("policyTypes"))
    if not types:  # Kubernetes' default: Ingress, plus Egress when egress rules are given
        types = ["Ingress", *(["Egress"] if "egress" in spec else [])]
    return {t for t in types if not as_list(spec.get(t.lower()))}


def _check(stack: StackInput, report: StackReport) -> None:
    namespace_urns = {ns.urn for ns in stack.of_type(NAMESPACE)}
    covered: dict[str, set[str]] = {}  # namespace name or Namespace URN -> denied directions
    for policy in stack.of_type(NETWORK_POLICY):
        with stack.item():
            if not _selects_all_pods(policy):
                continue
            keys = {namespace_of(policy.props)}
            keys |= {urn for urn in policy.property_dependencies.get("metadata", ()) if urn in namespace_urns}
            for key in keys:
                covered.setdefault(key, set()).update(_denied(policy))

    required: dict[str, tuple[str, set[str]]] = {}  # display name -> (URN to blame, keys that may cover it)
    for namespace in stack.of_type(NAMESPACE):
        # An unknown or missing name (auto-naming) leaves only the dependency link to match on.
        name = known(as_map(known(namespace.props, "metadata")), "name")
        display = name if isinstance(name, str) and name else namespace.name
        required[display] = (namespace.urn, {namespace.urn, display})
    for resource in stack.of_type(*WORKLOADS, SERVICE, HELM_RELEASE):
        with stack.item():
            name = release_namespace(resource.props) if resource.type == HELM_RELEASE else namespace_of(resource.props)
            if name not in required:
                required[name] = (resource.urn, {name})

    for display, (urn, keys) in sorted(required.items()):
        if display in SYSTEM_NAMESPACES:
            continue
        denied = set().union(*(covered.get(key, set()) for key in keys))
        missing = [direction for direction in ("Ingress", "Egress") if direction not in denied]
        if missing:
            report(f"namespace {display!r} has no default-deny NetworkPolicy for {' and '.join(missing)}", urn)


RULE = stack_rule(
    name="k8s-namespace-default-deny",
    description="Every namespace has a default-deny NetworkPolicy for both ingress and egress.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add a NetworkPolicy per namespace with podSelector {} and policyTypes [Ingress, Egress] and no rules; "
        "allow each declared flow with its own policy (contracts/flows.py)."
    ),
    resource_types=(NAMESPACE, NETWORK_POLICY, *WORKLOADS, SERVICE, HELM_RELEASE),
    check=_check,
)
