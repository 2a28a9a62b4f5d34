"""Invariant 8, air gap: every image comes from ECR, and without NAT every AWS API a controller calls has an
endpoint in the VPC.

Images (always): each image the plan runs (:func:`mlopsctl.deploy.images.image_uses`) must be in the stack's own
ECR (pull-through cache, mirror or team repository) or in an AWS-owned registry (EKS add-ons); then

- a cached image's prefix has its pull-through cache rule in the plan, and the resource running it waits for
  that rule (else a first pull races the rule); it is pulled by tag, not by digest alone: ECR does not fill
  the cache on a first pull by digest (aws/containers-roadmap#2837);
- a mirrored image's repository, and a team image's repository, exist in the plan;
- both unless the stack leaves the account's registry settings to another stack (``mlops:registry.
  accountSettings: false``): then rules and mirrors are not in this plan.

Endpoints (``mlops:network.nat: none``): :data:`CONTROLLER_SERVICES` says which AWS APIs each controller the
plan installs calls from the workload subnets; each needs an interface endpoint (S3: gateway or interface).
The deploy runner is not in the table: it keeps its own egress (docs/adr/0003-registry-and-air-gap.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.registry import UPSTREAM_BY_PREFIX, origin, parse_reference
from mlopsctl.deploy.charts import chart_name
from mlopsctl.deploy.graphs import Finding, GraphIndex, index_of, short
from mlopsctl.deploy.images import HELM_RELEASE, ImageUse, image_uses
from mlopsctl.engine import Graph
from mlopsctl.mocks import ACCOUNT_ID

CHECK = "air-gap"
RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
REPOSITORY = "aws:ecr/repository:Repository"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@dataclass(frozen=True)
class Needs:
    """The AWS APIs one controller calls from the workload subnets."""

    controller: str
    services: tuple[str, ...]
    """Endpoint service names (``com.amazonaws.<region>.<service>``)."""
    present: Callable[[GraphIndex], bool]
    """Whether the plan runs this controller."""
    source: str
    """Where the list comes from."""


def _addon(name: str) -> Callable[[GraphIndex], bool]:
    return lambda index: any(a.inputs.get("addonName") == name for a in index.of_type(ADDON))


def _chart(name: str) -> Callable[[GraphIndex], bool]:
    return lambda index: any(chart_name(r.inputs.get("chart")) == name for r in index.of_type(HELM_RELEASE))


def _workload(label: str) -> Callable[[GraphIndex], bool]:
    def present(index: GraphIndex) -> bool:
        for resource in index.of_type("kubernetes:apps/v1:Deployment"):
            labels = (resource.inputs.get("metadata") or {}).get("labels") or {}
            if isinstance(labels, dict) and labels.get("app.kubernetes.io/name") == label:
                return True
        return False

    return present


CONTROLLER_SERVICES: tuple[Needs, ...] = (
    Needs(
        "nodes (kubelet image pulls)",
        ("ecr.api", "ecr.dkr", "s3"),
        lambda index: bool(index.of_type(NODE_GROUP)),
        "ECR user guide, 'Amazon ECR interface VPC endpoints' (ecr.api, ecr.dkr; layers from S3)",
    ),
    Needs(
        "vpc-cni (aws-node)",
        ("ec2", "sts"),
        _addon("vpc-cni"),
        "EKS user guide, 'Deploy private clusters with limited internet access' (EC2 for ENIs and IPs; STS for its "
        "IRSA role)",
    ),
    Needs(
        "aws-ebs-csi-driver",
        ("ec2", "sts"),
        _addon("aws-ebs-csi-driver"),
        "aws-ebs-csi-driver docs/install.md (EC2 volume API; IRSA through STS)",
    ),
    Needs(
        "eks-pod-identity-agent",
        ("eks-auth",),
        _addon("eks-pod-identity-agent"),
        "EKS user guide, 'EKS Pod Identity' (AssumeRoleForPodIdentity on the eks-auth endpoint)",
    ),
    Needs(
        "cluster-autoscaler",
        ("autoscaling", "ec2", "eks", "sts"),
        _chart("cluster-autoscaler"),
        "kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md (Auto Scaling, EC2 describe calls, "
        "eks:DescribeNodegroup for scale from zero); components/cluster/autoscaling.py policy",
    ),
    Needs(
        "external-secrets",
        ("secretsmanager", "sts"),
        _chart("external-secrets"),
        "components/cluster/secrets_values.py (SecretStore on Secrets Manager, IRSA)",
    ),
    Needs(
        "kserve storage initializer",
        ("s3", "sts"),
        _chart("kserve"),
        "KServe storage initializer (models from S3 with the predictor's IRSA role)",
    ),
    Needs(
        "airflow",
        ("s3", "sts"),
        _chart("airflow"),
        "components/orchestration/airflow_values.py (remote logs and DAG bundles on S3, IRSA)",
    ),
    Needs(
        "airflow lake catalog",
        ("glue", "lakeformation"),
        lambda index: any(r.name == "lake-airflow-catalog" for r in index.of_type("aws:iam/rolePolicy:RolePolicy")),
        "components/data/lake_grants.py catalog_api_document (Glue catalog, lakeformation:GetDataAccess)",
    ),
    Needs(
        "amazon-cloudwatch-observability",
        ("logs", "monitoring", "ec2", "sts"),
        _addon("amazon-cloudwatch-observability"),
        "components/observability/component.py and docs/adr/0002 (CloudWatch agent and Fluent Bit: Logs, metrics, "
        "EC2 metadata, IRSA)",
    ),
    Needs(
        "airflow alert publishing",
        ("sns",),
        lambda index: _chart("airflow")(index) and bool(index.of_type("aws:sns/topic:Topic")),
        "components/observability (Airflow failure callbacks publish to the alert topic)",
    ),
    Needs(
        "mlflow",
        ("s3", "sts"),
        _workload("mlflow"),
        "components/tracking/access.py tracking_policy (artifacts on S3, IRSA)",
    ),
)
"""Controller -> the AWS APIs it calls from the workload subnets (add a row when the program installs one)."""


def _config_section(graph: Graph, key: str) -> Mapping[str, Any]:
    value = graph.config.get(f"mlops:{key}")
    if isinstance(value, str) and value[:1] == "{":
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def owns_account_settings(graph: Graph) -> bool:
    """``mlops:registry.accountSettings`` (default true): cache rules and mirrors are in this plan."""
    return _config_section(graph, "registry").get("accountSettings", True) is not False


def air_gapped(graph: Graph) -> bool:
    """``mlops:network.nat: none``: the workload subnets have no route out of the VPC."""
    return _config_section(graph, "network").get("nat") == "none"


def endpoint_services(graph: Graph) -> set[str]:
    """Services with a VPC endpoint in the plan (``ecr.api``, ``s3``...)."""
    region = str(graph.config.get("aws:region", ""))
    found = set()
    for endpoint in index_of(graph).of_type(ENDPOINT):
        name = endpoint.inputs.get("serviceName")
        if isinstance(name, str) and name.startswith(f"com.amazonaws.{region}."):
            found.add(name.removeprefix(f"com.amazonaws.{region}."))
    return found


def check_air_gap(graph: Graph) -> list[Finding]:
    """Images outside ECR or without their cache rule/repository, and (nat none) controllers without endpoints."""
    findings = _image_findings(graph)
    if air_gapped(graph):
        findings += _endpoint_findings(graph)
    return findings


def _image_findings(graph: Graph) -> list[Finding]:
    index = index_of(graph)
    region = str(graph.config.get("aws:region", ""))
    owned = owns_account_settings(graph)
    rules = {str(r.inputs.get("ecrRepositoryPrefix")): r for r in index.of_type(RULE)}
    repositories = {str(r.inputs.get("name")) for r in index.of_type(REPOSITORY)}
    findings = []
    for use in image_uses(graph):
        finding = _judge(index, use, region, owned, rules, repositories)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge(
    index: GraphIndex,
    use: ImageUse,
    region: str,
    owned: bool,
    rules: Mapping[str, Any],
    repositories: set[str],
) -> Finding | None:
    image, name = use.ref.image, short(use.urn)
    fid = f"{CHECK}:{name}:{image}"
    if not use.ref.registry:
        return Finding(
            CHECK, fid, use.urn, f"{image}: the chart's images are unknown, so none can be shown to come from ECR."
        )
    found = origin(parse_reference(image), account=ACCOUNT_ID, region=region)
    if found.kind == "not-ecr":
        return Finding(
            CHECK,
            fid,
            use.urn,
            f"{image} ({use.source}) is pulled from {use.ref.registry}, outside ECR: a node without internet cannot "
            "pull it, and nothing scans it. Rewrite it with components.registry.images.pull_through.",
        )
    if found.kind == "other-ecr":
        return Finding(CHECK, fid, use.urn, f"{image} ({use.source}) is in another account's or region's ECR.")
    if found.kind in ("aws", "team"):
        if found.kind == "team" and owned and use.ref.repository not in repositories:
            return Finding(CHECK, fid, use.urn, f"{image}: no repository {use.ref.repository} in the plan.")
        return None
    prefix = next(
        p for p in sorted(UPSTREAM_BY_PREFIX, key=len, reverse=True) if use.ref.repository.startswith(f"{p}/")
    )
    if found.kind == "mirror":
        if owned and use.ref.repository not in repositories:
            return Finding(
                CHECK,
                fid,
                use.urn,
                f"{image}: ECR cannot cache {found.upstream.registry if found.upstream else prefix}; "
                f"declare its mirror repository {use.ref.repository} (mlops:registry.mirrors).",
            )
        return None
    if use.ref.digest and not use.ref.tag:
        return Finding(
            CHECK,
            fid,
            use.urn,
            f"{image}: pinned by digest only; ECR's pull-through cache fills the cache on a pull by tag, not on a "
            "first pull by digest (aws/containers-roadmap#2837). Pin the tag (and the digest after the first pull).",
        )
    if not owned:
        return None
    rule = rules.get(prefix)
    if rule is None:
        return Finding(
            CHECK,
            fid,
            use.urn,
            f"{image}: no pull-through cache rule for {prefix}/ in the plan (mlops:registry.upstreams).",
        )
    if rule.urn not in index.closure(use.urn):
        return Finding(
            CHECK,
            f"{fid}:order",
            use.urn,
            f"{image}: {name} does not wait for the cache rule {rule.name}; a first pull before the rule exists fails "
            "(ImagePullBackOff). Make the Kubernetes provider depend on ImageRegistry.pull_ready.",
        )
    return None


def _endpoint_findings(graph: Graph) -> list[Finding]:
    index = index_of(graph)
    have = endpoint_services(graph)
    findings = []
    for needs in CONTROLLER_SERVICES:
        if not needs.present(index):
            continue
        missing = [s for s in needs.services if s not in have]
        if missing:
            findings.append(
                Finding(
                    CHECK,
                    f"{CHECK}:endpoints:{needs.controller}",
                    None,
                    f"{needs.controller} calls {', '.join(missing)} but network.nat is none and the VPC has no "
                    f"endpoint for {'it' if len(missing) == 1 else 'them'}; add to mlops:network.interfaceEndpoints "
                    f"({needs.source}).",
                )
            )
    return findings


__all__ = ["CHECK", "CONTROLLER_SERVICES", "Needs", "air_gapped", "check_air_gap", "endpoint_services"]
