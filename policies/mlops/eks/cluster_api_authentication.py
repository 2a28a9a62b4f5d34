"""eks-cluster-api-authentication: cluster access is granted only through EKS access entries.

``accessConfig.authenticationMode: API`` makes EKS access entries (IAM API calls, in CloudTrail, managed by the
program) the only way in; ``CONFIG_MAP``/``API_AND_CONFIG_MAP`` also honour the ``aws-auth`` ConfigMap, which
anyone who can edit a ConfigMap in ``kube-system`` can extend to any IAM principal. And
``bootstrapClusterCreatorAdminPermissions: true`` makes whoever ran ``pulumi up`` a permanent, invisible
cluster-admin. Both defaults of the EKS API are the unsafe ones (``CONFIG_MAP`` and ``true`` when
``accessConfig`` is omitted: https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessConfigRequest.html),
so the absence of either is a violation too.
"""

from __future__ import annotations

from policies.mlops.eks._types import CLUSTER
from policies.mlops.props import as_map, is_false
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    access = as_map(resource.props.get("accessConfig"))
    mode = access.get("authenticationMode")
    if mode != "API":
        shown = repr(mode) if mode else "not set (the EKS API default: CONFIG_MAP)"
        report(f"accessConfig.authenticationMode is {shown}: the aws-auth ConfigMap can grant cluster access; use API")
    if not is_false(access.get("bootstrapClusterCreatorAdminPermissions")):
        report(
            "accessConfig.bootstrapClusterCreatorAdminPermissions is not false: the identity that creates the cluster "
            "becomes a cluster-admin no access entry in the program shows"
        )


RULE = resource_rule(
    name="eks-cluster-api-authentication",
    description=(
        "EKS clusters authenticate through access entries only (authenticationMode API) and give the creator no "
        "implicit cluster-admin."
    ),
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode='API', "
        "bootstrap_cluster_creator_admin_permissions=False) and grant admins with access entries "
        "(stack config cluster.adminPrincipals)."
    ),
    resource_types=(CLUSTER,),
    check=_check,
)
