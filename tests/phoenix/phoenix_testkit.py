"""Shared pieces of the phoenix tests: moto (in-process and server), a fleet builder, a fake workspace.

A uniquely named module (not conftest) so test modules can import from it; conftest.py re-exports
the fixtures.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "eu-central-1"
MOTO_AMI = "ami-12c6146b"  # one of moto's built-in images (listing them all is slow)
NOW = "2026-06-01T00:00:00Z"
PAST = "2026-05-01T12:00:00Z"
FUTURE = "2026-07-01T00:00:00Z"

EXPIRED = {"mlops:phoenix": "true", "mlops:expires-at": PAST, "mlops:environment": "pr-7", "mlops:owner": "alice"}
# The five decoys of the issue: each must survive every sweep.
DECOYS: dict[str, dict[str, str]] = {
    "untagged": {},
    "other-env": {"mlops:environment": "prod", "environment": "prod", "mlops:expires-at": PAST},
    "not-expired": {**EXPIRED, "mlops:expires-at": FUTURE},
    "unparseable": {**EXPIRED, "mlops:expires-at": "next tuesday"},
    "phoenix-false": {**EXPIRED, "mlops:phoenix": "false"},
}
# Decoys carrying a phoenix tag are listed as "kept" in the report; the untagged one is not listed.
MARKED_DECOYS = ("other-env", "not-expired", "unparseable", "phoenix-false")

POLICY_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
)
TRUST_DOC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def kv(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def spec(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": kv(tags)}] if tags else []


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region; never the developer's real profile."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # moto loads thousands of AMIs into every EC2 backend unless told not to; the fleet uses one id.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


_SESSIONS: list[Any] = []


def shared_session() -> Any:
    """One boto3 session for all tests: a new session re-reads every service model (seconds each time)."""
    if not _SESSIONS:
        # moto has no trust stores nor Verified Access: their listings answer empty (moto_gaps.py).
        _SESSIONS.append(moto_gaps.register(boto3.session.Session(region_name=REGION)))
    return _SESSIONS[0]


@pytest.fixture
def moto_session(aws_env: None) -> Iterator[Any]:
    """A fresh in-process moto account; yields the shared boto3 session (moto intercepts its clients)."""
    with mock_aws():
        yield shared_session()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_server_url() -> Iterator[str]:
    """A ``moto_server`` on 127.0.0.1 and a random free port, stopped after the module."""
    port = _free_port()
    exe = Path(sys.executable).with_name("moto_server")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moto.server"]
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    proc = subprocess.Popen(
        [*cmd, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def reset_moto_server(url: str) -> None:
    """Wipe all state of a running moto_server."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


# --- the fleet ----------------------------------------------------------------------------------------


@dataclass
class Fleet:
    """What was created: expired resources and decoys, each with a callable telling if it still exists."""

    expired: dict[tuple[str, str], Callable[[], bool]] = field(default_factory=dict)
    decoys: dict[tuple[str, str], Callable[[], bool]] = field(default_factory=dict)
    decoy_labels: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, kind: str, ident: str, exists: Callable[[], bool], label: str | None = None) -> None:
        if label is None:
            self.expired[(kind, ident)] = exists
        else:
            self.decoys[(kind, ident)] = exists
            self.decoy_labels[(kind, ident)] = label

    def marked_decoys(self) -> set[tuple[str, str]]:
        return {key for key, label in self.decoy_labels.items() if label in MARKED_DECOYS}


