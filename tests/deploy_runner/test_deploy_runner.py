"""DeployRunner under the offline engine, and the shipped stacks' deployer principal.

The component is built alone (as MlopsPlatform wires it: a provider with the required default tags) from
the dev stack's ``deploy.runner`` section; the stack tests read the dev/prod/phoenix plans.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.config import PlatformConfig, load_stack_file
from components.deploy import runner_values as values
from components.deploy.config import RunnerConfig
from components.deploy.runner import DeployRunner, DeployRunnerArgs, validate_args
from mlopsctl.connectivity import connectivity
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
SUBNETS = ["subnet-0a", "subnet-0b"]
ENDPOINTS_SG = "sg-0endpoints"
CONNECTION = f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/0a1b2c3d-4e5f"

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KEY = "aws:kms/key:Key"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
STACKS = ("dev", "prod", "phoenix")


def stack(name: str) -> PlatformConfig:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml")


def runner_config(**update: Any) -> RunnerConfig:
    config = stack("dev").deploy.runner
    assert config is not None
    return config.model_copy(update=update)


def args(config: RunnerConfig | None = None, **update: Any) -> DeployRunnerArgs:
    base: dict[str, Any] = {
        "config": config or runner_config(),
        "environment": "dev",
        "region": "eu-west-1",
        "account_id": ACCOUNT,
        "vpc_id": "vpc-0123",
        "vpc_cidr": "10.40.0.0/16",
        "subnet_ids": SUBNETS,
        "endpoints_security_group_id": ENDPOINTS_SG,
    }
    return DeployRunnerArgs(**{**base, **update})


class Built:
    def __init__(self, graph: Graph, runner: DeployRunner) -> None:
        self.graph, self.runner = graph, runner

    def one(self, type_: str, name: str | None = None) -> Registration:
        matches = [r for r in self.graph.by_type(type_) if name is None or r.name == name]
        assert len(matches) == 1, [r.name for r in matches]
        return matches[0]

    def document(self, type_: str, name: str, key: str = "policy") -> dict[str, Any]:
        return dict(json.loads(self.one(type_, name).inputs[key]))


def build(runner_args: DeployRunnerArgs) -> Built:
    holder: list[DeployRunner] = []
    tags = stack("dev").required_tags

    def program() -> None:
        provider = aws.Provider("aws", region="eu-west-1", default_tags=aws.ProviderDefaultTagsArgs(tags=tags))
        runner = DeployRunner("deploy-runner", runner_args, opts=pulumi.ResourceOptions(providers={"aws": provider}))
        holder.append(runner)
        pulumi.export("roleArn", runner.role_arn)
        pulumi.export("securityGroupId", runner.security_group_id)
        pulumi.export("projectName", runner.project_name)
        pulumi.export("runnerLabel", runner.runner_label)

    return Built(run_program(program, config={"aws:region": "eu-west-1"}), holder[0])


@pytest.fixture(scope="module")
def dev() -> Built:
    return build(args())


@pytest.fixture(scope="module")
def connected() -> Built:
    extra = f"arn:aws:iam::{ACCOUNT}:policy/pulumi-state-backend"
    return build(args(runner_config(connection_arn=CONNECTION, extra_policy_arns=[extra], timeout_minutes=60)))


# --- the project and its webhook --------------------------------------------------------------------------


def test_project_runs_in_the_private_subnets_behind_its_own_group(dev: Built) -> None:
    project = dev.one(PROJECT).inputs
    group = dev.graph.outputs["securityGroupId"]
    assert project["name"] == "mlops-dev-deploy"
    assert project["vpcConfig"] == {"vpcId": "vpc-0123", "subnets": SUBNETS, "securityGroupIds": [group]}
    assert project["environment"] == {
        "type": "LINUX_CONTAINER",
        "computeType": "BUILD_GENERAL1_MEDIUM",
        "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
        "imagePullCredentialsType": "CODEBUILD",
        "privilegedMode": False,
    }
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}
    assert project["serviceRole"] == dev.graph.outputs["roleArn"]
    assert project["buildTimeout"] == 120
    assert project["source"] == {
        "type": "GITHUB",
        "location": "https://github.com/example-org/mlops-platform.git",
        "gitCloneDepth": 1,
    }


def test_project_is_encrypted_and_logs_to_its_group(dev: Built) -> None:
    project, key, logs = dev.one(PROJECT), dev.one(KEY), dev.one(LOG_GROUP)
    key_urn = key.urn
    assert project.inputs["encryptionKey"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert key_urn in project.property_dependencies["encryptionKey"]
    assert project.inputs["logsConfig"] == {
        "cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/mlops-dev-deploy"},
        "s3Logs": {"status": "DISABLED"},
    }
    assert logs.inputs["name"] == "/aws/codebuild/mlops-dev-deploy"
    assert logs.inputs["retentionInDays"] == 90
    assert logs.inputs["kmsKeyId"] == project.inputs["encryptionKey"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["AccountAdministersKey"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    logs_use = statements["CloudWatchLogsForRunnerLogs"]
    assert logs_use["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs_use["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/mlops-dev-deploy"
            )
        }
    }


def test_project_waits_for_its_permissions_and_log_group(dev: Built) -> None:
    project = dev.one(PROJECT)
    needed = {r.urn for r in dev.graph.by_type(ROLE_POLICY)} | {dev.one(LOG_GROUP).urn}
    assert needed <= set(project.dependencies)


def test_webhook_registers_the_project_as_a_github_actions_runner(dev: Built) -> None:
    webhook = dev.one(WEBHOOK).inputs
    assert webhook == {
        "projectName": "mlops-dev-deploy",
        "buildType": "BUILD",
        "filterGroups": [
            {
                "filters": [
                    {"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"},
                    # Only the platform's workflows: a new workflow file cannot borrow the deployer's role.
                    {"type": "WORKFLOW_NAME", "pattern": "^(deploy|e2e|phoenix|preview)$"},
                ]
            }
        ],
    }
    assert dev.graph.outputs["projectName"] == "mlops-dev-deploy"
    assert dev.graph.outputs["runnerLabel"] == "codebuild-mlops-dev-deploy"


def test_codeconnections_timeout_and_extra_policies(connected: Built, dev: Built) -> None:
    project = connected.one(PROJECT).inputs
    assert project["source"]["auth"] == {"type": "CODECONNECTIONS", "resource": CONNECTION}
    assert project["buildTimeout"] == 60
    assert "auth" not in dev.one(PROJECT).inputs["source"]
    (attachment,) = connected.graph.by_type(ATTACHMENT)
    assert attachment.inputs["policyArn"] == f"arn:aws:iam::{ACCOUNT}:policy/pulumi-state-backend"
    assert not dev.graph.by_type(ATTACHMENT)
    use = next(
        s
        for s in connected.document(ROLE_POLICY, "deploy-runner-runner-policy")["Statement"]
        if "Connection" in s["Sid"]
    )
    assert use["Resource"] == [CONNECTION]
    assert all(action.startswith("codeconnections:") for action in use["Action"])


# --- network --------------------------------------------------------------------------------------------


def test_security_group_has_egress_only_and_says_what_each_rule_is_for(dev: Built) -> None:
    group = dev.one(SECURITY_GROUP)
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    assert not dev.graph.by_type(INGRESS)  # nothing may connect to the runner
    rules = {
        (
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs.get("cidrIpv4"),
            r.inputs.get("referencedSecurityGroupId"),
        )
        for r in dev.graph.by_type(EGRESS)
    }
    assert rules == {
        ("tcp", 443, "0.0.0.0/0", None),
        ("tcp", 443, None, ENDPOINTS_SG),
        ("udp", 53, "10.40.0.2/32", None),
        ("tcp", 53, "10.40.0.2/32", None),
    }
    assert all(
        r.inputs["toPort"] == r.inputs["fromPort"] and r.inputs["description"] for r in dev.graph.by_type(EGRESS)
    )
    assert {r.inputs["securityGroupId"] for r in dev.graph.by_type(EGRESS)} == {dev.graph.outputs["securityGroupId"]}


def test_without_an_endpoints_group_there_is_no_endpoint_rule() -> None:
    built = build(args(endpoints_security_group_id=None))
    assert ENDPOINTS_SG not in {r.inputs.get("referencedSecurityGroupId") for r in built.graph.by_type(EGRESS)}
    assert len(built.graph.by_type(EGRESS)) == 3


# --- identity -------------------------------------------------------------------------------------------


def test_role_is_trusted_by_codebuild_for_this_project_only(dev: Built) -> None:
    (statement,) = dev.document(ROLE, "deploy-runner-role", "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {
            "aws:SourceArn": [
                f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/mlops-dev-deploy",
                f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:build/mlops-dev-deploy:*",
            ]
        },
    }


def test_runner_needs_are_scoped_to_its_subnets_group_and_key(dev: Built) -> None:
    statements = {s["Sid"]: s for s in dev.document(ROLE_POLICY, "deploy-runner-runner-policy")["Statement"]}
    grant = statements["AttachBuildInterfaces"]
    assert grant["Condition"] == {
        "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
        "ArnEquals": {"ec2:Subnet": [f"arn:aws:ec2:eu-west-1:{ACCOUNT}:subnet/{s}" for s in SUBNETS]},
    }
    assert statements["WriteBuildLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/mlops-dev-deploy",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/mlops-dev-deploy:*",
    ]
    assert statements["UseRunnerKey"]["Resource"] == [dev.one(PROJECT).inputs["encryptionKey"]]


def test_deploy_permissions_are_fenced_to_the_account_region_and_environment(dev: Built) -> None:
    document = dev.document(ROLE_POLICY, "deploy-runner-deploy-policy")
    assert document == json.loads(values.deploy_policy(account=ACCOUNT, region="eu-west-1", environment="dev"))
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["StayInThisRegion"]["Effect"] == "Deny"
    assert statements["StayInThisRegion"]["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert statements["EnvironmentBuckets"]["Resource"] == ["arn:aws:s3:::dev-*", "arn:aws:s3:::dev-*/*"]
    assert statements["ManageEnvironmentRoles"]["Condition"] == {"StringEquals": {"aws:ResourceTag/environment": "dev"}}


def test_the_pack_finds_nothing_wrong_with_the_runner(dev: Built, connected: Built) -> None:
    for built in (dev, connected):
        report = evaluate(built.graph)
        assert [(v.policy, v.message) for v in report.violations if v.level == "mandatory"] == []


# --- validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"internet_egress": False}, "DeployRunnerArgs.internet_egress is false (network.nat none)"),
        ({"vpc_cidr": "10.40.0.1/16"}, "DeployRunnerArgs.vpc_cidr: '10.40.0.1/16' is not an IPv4 CIDR"),
        ({"environment": "Dev_1"}, "environment 'Dev_1' must match"),
        ({"region": "europe"}, "region 'europe' is not an AWS region"),
        ({"account_id": "12345"}, "account_id '12345' is not a 12-digit AWS account id"),
        (
            {"region": "cn-north-1"},
            "DeployRunnerArgs.config.connection_arn: 'arn:aws:codeconnections:",
        ),
        (
            {"config": runner_config(extra_policy_arns=["arn:aws-cn:iam::123456789012:policy/state"])},
            "DeployRunnerArgs.config.extra_policy_arns: 'arn:aws-cn:iam::123456789012:policy/state' is not in the "
            "partition of region 'eu-west-1' (aws)",
        ),
    ],
)
def test_impossible_arguments_are_rejected_before_anything_exists(update: dict[str, Any], message: str) -> None:
    base = args(runner_config(connection_arn=CONNECTION)) if "region" in update else args()
    bad = DeployRunnerArgs(**{**base.__dict__, **update})
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_args(bad)


def test_a_rejected_runner_creates_nothing() -> None:
    with pytest.raises(Exception, match="internet_egress"):
        build(args(internet_egress=False))


# --- the shipped stacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STACKS)
def test_the_cluster_admin_is_the_runner_role_once(name: str, graph_of: Callable[[str], Graph]) -> None:
    graph = graph_of(name)
    (project,) = graph.by_type(PROJECT)
    runner_role = project.inputs["serviceRole"]
    assert ":role/deploy-runner-role-" in runner_role
    entries = {r.name: r.inputs["principalArn"] for r in graph.by_type(ACCESS_ENTRY)}
    assert entries["serving-deployer"] == runner_role
    # One access entry (and one admin association) per principal; nothing from the session running pulumi.
    assert all(n == 1 for n in Counter(entries.values()).values())
    associations = Counter(r.inputs["principalArn"] for r in graph.by_type(ACCESS_POLICY))
    assert all(n == 1 for n in associations.values()) and associations[runner_role] == 1
    assert not [p for p in entries.values() if "assumed-role" in p or p.endswith(":role/mlops-deploy")]
    environment = stack(name).environment
    assert graph.outputs["deployRunnerProject"] == f"mlops-{environment}-deploy"
    assert graph.outputs["deployRunnerLabel"] == f"codebuild-mlops-{environment}-deploy"


@pytest.mark.parametrize("name", STACKS)
def test_the_runner_reaches_the_api_through_a_declared_group_to_group_flow(
    name: str, graph_of: Callable[[str], Graph]
) -> None:
    graph = graph_of(name)
    (project,) = graph.by_type(PROJECT)
    (runner_group,) = project.inputs["vpcConfig"]["securityGroupIds"]
    (cluster,) = graph.by_type("aws:eks/cluster:Cluster")
    from_runner = [r for r in graph.by_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == runner_group]
    # Two: the API (on the cluster group) and the interface endpoints (on theirs).
    assert len(from_runner) == 2
    ingress = [r for r in from_runner if r.property_dependencies["securityGroupId"] == (cluster.urn,)]
    assert len(ingress) == 1
    rule = ingress[0].inputs
    assert rule["fromPort"] == rule["toPort"] == 443 and rule["ipProtocol"] == "tcp"
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule and "prefixListId" not in rule
    # On the EKS cluster security group (the control-plane ENIs' group), which the cluster outputs.
    assert ingress[0].property_dependencies["securityGroupId"] == (cluster.urn,)
    assert rule["securityGroupId"].startswith("sg-") and rule["securityGroupId"] != runner_group
    egress = [
        r.inputs
        for r in graph.by_type(EGRESS)
        if r.inputs["securityGroupId"] == runner_group
        and r.inputs.get("referencedSecurityGroupId") == rule["securityGroupId"]
    ]
    assert len(egress) == 1 and egress[0]["fromPort"] == 443
    flows = graph.outputs["zeroTrustFlows"]
    row = next(f for f in flows if f["source"] == "deploy-runner" and f["destination"] == "eks-api-endpoint")
    assert row == {
        "source": "deploy-runner",
        "destination": "eks-api-endpoint",
        "port": 443,
        "protocol": "TCP",
        "destinationKind": "aws",
        "destinationCidrs": row["destinationCidrs"],
        "sourceKind": "aws",
    }
    matrix = connectivity(graph)
    runner_rows = [r for r in matrix.rows if r.source == "deploy-runner"]
    assert {r.destination.split(" / ")[0] for r in runner_rows} == {"eks-api-endpoint", "vpc-endpoints"}
    assert all(r.layer == "aws" and r.status == "ok" for r in runner_rows) and matrix.ok


def test_every_workflow_that_runs_on_the_runner_is_admitted_by_its_webhook() -> None:
    import re

    import yaml

    from components.deploy.config import RunnerConfig

    admitted = set(RunnerConfig(repository="o/r").workflows)
    using = set()
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"codebuild-", text):
            using.add(yaml.safe_load(text)["name"])
    assert using and using <= admitted, sorted(using - admitted)


def test_config_accepts_a_runner_without_nat_and_refuses_unknown_workflow_names() -> None:
    # nat none keeps the runner: the network gives it its own subnets and NAT (docs/adr/0003-registry-and-air-gap.md).
    from components.config import load_stack_file, parse_config
    from contracts.errors import ConfigError
    from contracts.stackfile import read_stack_values

    raw = read_stack_values(ROOT / "stacks" / "Pulumi.dev.yaml")
    assert load_stack_file(ROOT / "stacks" / "Pulumi.dev.yaml").deploy.runner is not None
    endpoints = ["ecr.api", "ecr.dkr", "s3", "sts", "logs", "secretsmanager", "kms", "ec2", "autoscaling", "eks"]
    no_nat = {**raw, "mlops:network": {**raw["mlops:network"], "nat": "none", "interfaceEndpoints": endpoints}}
    no_nat.pop("mlops:access")  # its people entry needs NAT (the load balancer calls the IdP)
    assert parse_config(no_nat, stack="dev", source="stacks/Pulumi.dev.yaml").deploy.runner is not None
    odd = {**raw, "mlops:deploy": {"runner": {**raw["mlops:deploy"]["runner"], "workflows": ["a|b"]}}}
    with pytest.raises(ConfigError) as caught:
        parse_config(odd, stack="dev", source="stacks/Pulumi.dev.yaml")
    assert caught.value.problems == [
        "mlops:deploy.runner.workflows: 'a|b' is not a workflow name (letters, digits, space, '.', '_', '-')"
    ]
