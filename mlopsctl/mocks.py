"""Realistic mock outputs for the offline engine.

Pulumi's mock runtime asks for an id and output state of every resource. Downstream wiring
(ARNs in IAM policies, endpoints in Helm values, OIDC issuers in trust policies) needs values
that look like AWS's, so reviewers read plausible plans. Everything here is derived from the
URN by hashing: the same program always yields the same ids (determinism is part of the plan
contract).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
"""The account every offline plan is rendered for."""

# Physical-id prefixes of EC2-style resources (as AWS returns them).
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
}


def _digest(text: str, length: int = 17) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _service(type_token: str) -> str:
    """``aws:s3/bucket:Bucket`` -> ``s3``."""
    return type_token.split(":")[1].split("/")[0]


class PlatformMocks(pulumi.runtime.Mocks):
    """Deterministic, AWS-shaped ids and outputs for every resource and invoke the platform uses."""

    def __init__(self, *, region: str, stack: str) -> None:
        self.region = region
        self.stack = stack

    # Resources -------------------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        physical, outputs = self.resource_outputs(args.typ, args.name, inputs)
        return physical, {**inputs, **outputs}

    def resource_outputs(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The physical id and the provider-computed outputs of a resource (inputs are echoed separately)."""
        # Ids follow the inputs that force a replacement (as a real replacement gets a new id), so a replaced
        # resource changes the inputs of everything that references it, and the diff shows the blast radius;
        # unchanged resources keep their ids.
        key = f"{typ}::{name}{replacement_fingerprint(typ, inputs)}"
        physical = self._physical_id(typ, name, inputs, key)
        return physical, self._outputs(typ, name, inputs, physical, key)

    def _physical_id(self, typ: str, name: str, inputs: dict[str, Any], key: str) -> str:
        if typ == "aws:eks/nodeGroup:NodeGroup":  # pulumi-aws ids a node group as <cluster>:<node group>
            return f"{inputs.get('clusterName')}:{inputs.get('nodeGroupName') or name}"
        if typ in _ID_PREFIX:
            return _ID_PREFIX[typ] + _digest(key)
        for field in ("bucket", "name", "identifier", "clusterName", "workgroupName", "namespaceName"):
            value = inputs.get(field)
            if isinstance(value, str) and value:
                return value
        if typ.startswith("kubernetes:"):
            meta = inputs.get("metadata") or {}
            namespace = meta.get("namespace")
            base = meta.get("name") or name
            return f"{namespace}/{base}" if namespace else str(base)
        return f"{name}-{_digest(key, 7)}"

    def _outputs(self, typ: str, name: str, inputs: dict[str, Any], physical: str, key: str) -> dict[str, Any]:
        region, account = self.region, ACCOUNT_ID
        if typ.startswith("kubernetes:"):
            return {}
        service = _service(typ)
        out: dict[str, Any] = {"id": physical}
        if typ == "aws:s3/bucket:Bucket":
            out.update(
                arn=f"arn:aws:s3:::{physical}",
                bucket=physical,
                bucketDomainName=f"{physical}.s3.amazonaws.com",
                bucketRegionalDomainName=f"{physical}.s3.{region}.amazonaws.com",
            )
        elif service == "iam":
            kind = typ.split(":")[-1]
            path = {"Role": "role", "Policy": "policy", "InstanceProfile": "instance-profile"}.get(kind, kind.lower())
            if kind == "OpenIdConnectProvider":
                issuer = str(inputs.get("url", "")).removeprefix("https://")
                out.update(arn=f"arn:aws:iam::{account}:oidc-provider/{issuer}")
            else:
                out.update(arn=f"arn:aws:iam::{account}:{path}/{physical}", name=physical, uniqueId=_digest(key, 21))
        elif typ == "aws:kms/key:Key":
            key_id = "-".join(_digest(key, 32)[i:j] for i, j in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
            out.update(id=key_id, keyId=key_id, arn=f"arn:aws:kms:{region}:{account}:key/{key_id}")
        elif typ == "aws:eks/cluster:Cluster":
            oidc = _digest(key, 32).upper()
            out.update(
                arn=f"arn:aws:eks:{region}:{account}:cluster/{physical}",
                endpoint=f"https://{oidc}.gr7.{region}.eks.amazonaws.com",
                certificateAuthority={
                    "data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
                },
                identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}],
                vpcConfig={
                    **(inputs.get("vpcConfig") or {}),
                    "clusterSecurityGroupId": "sg-" + _digest(key + "cluster"),
                },
                status="ACTIVE",
            )
        elif typ == "aws:rds/instance:Instance":
            host = f"{physical}.{_digest(key, 12)}.{region}.rds.amazonaws.com"
            secret = f"arn:aws:secretsmanager:{region}:{account}:secret:rds!db-{_digest(key, 8)}-AbCdEf"
            out.update(
                arn=f"arn:aws:rds:{region}:{account}:db:{physical}",
                address=host,
                endpoint=f"{host}:{int(inputs.get('port', 5432))}",
                port=int(inputs.get("port", 5432)),
                masterUserSecrets=[{"secretArn": secret, "kmsKeyId": inputs.get("masterUserSecretKmsKeyId")}],
                resourceId="db-" + _digest(key, 26).upper(),
            )
        elif typ == "aws:redshiftserverless/workgroup:Workgroup":
            host = f"{physical}.{account}.{region}.redshift-serverless.amazonaws.com"
            out.update(
                arn=f"arn:aws:redshift-serverless:{region}:{account}:workgroup/{_digest(key, 32)}",
                endpoints=[{"address": host, "port": 5439}],
            )
        elif typ == "aws:redshiftserverless/namespace:Namespace":
            out.update(
                arn=f"arn:aws:redshift-serverless:{region}:{account}:namespace/{_digest(key, 32)}",
                adminPasswordSecretArn=f"arn:aws:secretsmanager:{region}:{account}:secret:redshift!{physical}-AbCdEf",
            )
        elif typ == "aws:mwaa/environment:Environment":
            out.update(
                arn=f"arn:aws:airflow:{region}:{account}:environment/{physical}",
                webserverUrl=f"{_digest(key, 32)}-vpce.c2.airflow.{region}.on.aws",
            )
        elif typ == "aws:sns/topic:Topic":
            out.update(arn=f"arn:aws:sns:{region}:{account}:{physical}")
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            out.update(arn=f"arn:aws:logs:{region}:{account}:log-group:{physical}")
        elif typ == "aws:secretsmanager/secret:Secret":
            out.update(arn=f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-AbCdEf")
        elif typ == "aws:ec2/vpc:Vpc":
            out.update(
                arn=f"arn:aws:ec2:{region}:{account}:vpc/{physical}",
                defaultSecurityGroupId="sg-" + _digest(key + "default"),
                mainRouteTableId="rtb-" + _digest(key + "main"),
                defaultNetworkAclId="acl-" + _digest(key + "acl"),
            )
        elif typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out.update(arn=f"arn:aws:ec2:{region}:{account}:launch-template/{physical}", latestVersion=1)
        elif typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            out.update(
                arn=f"arn:aws:ec2:{region}:{account}:vpc-endpoint/{physical}",
                dnsEntries=[
                    {"dnsName": f"{physical}.{inputs.get('serviceName', '')}", "hostedZoneId": "Z7HUB22UULQXV"}
                ],
                prefixListId="pl-" + _digest(key, 8),
            )
        elif typ == "aws:eks/nodeGroup:NodeGroup":
            out.update(
                arn=f"arn:aws:eks:{region}:{account}:nodegroup/{physical.replace(':', '/')}/{_digest(key, 8)}",
                status="ACTIVE",
                # EKS names a managed node group's Auto Scaling group eks-<node group>-<uuid>.
                resources=[{"autoscalingGroups": [{"name": f"eks-{physical.split(':')[-1]}-{_digest(key, 8)}"}]}],
            )
        elif typ == "aws:athena/workgroup:Workgroup":
            out.update(arn=f"arn:aws:athena:{region}:{account}:workgroup/{physical}")
        elif typ == "aws:glue/catalogDatabase:CatalogDatabase":
            out.update(arn=f"arn:aws:glue:{region}:{account}:database/{physical}", catalogId=account)
        else:
            resource = typ.split(":")[-1][0].lower() + typ.split(":")[-1][1:]
            out.setdefault("arn", f"arn:aws:{service}:{region}:{account}:{resource}/{physical}")
        return out

    # Invokes ---------------------------------------------------------------------------------

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        token, region, account = args.token, self.region, ACCOUNT_ID
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:sts::{account}:assumed-role/mlops-deploy/offline"
            return {"accountId": account, "arn": arn, "userId": "AROAOFFLINE:offline"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{region}{letter}" for letter in "abc"]
            return {"names": names, "zoneIds": [f"{region[:3]}-az{i}" for i in range(1, 4)], "id": region}, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            # An assumed-role session resolves to the role that issued it.
            return {
                "arn": args.args.get("arn"),
                "issuerArn": f"arn:aws:iam::{account}:role/mlops-deploy",
                "id": "x",
            }, []
        if token == "aws:iam/getRoles:getRoles":
            # A fresh account: no role matches (no service-linked roles before their first use).
            return {"arns": [], "names": [], "id": region}, []
        return dict(args.args), []


def replacement_fingerprint(typ: str, inputs: dict[str, Any]) -> str:
    """``""``, or ``::<digest>`` of the values of ``typ``'s replacement-forcing inputs that are set."""
    from mlopsctl.diff.paths import ABSENT, dig
    from mlopsctl.diff.replacements import forcing_paths

    values = [(path, dig(inputs, path)) for path in forcing_paths(typ)]
    present = [(path, value) for path, value in values if value is not ABSENT]
    return f"::{_digest(json.dumps(present, sort_keys=True, default=str), 12)}" if present else ""