def _exists(fn: Callable[[], Any], *gone_codes: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return bool(fn())
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in gone_codes or "NotFound" in code or code in ("NoSuchEntity", "NoSuchBucket"):
                return False
            raise

    return check


class FleetBuilder:
    """Creates phoenix resources across every swept kind in one region of a (moto) account."""

    def __init__(self, session: Any, region: str = REGION, endpoint_url: str | None = None) -> None:
        self.session = session
        self.region = region
        self.endpoint_url = endpoint_url
        self.fleet = Fleet()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url
            )
        return self._clients[service]

    # -- the connected platform, all expired ----------------------------------------------------------

    def platform(self, name: str = "pr7", tags: Mapping[str, str] = EXPIRED) -> None:
        """A VPC with everything the platform puts in it, plus the data, IAM, registry and key resources."""
        ec2, f = self.client("ec2"), self.fleet
        ecr = self.client("ecr")
        repo = f"mlops/{name}/model-servers"
        ecr.create_repository(repositoryName=repo, tags=kv(tags))
        f.add("ecr:repository", repo, _exists(lambda: ecr.describe_repositories(repositoryNames=[repo])))
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc", tags))["Vpc"]["VpcId"]
        f.add("ec2:vpc", vpc, self._ec2_exists("describe_vpcs", "VpcIds", vpc, "Vpcs"))
        subnets = []
        for i, az in enumerate("ab"):
            subnet = ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=f"10.0.{i}.0/24",
                AvailabilityZone=f"{self.region}{az}",
                TagSpecifications=spec("subnet", tags),
            )["Subnet"]["SubnetId"]
            subnets.append(subnet)
            f.add("ec2:subnet", subnet, self._ec2_exists("describe_subnets", "SubnetIds", subnet, "Subnets"))
        igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", tags))["InternetGateway"][
            "InternetGatewayId"
        ]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        f.add(
            "ec2:internet-gateway",
            igw,
            self._ec2_exists("describe_internet_gateways", "InternetGatewayIds", igw, "InternetGateways"),
        )
        rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", tags))["RouteTable"][
            "RouteTableId"
        ]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[0])
        f.add("ec2:route-table", rt, self._ec2_exists("describe_route_tables", "RouteTableIds", rt, "RouteTables"))
        nat_eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", tags))["AllocationId"]
        f.add("ec2:elastic-ip", nat_eip, self._eip_exists(nat_eip))
        nat = ec2.create_nat_gateway(
            SubnetId=subnets[0], AllocationId=nat_eip, TagSpecifications=spec("natgateway", tags)
        )["NatGateway"]["NatGatewayId"]
        f.add("ec2:nat-gateway", nat, self._nat_exists(nat))
        eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", tags))["AllocationId"]
        f.add("ec2:elastic-ip", eip, self._eip_exists(eip))
        groups = []
        for role in ("app", "db"):
            sg = ec2.create_security_group(
                GroupName=f"{name}-{role}",
                Description=role,
                VpcId=vpc,
                TagSpecifications=spec("security-group", tags),
            )["GroupId"]
            groups.append(sg)
            f.add(
                "ec2:security-group", sg, self._ec2_exists("describe_security_groups", "GroupIds", sg, "SecurityGroups")
            )
        # Groups that reference each other: deletable only after their rules are revoked.
        for src, dst in ((groups[0], groups[1]), (groups[1], groups[0])):
            ec2.authorize_security_group_ingress(
                GroupId=dst,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": src}]}
                ],
            )
        eni = ec2.create_network_interface(
            SubnetId=subnets[0], Groups=[groups[0]], TagSpecifications=spec("network-interface", tags)
        )["NetworkInterface"]["NetworkInterfaceId"]
        f.add(
            "ec2:network-interface",
            eni,
            self._ec2_exists("describe_network_interfaces", "NetworkInterfaceIds", eni, "NetworkInterfaces"),
        )
        image = MOTO_AMI
        instance = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnets[1],
            SecurityGroupIds=[groups[1]],
            TagSpecifications=spec("instance", tags),
        )["Instances"][0]["InstanceId"]
        f.add("ec2:instance", instance, self._instance_exists(instance))
        lt = ec2.create_launch_template(
            LaunchTemplateName=f"{name}-nodes",
            LaunchTemplateData={"ImageId": image, "TagSpecifications": spec("instance", tags)},
            TagSpecifications=spec("launch-template", tags),
        )["LaunchTemplate"]["LaunchTemplateId"]
        f.add(
            "ec2:launch-template",
            lt,
            self._ec2_exists("describe_launch_templates", "LaunchTemplateIds", lt, "LaunchTemplates"),
        )
        endpoint = ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{self.region}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[rt],
            TagSpecifications=spec("vpc-endpoint", tags),
        )["VpcEndpoint"]["VpcEndpointId"]
        f.add("ec2:vpc-endpoint", endpoint, self._endpoint_exists(endpoint))
        self._load_balancer(name, vpc, subnets, groups[0], tags)
        role_arn = self._iam_role(f"{name}-node", tags)
        self._eks(name, subnets, role_arn, tags)
        self._codebuild(name, vpc, subnets, groups[0], role_arn, tags)
        self._rds(name, subnets, tags)
        self.bucket(f"{name}-lake", tags, versions=3)
        self.simple_kinds(name, tags)
        self._alerting(name, tags)

    def _alerting(self, name: str, tags: Mapping[str, str]) -> None:
        """The alert topic (with an e-mail subscription) and an alarm on it. Budgets are covered by
        test_phoenix_observability.py: moto keeps no Budgets tags, so a tagged budget cannot be built here."""
        sns, cloudwatch, f = self.client("sns"), self.client("cloudwatch"), self.fleet
        topic = sns.create_topic(Name=f"mlops-{name}-alerts", Tags=kv(tags))["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        f.add("sns:topic", topic, _exists(lambda: sns.get_topic_attributes(TopicArn=topic)))
        alarm = f"mlops-{name}-cluster-crash-loops"
        cloudwatch.put_metric_alarm(
            AlarmName=alarm,
            Namespace="ContainerInsights",
            MetricName="pod_container_status_waiting_reason_crash_loop_back_off",
            Statistic="Maximum",
            Period=300,
            EvaluationPeriods=3,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
            Tags=kv(tags),
        )
        f.add("cloudwatch:alarm", alarm, lambda: bool(cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]))

    def _load_balancer(self, name: str, vpc: str, subnets: list[str], sg: str, tags: Mapping[str, str]) -> None:
        elb, f = self.client("elbv2"), self.fleet
        lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=subnets, SecurityGroups=[sg], Tags=kv(tags))[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc, Tags=kv(tags))[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        elb.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}]
        )
        f.add("elbv2:load-balancer", lb, _exists(lambda: elb.describe_load_balancers(LoadBalancerArns=[lb])))
        f.add("elbv2:target-group", tg, _exists(lambda: elb.describe_target_groups(TargetGroupArns=[tg])))

    def _eks(self, name: str, subnets: list[str], role_arn: str, tags: Mapping[str, str]) -> None:
        eks, f = self.client("eks"), self.fleet
        cluster = f"{name}-serving"
        eks.create_cluster(name=cluster, roleArn=role_arn, resourcesVpcConfig={"subnetIds": subnets}, tags=dict(tags))
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=f"{name}-cpu", subnets=subnets, nodeRole=role_arn, tags=dict(tags)
        )
        f.add("eks:cluster", cluster, _exists(lambda: eks.describe_cluster(name=cluster)))
        f.add(
            "eks:nodegroup",
            f"{name}-cpu",
            _exists(lambda: eks.describe_nodegroup(clusterName=cluster, nodegroupName=f"{name}-cpu")),
        )

    def _codebuild(
        self, name: str, vpc: str, subnets: list[str], sg: str, role_arn: str, tags: Mapping[str, str]
    ) -> None:
        """The stack's in-VPC deploy runner (CodeBuild tags are lowercase ``key``/``value`` pairs)."""
        codebuild, f = self.client("codebuild"), self.fleet
        project = f"mlops-{name}-deploy"
        codebuild.create_project(
            name=project,
            source={"type": "GITHUB", "location": "https://github.com/example-org/mlops-platform.git"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
                "computeType": "BUILD_GENERAL1_MEDIUM",
            },
            serviceRole=role_arn,
            vpcConfig={"vpcId": vpc, "subnets": subnets, "securityGroupIds": [sg]},
            tags=[{"key": k, "value": v} for k, v in tags.items()],
        )
        f.add(
            "codebuild:project",
            project,
            lambda: bool(codebuild.batch_get_projects(names=[project])["projects"]),
        )

    def _rds(self, name: str, subnets: list[str], tags: Mapping[str, str]) -> None:
        rds, f = self.client("rds"), self.fleet
        rds.create_db_subnet_group(
            DBSubnetGroupName=f"{name}-db", DBSubnetGroupDescription="d", SubnetIds=subnets, Tags=kv(tags)
        )
        rds.create_db_parameter_group(
            DBParameterGroupName=f"{name}-pg", DBParameterGroupFamily="postgres16", Description="d", Tags=kv(tags)
        )
        rds.create_db_instance(
            DBInstanceIdentifier=f"{name}-tracking",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="mlflow",
            MasterUserPassword="not-a-real-password",
            DBSubnetGroupName=f"{name}-db",
            DBParameterGroupName=f"{name}-pg",
            Tags=kv(tags),
        )
        f.add(
            "rds:db-instance",
            f"{name}-tracking",
            _exists(lambda: rds.describe_db_instances(DBInstanceIdentifier=f"{name}-tracking")["DBInstances"]),
        )
        f.add(
            "rds:db-subnet-group",
            f"{name}-db",
            _exists(lambda: rds.describe_db_subnet_groups(DBSubnetGroupName=f"{name}-db")["DBSubnetGroups"]),
        )
        f.add(
            "rds:db-parameter-group",
            f"{name}-pg",
            _exists(lambda: rds.describe_db_parameter_groups(DBParameterGroupName=f"{name}-pg")["DBParameterGroups"]),
        )

    def _iam_role(self, name: str, tags: Mapping[str, str], label: str | None = None) -> str:
        iam, f = self.client("iam"), self.fleet
        arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_DOC, Tags=kv(tags))["Role"]["Arn"])
        f.add("iam:role", name, _exists(lambda: iam.get_role(RoleName=name)), label)
        if label is None:
            # The role's policies and instance profile, which must go before the role can.
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=POLICY_DOC)
            policy = iam.create_policy(PolicyName=f"{name}-read", PolicyDocument=POLICY_DOC, Tags=kv(tags))["Policy"][
                "Arn"
            ]
            iam.attach_role_policy(RoleName=name, PolicyArn=policy)
            f.add("iam:policy", policy, _exists(lambda: iam.get_policy(PolicyArn=policy)))
            iam.create_instance_profile(InstanceProfileName=name, Tags=kv(tags))
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
            f.add("iam:instance-profile", name, _exists(lambda: iam.get_instance_profile(InstanceProfileName=name)))
        return arn

    # -- kinds that stand alone ------------------------------------------------------------------------

    def bucket(self, name: str, tags: Mapping[str, str], versions: int = 1, label: str | None = None) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": kv(tags)})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        for i in range(versions):
            s3.put_object(Bucket=name, Key="model.pkl", Body=f"v{i}".encode())
        s3.delete_object(Bucket=name, Key="model.pkl")  # leaves a delete marker over the versions
        s3.create_multipart_upload(Bucket=name, Key="unfinished.bin")
        self.fleet.add("s3:bucket", name, _exists(lambda: s3.head_bucket(Bucket=name), "404"), label)

    def simple_kinds(self, name: str, tags: Mapping[str, str], label: str | None = None) -> None:
        """One of each kind that needs nothing else: log group, secret, Glue db, Athena wg, KMS key."""
        f = self.fleet
        logs = self.client("logs")
        group = f"/mlops/{name}/airflow"
        logs.create_log_group(logGroupName=group, **({"tags": dict(tags)} if tags else {}))
        f.add(
            "logs:log-group",
            group,
            lambda: any(
                g["logGroupName"] == group for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
            ),
            label,
        )
        sm = self.client("secretsmanager")
        secret = sm.create_secret(Name=f"{name}/db-password", SecretString="x", Tags=kv(tags))["ARN"]
        f.add("secretsmanager:secret", secret, _exists(lambda: sm.describe_secret(SecretId=secret)), label)
        glue = self.client("glue")
        glue.create_database(DatabaseInput={"Name": f"{name}_lake"}, Tags=dict(tags))
        f.add("glue:database", f"{name}_lake", _exists(lambda: glue.get_database(Name=f"{name}_lake")), label)
        athena = self.client("athena")
        athena.create_work_group(Name=f"{name}-analysts", **({"Tags": kv(tags)} if tags else {}))
        f.add(
            "athena:workgroup",
            f"{name}-analysts",
            lambda: any(w["Name"] == f"{name}-analysts" for w in athena.list_work_groups()["WorkGroups"]),
            label,
        )
        kms = self.client("kms")
        key = kms.create_key(Description=f"{name} data", Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()])[
            "KeyMetadata"
        ]["KeyId"]
        f.add(
            "kms:key",
            key,
            lambda: kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] != "PendingDeletion",
            label,
        )

    def decoys(self) -> None:
        """Every decoy variant for every stand-alone kind, plus a live network and a live cluster."""
        for label, tags in DECOYS.items():
            slug = label.replace("-", "")
            self.bucket(f"decoy-{label}", tags, label=label)
            self.simple_kinds(f"decoy{slug}", tags, label=label)
            self._iam_role(f"decoy-{label}", tags, label=label)
            ec2 = self.client("ec2")
            lt = ec2.create_launch_template(
                LaunchTemplateName=f"decoy-{label}",
                LaunchTemplateData={"InstanceType": "t3.micro"},
                TagSpecifications=spec("launch-template", tags),
            )["LaunchTemplate"]["LaunchTemplateId"]
            self.fleet.add(
                "ec2:launch-template",
                lt,
                self._ec2_exists("describe_launch_templates", "LaunchTemplateIds", lt, "LaunchTemplates"),
                label,
            )
            eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", tags))["AllocationId"]
            self.fleet.add("ec2:elastic-ip", eip, self._eip_exists(eip), label)
        self._live_network()

    def _live_network(self) -> None:
        """A not-yet-expired VPC whose parts carry the other decoy tags: none of it may go."""
        ec2, f = self.client("ec2"), self.fleet
        live = DECOYS["not-expired"]
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=spec("vpc", live))["Vpc"]["VpcId"]
        f.add("ec2:vpc", vpc, self._ec2_exists("describe_vpcs", "VpcIds", vpc, "Vpcs"), "not-expired")
        for i, label in enumerate(("phoenix-false", "unparseable")):
            subnet = ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", TagSpecifications=spec("subnet", DECOYS[label])
            )["Subnet"]["SubnetId"]
            f.add("ec2:subnet", subnet, self._ec2_exists("describe_subnets", "SubnetIds", subnet, "Subnets"), label)
        sg = ec2.create_security_group(
            GroupName="live-app",
            Description="d",
            VpcId=vpc,
            TagSpecifications=spec("security-group", DECOYS["other-env"]),
        )["GroupId"]
        f.add(
            "ec2:security-group",
            sg,
            self._ec2_exists("describe_security_groups", "GroupIds", sg, "SecurityGroups"),
            "other-env",
        )
        eks = self.client("eks")
        eks.create_cluster(
            name="live-serving",
            roleArn="arn:aws:iam::123456789012:role/live",
            resourcesVpcConfig={"subnetIds": []},
            tags=dict(live),
        )
        f.add("eks:cluster", "live-serving", _exists(lambda: eks.describe_cluster(name="live-serving")), "not-expired")

    # -- existence checks -----------------------------------------------------------------------------------

    def _ec2_exists(self, operation: str, id_param: str, ident: str, key: str) -> Callable[[], bool]:
        ec2 = self.client("ec2")
        return _exists(lambda: getattr(ec2, operation)(**{id_param: [ident]})[key])

    def _eip_exists(self, allocation: str) -> Callable[[], bool]:
        ec2 = self.client("ec2")
        return _exists(lambda: ec2.describe_addresses(AllocationIds=[allocation])["Addresses"])

    def _nat_exists(self, nat: str) -> Callable[[], bool]:
        ec2 = self.client("ec2")
        return _exists(
            lambda: any(
                n["State"] not in ("deleted", "deleting")
                for n in ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"]
            )
        )

    def _endpoint_exists(self, endpoint: str) -> Callable[[], bool]:
        ec2 = self.client("ec2")
        return _exists(
            lambda: any(
                str(e["State"]).lower() not in ("deleted", "deleting")
                for e in ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"]
            )
        )

    def _instance_exists(self, instance: str) -> Callable[[], bool]:
        ec2 = self.client("ec2")

        def check() -> bool:
            reservations = ec2.describe_instances(InstanceIds=[instance])["Reservations"]
            states = [i["State"]["Name"] for r in reservations for i in r["Instances"]]
            return any(s not in ("terminated", "shutting-down") for s in states)

        return _exists(check)


