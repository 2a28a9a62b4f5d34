"""The reaper finds the branch ENIs that security groups for pods leave behind (untagged, in a stack's groups)."""

from __future__ import annotations

from typing import Any

from phoenix_testkit import EXPIRED, REGION, kv

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.handlers import ec2


def test_an_untagged_detached_interface_in_a_stack_group_expires_with_the_group(moto_session: Any) -> None:
    client = moto_session.client("ec2", region_name=REGION)
    vpc = client.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.40.0.0/24")["Subnet"]["SubnetId"]
    group = client.create_security_group(
        GroupName="pod-sg-mlflow",
        Description="pods of mlflow/tracking-server",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": kv(EXPIRED)}],
    )["GroupId"]
    other = client.create_security_group(GroupName="someone-else", Description="not ours", VpcId=vpc)["GroupId"]
    # What the VPC resource controller creates for a pod: no tags of ours, our pod's group.
    branch = client.create_network_interface(SubnetId=subnet, Groups=[group], Description="aws-k8s-branch-eni")
    foreign = client.create_network_interface(SubnetId=subnet, Groups=[other])
    scope = AwsScope(session=moto_session, region=REGION, account="123456789012")

    found = {f.id: f for f in ec2.collect_network_interfaces(scope)}
    assert set(found) == {branch["NetworkInterface"]["NetworkInterfaceId"]}
    assert found[branch["NetworkInterface"]["NetworkInterfaceId"]].tags == EXPIRED
    assert foreign["NetworkInterface"]["NetworkInterfaceId"] not in found
