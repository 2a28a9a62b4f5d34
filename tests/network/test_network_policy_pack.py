"""Network and ZeroTrust are compliant with the platform's policy pack as built."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pod_groups import pod_groups

from components.network.component import Network, NetworkArgs
from components.network.config import NetworkConfig
from components.zerotrust.component import ZeroTrust, ZeroTrustArgs
from contracts.flows import AwsDestination, Flow, FlowGraph, Workload
from mlopsctl.engine import run_program
from mlopsctl.policy import evaluate

TAGS = {"owner": "ml-platform", "environment": "dev", "cost-center": "cc-1"}
ENDPOINTS = ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "ec2"]
OURS = ("mlops:network:Network", "mlops:zerotrust:ZeroTrust")


def program() -> None:
    provider = aws.Provider("aws", region="eu-west-1", default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))
    opts = pulumi.ResourceOptions(providers=[provider])
    per_az = Network("net-a", NetworkArgs(config=NetworkConfig(nat="per-az"), environment="dev-a",
                                         destination_slots=["tracking-db"]), opts=opts)  # fmt: skip
    Network("net-b", NetworkArgs(config=NetworkConfig(nat="none", interface_endpoints=ENDPOINTS), environment="dev-b", public_entry=True),
            opts=opts)  # fmt: skip
    cluster = k8s.Provider("k8s", kubeconfig="{}")
    psa = {"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.34"}
    namespaces = [
        k8s.core.v1.Namespace(ns, metadata={"name": ns, "labels": psa}, opts=pulumi.ResourceOptions(provider=cluster))
        for ns in ("mlflow", "serving")
    ]
    mlflow = Workload.of("mlflow/server", "mlflow", {"app": "mlflow"})
    predictor = Workload.of("serving/predictor", "serving", {"component": "predictor"})
    db = AwsDestination(name="db", cidrs=tuple(per_az.slot_subnet_cidrs["tracking-db"]), security_group_id="sg-db")
    graph = FlowGraph([Flow(predictor, mlflow, 5000), Flow(mlflow, per_az.endpoints, 443), Flow(mlflow, db, 5432)])
    ZeroTrust(
        "zt",
        ZeroTrustArgs(graph=graph, namespaces=["mlflow", "serving"], vpc_cidr=per_az.vpc_cidr,
                      cluster_security_group_id="sg-nodes", pod_security_groups=pod_groups(cluster, cluster_sg="sg-nodes", opts=opts), k8s_provider=cluster, depends_on=namespaces),
        opts=opts,
    )  # fmt: skip


def test_no_policy_violation_on_network_or_zero_trust_resources() -> None:
    graph = run_program(program)
    report = evaluate(graph)
    ours = [v for v in report.violations if any(token in v.urn for token in OURS)]
    assert ours == []
    # The namespaces' default-deny comes from ZeroTrust: the stack rule is satisfied.
    assert not [v for v in report.violations if v.policy == "k8s-namespace-default-deny"]
    # Sanity: the rules did look at our resources (a security-group rule exists and is checked).
    assert len([r for r in graph.resources if any(t in r.urn for t in OURS)]) > 80