@pytest.fixture
def fleet_builder(moto_session: Any) -> FleetBuilder:
    """A builder bound to the in-process moto account."""
    return FleetBuilder(moto_session)


# --- a fake Pulumi workspace ---------------------------------------------------------------------------


@dataclass
class FakeStack:
    config: dict[str, Any] = field(default_factory=dict)
    expiry: str | None = None
    resources: int = 0
    state: list[dict[str, Any]] = field(default_factory=list)
    """Resources of the exported state (``{"urn", "type", ...}``), for the layered operations."""


@dataclass(frozen=True)
class Operation:
    """One up/destroy as the Automation API would receive it (``targets`` None: the whole stack)."""

    kind: str
    stack: str
    targets: tuple[str, ...] | None = None
    target_dependents: bool = False


def k8s_resource(stack: str, name: str, kind: str = "kubernetes:core/v1:Namespace") -> dict[str, Any]:
    """A Kubernetes-layer resource as it appears in an exported state."""
    return {"urn": f"urn:pulumi:{stack}::mlops-platform::{kind}::{name}", "type": kind, "custom": True}


def aws_resource(stack: str, name: str, kind: str = "aws:s3/bucket:Bucket", **extra: Any) -> dict[str, Any]:
    """An AWS-layer resource as it appears in an exported state."""
    return {"urn": f"urn:pulumi:{stack}::mlops-platform::{kind}::{name}", "type": kind, "custom": True, **extra}


