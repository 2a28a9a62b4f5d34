"""eks-addon-network-policy-enforced: declared NetworkPolicies are actually enforced.

EKS's VPC CNI ignores NetworkPolicy objects unless its network-policy agent is switched on
(``enableNetworkPolicy: "true"`` in the ``vpc-cni`` add-on configuration):
https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html. Without it, zero-trust
policies are decoration. A cluster that runs Cilium or Calico (Helm) enforces them itself.
"""

from __future__ import annotations

from policies.mlops.eks._types import ADDON, CLUSTER
from policies.mlops.kube import HELM_RELEASE, NETWORK_POLICY
from policies.mlops.props import as_map, is_true, json_value
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule

ENFORCING_CHARTS = ("cilium", "tigera-operator", "calico")


def _check(stack: StackInput, report: StackReport) -> None:
    if not stack.of_type(NETWORK_POLICY):
        return
    for release in stack.of_type(HELM_RELEASE):
        with stack.item():
            if str(release.props.get("chart", "")).rsplit("/", 1)[-1] in ENFORCING_CHARTS:
                return
    addons = []
    for addon in stack.of_type(ADDON):
        with stack.item():
            if addon.props.get("addonName") == "vpc-cni":
                addons.append(addon)
    if not addons:
        clusters = stack.of_type(CLUSTER)
        report(
            "NetworkPolicies are declared but no vpc-cni add-on enables network policy enforcement",
            clusters[0].urn if clusters else None,
        )
        return
    for addon in addons:
        with stack.item():
            try:
                values = as_map(json_value(addon.props.get("configurationValues")))
            except ValueError:
                report("vpc-cni configurationValues is not valid JSON", addon.urn)
                continue
            if not is_true(values.get("enableNetworkPolicy")):
                report('vpc-cni configurationValues does not set enableNetworkPolicy to "true"', addon.urn)


RULE = stack_rule(
    name="eks-addon-network-policy-enforced",
    description="When NetworkPolicies are declared, the vpc-cni add-on enforces them (enableNetworkPolicy).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Declare aws.eks.Addon(addon_name='vpc-cni', configuration_values=json.dumps({'enableNetworkPolicy': "
        "'true'})) for the cluster."
    ),
    resource_types=(NETWORK_POLICY, ADDON, CLUSTER, HELM_RELEASE),
    check=_check,
)
