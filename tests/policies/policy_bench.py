"""A synthetic ~400-resource platform graph for the offline evaluation benchmark."""

from __future__ import annotations

import json
from typing import Any

from policy_testkit import TAGS, graph, reg, urn

from mlopsctl.engine import Graph


def platform_graph(copies: int = 10) -> Graph:
    """``copies`` x 40 resources: VPC pieces, a bucket with its settings, IAM, RDS, EKS and Kubernetes objects."""
    resources: list[Any] = [
        reg("pulumi:providers:aws", "aws", {"region": "eu-west-1", "defaultTags": json.dumps({"tags": TAGS})})
    ]
    provider = urn("pulumi:providers:aws", "aws") + "::id"
    for i in range(copies):
        vpc = urn("aws:ec2/vpc:Vpc", f"vpc-{i}")
        bucket = urn("aws:s3/bucket:Bucket", f"b-{i}")
        aws = [
            ("aws:ec2/vpc:Vpc", f"vpc-{i}", {"cidrBlock": "10.0.0.0/16"}, {}),
            ("aws:ec2/flowLog:FlowLog", f"fl-{i}", {"vpcId": "vpc-1", "trafficType": "ALL"}, {"vpcId": [vpc]}),
            ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", f"dsg-{i}", {"vpcId": "v"}, {"vpcId": [vpc]}),
            *[
                (
                    "aws:ec2/subnet:Subnet",
                    f"sn-{i}-{j}",
                    {"vpcId": "v", "cidrBlock": f"10.0.{j}.0/24"},
                    {"vpcId": [vpc]},
                )
                for j in range(4)
            ],
            (
                "aws:ec2/securityGroup:SecurityGroup",
                f"sg-{i}",
                {
                    "vpcId": "v",
                    "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/8"]}],
                },
                {"vpcId": [vpc]},
            ),
            ("aws:kms/key:Key", f"key-{i}", {"enableKeyRotation": True}, {}),
            ("aws:s3/bucket:Bucket", f"b-{i}", {"bucket": f"b-{i}"}, {}),
            (
                "aws:s3/bucketVersioning:BucketVersioning",
                f"bv-{i}",
                {"bucket": f"b-{i}", "versioningConfiguration": {"status": "Enabled"}},
                {"bucket": [bucket]},
            ),
            (
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                f"bs-{i}",
                {"bucket": f"b-{i}", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
                {"bucket": [bucket]},
            ),
            (
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                f"bp-{i}",
                {
                    "bucket": f"b-{i}",
                    "blockPublicAcls": True,
                    "blockPublicPolicy": True,
                    "ignorePublicAcls": True,
                    "restrictPublicBuckets": True,
                },
                {"bucket": [bucket]},
            ),
            (
                "aws:iam/role:Role",
                f"role-{i}",
                {
                    "assumeRolePolicy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "ec2.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ]
                        }
                    )
                },
                {},
            ),
            (
                "aws:iam/rolePolicy:RolePolicy",
                f"rp-{i}",
                {
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["s3:GetObject", "s3:PutObject"],
                                    "Resource": [f"arn:aws:s3:::b-{i}/*"],
                                }
                            ]
                        }
                    )
                },
                {},
            ),
            (
                "aws:rds/instance:Instance",
                f"db-{i}",
                {
                    "engine": "postgres",
                    "engineVersion": "16.4",
                    "storageEncrypted": True,
                    "backupRetentionPeriod": 7,
                    "manageMasterUserPassword": True,
                },
                {},
            ),
            ("aws:eks/nodeGroup:NodeGroup", f"ng-{i}", {"clusterName": "c", "launchTemplate": {"id": "lt"}}, {}),
            (
                "aws:ec2/launchTemplate:LaunchTemplate",
                f"lt-{i}",
                {
                    "metadataOptions": {"httpTokens": "required"},
                    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
                },
                {},
            ),
            *[("aws:cloudwatch/logGroup:LogGroup", f"lg-{i}-{j}", {"retentionInDays": 365}, {}) for j in range(4)],
        ]
        for type_, name, inputs, deps in aws:
            resources.append(reg(type_, name, inputs, provider=provider, deps=deps))
        ns = f"ns-{i}"
        container = {
            "name": "app",
            "image": "app:1.0.0",
            "securityContext": {"allowPrivilegeEscalation": False},
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "env": [{"name": "MODE", "value": "serve"}],
        }
        kube = [
            (
                "kubernetes:core/v1:Namespace",
                ns,
                {"metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
            ),
            (
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                f"deny-{i}",
                {"metadata": {"namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
            ),
            *[
                (
                    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                    f"allow-{i}-{j}",
                    {
                        "metadata": {"namespace": ns},
                        "spec": {
                            "podSelector": {"matchLabels": {"app": "a"}},
                            "ingress": [{"from": [{"podSelector": {}}]}],
                        },
                    },
                )
                for j in range(4)
            ],
            *[
                (
                    "kubernetes:apps/v1:Deployment",
                    f"dep-{i}-{j}",
                    {
                        "metadata": {"namespace": ns},
                        "spec": {
                            "template": {"spec": {"securityContext": {"runAsNonRoot": True}, "containers": [container]}}
                        },
                    },
                )
                for j in range(4)
            ],
            ("kubernetes:core/v1:Service", f"svc-{i}", {"metadata": {"namespace": ns}, "spec": {"type": "ClusterIP"}}),
            ("kubernetes:core/v1:ConfigMap", f"cm-{i}", {"metadata": {"namespace": ns}, "data": {"A": "b"}}),
            (
                "kubernetes:helm.sh/v3:Release",
                f"rel-{i}",
                {
                    "chart": "app",
                    "version": "1.2.3",
                    "namespace": ns,
                    "values": {"image": {"repository": "a", "tag": "1.0"}, "service": {"type": "ClusterIP"}},
                },
            ),
        ]
        for type_, name, inputs in kube:
            resources.append(reg(type_, name, inputs))
    return graph(*resources)