class FakeWorkspace:
    """In-memory PhoenixWorkspace: stacks, their config and an expiry as the real backend would record.

    ``calls`` keeps the coarse history (``("up", "pr-1")``); ``operations`` records each up/destroy with
    its exact target list, as the Automation API would receive it.
    """

    def __init__(
        self,
        stacks: dict[str, FakeStack] | None = None,
        fail_destroy: set[str] | None = None,
        fail_export: set[str] | None = None,
    ) -> None:
        self.stacks: dict[str, FakeStack] = stacks or {}
        self.fail_destroy = fail_destroy or set()
        self.fail_export = fail_export or set()
        self.calls: list[tuple[str, str]] = []
        self.operations: list[Operation] = []
        self.imported: dict[str, dict[str, Any]] = {}

    def list_stacks(self) -> list[str]:
        self.calls.append(("list", ""))
        return [f"acme/mlops-platform/{name}" for name in self.stacks]

    def create_or_select(self, stack: str) -> None:
        self.calls.append(("select", stack))
        self.stacks.setdefault(stack, FakeStack())

    def write_config(self, stack: str, config: Mapping[str, Any]) -> None:
        self.calls.append(("config", stack))
        self.stacks[stack].config = json.loads(json.dumps(config))

    def up(self, stack: str, *, targets: Sequence[str] | None = None) -> Mapping[str, int]:
        if targets is not None and not targets:
            raise ValueError("an empty target list would make this a whole-stack operation; refusing")
        self.calls.append(("up", stack))
        self.operations.append(Operation("up", stack, tuple(targets) if targets is not None else None))
        entry = self.stacks[stack]
        # What the program does with the config: the expiry lands in the provider's default tags.
        entry.expiry = entry.config["mlops:phoenix"]["expiresAt"]
        created = 0 if entry.resources else 42
        entry.resources = 42
        return {"create": created, "same": 42 - created}

    def expiry(self, stack: str) -> str | None:
        return self.stacks[stack].expiry

    def destroy(
        self, stack: str, *, targets: Sequence[str] | None = None, target_dependents: bool = False
    ) -> Mapping[str, int]:
        if targets is not None and not targets:
            raise ValueError("an empty target list would make this a whole-stack operation; refusing")
        self.calls.append(("destroy", stack))
        self.operations.append(
            Operation("destroy", stack, tuple(targets) if targets is not None else None, target_dependents)
        )
        if stack in self.fail_destroy:
            raise RuntimeError("stderr: ...\nerror: update failed: DependencyViolation on vpc-123")
        entry = self.stacks[stack]
        if targets is not None:
            gone = set(targets)
            before = len(entry.state)
            entry.state = [r for r in entry.state if r["urn"] not in gone]
            return {"delete": before - len(entry.state)}
        deleted, entry.resources = entry.resources, 0
        entry.state = []
        return {"delete": deleted}

    def export_state(self, stack: str) -> Mapping[str, Any]:
        self.calls.append(("export", stack))
        if stack in self.fail_export:
            raise RuntimeError("stderr: ...\nerror: could not load checkpoint")
        return {
            "version": 3,
            "deployment": {"manifest": {}, "resources": json.loads(json.dumps(self.stacks[stack].state))},
        }

    def import_state(self, stack: str, state: Mapping[str, Any]) -> None:
        self.calls.append(("import", stack))
        self.imported[stack] = json.loads(json.dumps(state))
        self.stacks[stack].state = list(state["deployment"]["resources"])

    def remove(self, stack: str) -> None:
        self.calls.append(("remove", stack))
        del self.stacks[stack]


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project directory with a phoenix template like the real stacks/Pulumi.phoenix.yaml."""
    write_template(tmp_path)
    return tmp_path


def write_template(root: Path, **phoenix: Any) -> Path:
    settings = {
        "enabled": True,
        "ttl": "8h",
        "expiresAt": None,
        "protectedAccounts": ["999999999999"],
        "protectedRegions": ["us-east-1"],
        **phoenix,
    }
    config = {
        "aws:region": REGION,
        "mlops:environment": "phoenix",
        "mlops:owner": "platform-team",
        "mlops:costCenter": "ml-research",
        "mlops:network": {"cidr": "10.20.0.0/16", "azs": 2},
        "mlops:phoenix": settings,
    }
    path = root / "stacks" / "Pulumi.phoenix.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path
