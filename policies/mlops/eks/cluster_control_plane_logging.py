"""eks-cluster-control-plane-logging: all control-plane log types go to CloudWatch."""

from __future__ import annotations

from policies.mlops.eks._types import CLUSTER
from policies.mlops.props import as_strs
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

# CIS Amazon EKS Benchmark 2.1.1: enable audit logs (all five types).
REQUIRED_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _check(resource: ResourceInput, report: Report) -> None:
    enabled = set(as_strs(resource.props.get("enabledClusterLogTypes")))
    missing = [log_type for log_type in REQUIRED_LOG_TYPES if log_type not in enabled]
    if missing:
        report(f"enabledClusterLogTypes is missing {', '.join(missing)}")


RULE = resource_rule(
    name="eks-cluster-control-plane-logging",
    description="EKS clusters send api, audit, authenticator, controllerManager and scheduler logs to CloudWatch.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set enabled_cluster_log_types=['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] and "
        "create the /aws/eks/<cluster>/cluster log group with a retention period first."
    ),
    resource_types=(CLUSTER,),
    check=_check,
)
