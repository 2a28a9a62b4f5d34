"""A sweep of 500 expired resources against in-process moto (slow: skipped unless slow tests run)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from phoenix_testkit import EXPIRED, MOTO_AMI, NOW, POLICY_DOC, REGION, TRUST_DOC, kv, spec

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.sweep import SweepOptions, sweep

# kind -> how many; 500 in all, spread over the kinds the platform creates most of.
PLAN = {
    "ec2:vpc": 10,
    "ec2:subnet": 40,
    "ec2:security-group": 30,
    "ec2:internet-gateway": 10,
    "ec2:route-table": 10,
    "ec2:network-interface": 20,
    "ec2:elastic-ip": 40,
    "ec2:launch-template": 40,
    "s3:bucket": 60,
    "logs:log-group": 60,
    "secretsmanager:secret": 50,
    "glue:database": 40,
    "athena:workgroup": 30,
    "iam:role": 40,
    "kms:key": 20,
}


def build(session: Any) -> None:
    def client(service: str) -> Any:
        return session.client(service, region_name=REGION)

    ec2, s3, logs, sm = client("ec2"), client("s3"), client("logs"), client("secretsmanager")
    glue, athena, iam, kms = client("glue"), client("athena"), client("iam"), client("kms")
    for v in range(10):
        vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16", TagSpecifications=spec("vpc", EXPIRED))["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{s}.0/24", TagSpecifications=spec("subnet", EXPIRED))[
                "Subnet"
            ]["SubnetId"]
            for s in range(4)
        ]
        for g in range(3):
            ec2.create_security_group(
                GroupName=f"sg-{v}-{g}", Description="d", VpcId=vpc, TagSpecifications=spec("security-group", EXPIRED)
            )
        igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", EXPIRED))["InternetGateway"]
        ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
        rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", EXPIRED))["RouteTable"]
        ec2.associate_route_table(RouteTableId=rt["RouteTableId"], SubnetId=subnets[0])
        for _ in range(2):
            ec2.create_network_interface(SubnetId=subnets[1], TagSpecifications=spec("network-interface", EXPIRED))
    for i in range(40):
        ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", EXPIRED))
        ec2.create_launch_template(
            LaunchTemplateName=f"lt-{i}",
            LaunchTemplateData={"ImageId": MOTO_AMI},
            TagSpecifications=spec("launch-template", EXPIRED),
        )
        glue.create_database(DatabaseInput={"Name": f"db_{i}"}, Tags=dict(EXPIRED))
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=TRUST_DOC, Tags=kv(EXPIRED))
        iam.put_role_policy(RoleName=f"role-{i}", PolicyName="inline", PolicyDocument=POLICY_DOC)
    for i in range(60):
        bucket = f"scale-bucket-{i}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": kv(EXPIRED)})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for version in range(3):
            s3.put_object(Bucket=bucket, Key="k", Body=str(version).encode())
        logs.create_log_group(logGroupName=f"/scale/{i}", tags=dict(EXPIRED))
    for i in range(50):
        sm.create_secret(Name=f"scale/{i}", SecretString="x", Tags=kv(EXPIRED))
    for i in range(30):
        athena.create_work_group(Name=f"wg-{i}", Tags=kv(EXPIRED))
    for _ in range(20):
        kms.create_key(Tags=[{"TagKey": k, "TagValue": v} for k, v in EXPIRED.items()])


@pytest.mark.slow
def test_sweep_of_500_expired_resources(moto_session: Any, capsys: pytest.CaptureFixture[str]) -> None:
    build(moto_session)
    scope = AwsScope(session=moto_session, region=REGION, account="123456789012", waiter_delay=0)
    now = parse_timestamp(NOW)

    started = time.monotonic()
    dry = sweep([scope], SweepOptions(now=now, execute=False, sleep=lambda _s: None))
    dry_seconds = time.monotonic() - started
    assert Counter(r.kind for r in dry if r.status == "would-delete") == Counter(PLAN)
    assert sum(PLAN.values()) == 500

    started = time.monotonic()
    done = sweep([scope], SweepOptions(now=now, execute=True, sleep=lambda _s: None))
    execute_seconds = time.monotonic() - started
    assert [r for r in done if r.status == "failed"] == []
    assert sum(r.status == "deleted" for r in done) == 500

    again = sweep([scope], SweepOptions(now=now, execute=True, sleep=lambda _s: None))
    assert [r for r in again if r.status != "kept"] == []
    with capsys.disabled():
        print(f"\nphoenix sweep of 500 expired resources: dry run {dry_seconds:.1f}s, execute {execute_seconds:.1f}s")
