"""Orchestrator, mwaa mode: private environment, own security group, KMS, DAG bucket, least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest
from document_checks import statements, wildcard_problems
from orchestrator_helpers import ACCOUNT, LAKE_KEY, ZONES, orchestrator_program, plain_secrets, stack_config

from components.orchestration.config import MwaaConfig
from components.orchestration.mwaa import (
    LOG_COMPONENTS,
    execution_policy,
    execution_trust_policy,
    key_policy,
    logging_configuration,
)
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ENVIRONMENT = "aws:mwaa/environment:Environment"
# Actions AWS offers no resource ARN for; allowed on "*" (read-only, or bound by a condition).
STAR_ACTIONS = frozenset({"logs:DescribeLogGroups", "s3:GetAccountPublicAccessBlock", "cloudwatch:PutMetricData"})


@pytest.fixture(scope="module")
def mwaa() -> tuple[Graph, dict[str, Any]]:
    config = stack_config("dev").orchestrator.model_copy(
        update={"mode": "mwaa", "mwaa": MwaaConfig(airflow_version="3.0.6", log_levels={"task": "DEBUG"})}
    )
    capture: dict[str, Any] = {}
    graph = run_program(orchestrator_program(config, capture), config={"aws:region": "eu-west-1"})
    return graph, capture


def _one(graph: Graph, type_: str, suffix: str = "") -> Registration:
    found = [r for r in graph.by_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def test_environment_controls(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = mwaa
    environment = _one(graph, ENVIRONMENT).inputs
    assert environment["name"] == "dev-airflow"
    assert environment["webserverAccessMode"] == "PRIVATE_ONLY"
    assert environment["airflowVersion"] == "3.0.6"
    assert environment["networkConfiguration"]["subnetIds"] == ["subnet-priv-a", "subnet-priv-b"]
    (group_id,) = environment["networkConfiguration"]["securityGroupIds"]
    assert group_id.startswith("sg-")
    key = _one(graph, "aws:kms/key:Key", "mwaa-key")
    assert environment["kmsKey"].startswith("arn:aws:kms:")
    assert key.urn in _one(graph, ENVIRONMENT).property_dependencies["kmsKey"]
    assert environment["loggingConfiguration"]["taskLogs"] == {"enabled": True, "logLevel": "DEBUG"}
    assert environment["loggingConfiguration"]["schedulerLogs"] == {"enabled": True, "logLevel": "WARNING"}
    assert all(block["enabled"] is True for block in environment["loggingConfiguration"].values())
    assert environment["dagS3Path"] == "dags/"
    assert environment["minWorkers"] == 1 and environment["maxWorkers"] == 5


def test_security_group_admits_only_itself(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, capture = mwaa
    group = _one(graph, "aws:ec2/securityGroup:SecurityGroup", "mwaa-sg")
    environment = _one(graph, ENVIRONMENT)
    assert group.urn in environment.property_dependencies["networkConfiguration"]
    ingress = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(ingress) == 1
    assert "cidrIpv4" not in ingress[0].inputs
    assert ingress[0].inputs["referencedSecurityGroupId"] == ingress[0].inputs["securityGroupId"]
    egress = {r.name: r.inputs for r in graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")}
    https = egress["orchestrator-mwaa-https-egress"]
    assert (https["fromPort"], https["toPort"], https["ipProtocol"]) == (443, 443, "tcp")
    destination = capture["orchestrator"].destination
    assert destination.cidrs == ("10.40.0.0/20", "10.40.16.0/20")
    (flow,) = capture["orchestrator"].flows  # MWAA -> the interface endpoints, from its own group
    assert (flow.source.name, flow.destination.name, flow.port) == ("mwaa/dev", "vpc-endpoints", 443)


def test_dag_bucket_is_versioned_private_and_encrypted(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = mwaa
    bucket = _one(graph, "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == f"dev-airflow-dags-{ACCOUNT}-eu-west-1"
    environment = _one(graph, ENVIRONMENT).inputs
    assert environment["sourceBucketArn"] == f"arn:aws:s3:::dev-airflow-dags-{ACCOUNT}-eu-west-1"
    versioning = _one(graph, "aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    block = _one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = _one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


def test_execution_role(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = mwaa
    role = _one(graph, "aws:iam/role:Role", "execution-role").inputs
    principals = json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
    assert sorted(principals) == ["airflow-env.amazonaws.com", "airflow.amazonaws.com"]
    policy = _one(graph, "aws:iam/rolePolicy:RolePolicy", "execution-policy").inputs["policy"]
    assert wildcard_problems(policy, allowed_star=STAR_ACTIONS) == []
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["PublishMetrics"]["Resource"] == [f"arn:aws:airflow:eu-west-1:{ACCOUNT}:environment/dev-airflow"]
    assert by_sid["WriteOwnLogs"]["Resource"] == [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:airflow-dev-airflow-*"]
    assert by_sid["PutMwaaMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}}
    assert by_sid["ReadZoneRawObjects"]["Resource"] == [f"{ZONES['raw']}/*"]
    assert "s3:PutObject" in by_sid["WriteZoneCuratedObjects"]["Action"]
    assert by_sid["LakeKey"]["Resource"] == [LAKE_KEY]


def test_outputs(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = mwaa
    assert graph.outputs["environment_arn"] == f"arn:aws:airflow:eu-west-1:{ACCOUNT}:environment/dev-airflow"
    assert graph.outputs["webserver_url"].endswith(".airflow.eu-west-1.on.aws")
    assert "namespace" not in graph.outputs


def test_no_kubernetes_or_database_in_mwaa_mode(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = mwaa
    orchestrator = _one(graph, "mlops:orchestrator:Orchestrator")
    descendants = _descendants(graph, orchestrator.urn)
    assert not any(r.type.startswith("kubernetes:") for r in descendants)
    assert not graph.by_type("aws:rds/instance:Instance")
    assert [f for r in graph.resources for f in plain_secrets(r.inputs)] == []


def _descendants(graph: Graph, urn: str) -> list[Registration]:
    out: list[Registration] = []
    for child in graph.children(urn):
        out.append(child)
        out.extend(_descendants(graph, child.urn))
    return out


def test_execution_policy_without_zones_and_with_a_missing_key() -> None:
    policy = execution_policy(
        account_id=ACCOUNT,
        region="eu-west-1",
        name="dev-airflow",
        dag_bucket_arn="arn:aws:s3:::dags",
        dag_key_arn="arn:aws:kms:eu-west-1:123456789012:key/dags",
        env_key_arn="arn:aws:kms:eu-west-1:123456789012:key/env",
    )
    assert not any("Zone" in s["Sid"] for s in statements(policy))
    with pytest.raises(ValueError, match="zone_key_arn"):
        execution_policy(
            account_id=ACCOUNT,
            region="eu-west-1",
            name="dev-airflow",
            dag_bucket_arn="arn:aws:s3:::dags",
            dag_key_arn="k",
            env_key_arn="k",
            zone_reads={"raw": "arn:aws:s3:::raw"},
        )


def test_trust_and_key_policies() -> None:
    assert "sts:AssumeRole" in execution_trust_policy()
    statements_ = statements(key_policy(ACCOUNT, "eu-west-1", "dev-airflow"))
    logs = next(s for s in statements_ if s["Sid"] == "CloudWatchLogsForThisEnvironment")
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    arn_like = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert arn_like == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:airflow-dev-airflow-*"


def test_logging_configuration_defaults_and_errors() -> None:
    blocks = logging_configuration()
    assert set(blocks) == set(LOG_COMPONENTS.values())
    assert blocks["task_logs"]["log_level"] == "INFO"
    with pytest.raises(ValueError, match="unknown MWAA log components"):
        logging_configuration({"web": "INFO"})


def test_policy_pack_finds_nothing_of_ours(mwaa: tuple[Graph, dict[str, Any]]) -> None:
    violations = evaluate(mwaa[0]).violations
    # Owned elsewhere: the VPC CNI's enforcement (the cluster), the operator namespace's default-deny (ZeroTrust).
    owned_elsewhere = {"eks-addon-network-policy-enforced", "k8s-namespace-default-deny"}
    ours = {(v.policy, v.level) for v in violations if v.policy not in owned_elsewhere}
    # The DAG bucket has no access-log bucket to deliver to in this test (no lake): advisory only.
    assert ours == {("s3-bucket-access-logging", "advisory")}
