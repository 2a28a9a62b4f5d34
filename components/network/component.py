"""Network: a private VPC whose workloads reach AWS APIs through VPC endpoints, not the internet.

Tiers per availability zone: ``private`` (EKS nodes and pods, internal load balancers), ``database``
(RDS, no route out of the VPC at all) and ``public`` (NAT gateways and an internet-facing load
balancer only; created only when one of those is configured). Flow logs go to a CloudWatch log
group encrypted with a customer key; the VPC's default security group is stripped of every rule.

CIDR maths and endpoint policies are pure functions (tested directly); :class:`Network` wires them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import key_administration, logs_use_key, partition_of
from components.network.config import NetworkConfig
from contracts.flows import AwsDestination

MAX_AZS = 3
"""Subnet slots reserved per tier: CIDRs never move when az_count grows to this."""

DEFAULT_TIERS: Mapping[str, int] = {"private": 2, "database": 5, "public": 5}
"""Tier -> extra prefix bits over the VPC prefix. /16 VPC: private /18 (16k addresses: VPC CNI gives every pod
a VPC address), database /21, public /21. Order is allocation order among tiers of equal size."""

SMALLEST_SUBNET_PREFIX = 28
"""AWS refuses subnets smaller than /28."""

# Interface endpoint services known to accept endpoint policies
# (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html). Others get the
# AWS default policy (full access), which is all they support.
POLICY_CAPABLE_SERVICES = frozenset(
    {
        "athena", "autoscaling", "ec2", "ecr.api", "ecr.dkr", "elasticloadbalancing", "glue", "kms", "logs",
        "monitoring", "secretsmanager", "sns", "sqs", "ssm", "sts",
    }
)  # fmt: skip


def plan_subnets(cidr: str, az_count: int, tiers: Mapping[str, int] = DEFAULT_TIERS) -> dict[str, list[str]]:
    """Carve ``az_count`` subnets per tier out of the VPC block ``cidr``.

    ``tiers`` maps a tier name to its extra prefix bits (2 => each subnet is a quarter of the VPC).
    Every tier reserves :data:`MAX_AZS` slots, largest subnets first so each block stays aligned, and a
    tier's CIDR in an AZ depends only on ``cidr`` and ``tiers``: growing from 2 to 3 AZs or adding the
    public tier never renumbers (and so never replaces) an existing subnet.
    Raises ValueError when the tiers do not fit or a subnet would be smaller than /28.
    """
    vpc = ipaddress.ip_network(cidr, strict=True)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count {az_count} not in 1..{MAX_AZS}")
    for tier, bits in tiers.items():
        if bits < 1 or vpc.prefixlen + bits > SMALLEST_SUBNET_PREFIX:
            raise ValueError(
                f"tier {tier!r}: /{vpc.prefixlen}+{bits} gives /{vpc.prefixlen + bits}; "
                f"subnets must be /{vpc.prefixlen + 1} to /{SMALLEST_SUBNET_PREFIX}"
            )
    needed = sum(MAX_AZS * 2 ** (max(tiers.values()) - bits) for bits in tiers.values())
    if needed > 2 ** max(tiers.values()):
        raise ValueError(f"tiers {dict(tiers)} need more than the {cidr} block ({MAX_AZS} slots per tier)")
    # Largest first (stable for equal sizes): sequential allocation of descending sizes is always aligned.
    order = sorted(tiers, key=lambda t: tiers[t])
    plan: dict[str, list[str]] = {}
    cursor = int(vpc.network_address)
    for tier in order:
        prefix = vpc.prefixlen + tiers[tier]
        size = 2 ** (vpc.max_prefixlen - prefix)
        slots = [ipaddress.ip_network((cursor + i * size, prefix)) for i in range(MAX_AZS)]
        cursor += MAX_AZS * size
        plan[tier] = [str(net) for net in slots[:az_count]]
    return {tier: plan[tier] for tier in tiers}


def s3_gateway_policy(account_id: str, region: str) -> str:
    """S3 gateway endpoint policy: only this account's principals, only this account's buckets.

    A data perimeter: nothing in the VPC can copy data to a bucket of another account through the
    endpoint. The one exception is required by ECR: image layers are served from an AWS-owned bucket
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-minimum-s3-perms), and
    those downloads are presigned by ECR, so they carry no principal of this account.
    """
    partition = partition_of(region)
    return _policy(
        [
            {
                "Sid": "AccountBucketsOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": account_id, "aws:PrincipalAccount": account_id}},
            },
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*",
            },
            {
                "Sid": "PublicRegistryImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [f"arn:{partition}:s3:::{bucket}/*" for bucket in registry_layer_buckets(region)],
            },
        ]
    )


def registry_layer_buckets(region: str) -> list[str]:
    """S3 buckets of other accounts from which public registries serve image layers to AWS callers.

    A layer fetched from a bucket in the endpoint's region goes through the S3 endpoint, so its policy
    must admit the bucket or the pull fails with 403 (kubernetes/k8s.io#4214). Read-only, so nothing can
    leave through them:
    - registry.k8s.io redirects AWS callers to its bucket in their region, named per region in
      kubernetes/registry.k8s.io cmd/archeio/internal/app/buckets.go (eu-west-2's is the exception);
    - Docker Hub and quay.io serve AWS callers from ``docker-images-prod`` and ``quayio-production-s3``
      (docker/hub-feedback#1318, rancher/os#2032; quay/quay storage/cloud.py), whose region is not
      documented: both are admitted everywhere.
    """
    registry_k8s_io = _REGISTRY_K8S_IO_BUCKETS.get(region, f"prod-registry-k8s-io-{region}")
    return [registry_k8s_io, "docker-images-prod", "quayio-production-s3"]


_REGISTRY_K8S_IO_BUCKETS = {"eu-west-2": "767373bbdcb8270361b96548387bf2a9ad0d48758c35-eu-west-2"}
"""registry.k8s.io's layer buckets that do not follow ``prod-registry-k8s-io-<region>``."""


def interface_endpoint_policy(service: str, account_id: str, region: str) -> str | None:
    """Policy for an interface endpoint: callers must be principals of this account.

    None for services that do not support endpoint policies. STS also lets pods exchange their
    service-account token for a role of this account (IRSA): AssumeRoleWithWebIdentity carries no
    principal account, so it is allowed by resource (this account's roles) instead.
    """
    if service not in POLICY_CAPABLE_SERVICES:
        return None
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountPrincipalsOnly",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account_id}},
        }
    ]
    if service == "sts":
        statements.append(
            {
                "Sid": "WebIdentityIntoAccountRoles",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Resource": f"arn:{partition_of(region)}:iam::{account_id}:role/*",
            }
        )
    return _policy(statements)


def flow_log_key_policy(account_id: str, region: str, log_group_name: str) -> str:
    """Key policy of the flow-log key: IAM administers it; CloudWatch Logs uses it for this log group only.

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    """
    return _policy(
        [
            key_administration(account_id, partition=partition_of(region), sid="AccountAdministersThroughIam"),
            logs_use_key(account_id, region, log_group_name, sid="CloudWatchLogsForFlowLogGroup"),
        ]
    )


def flow_log_trust_policy(account_id: str, region: str) -> str:
    """Trust policy of the flow-log role: the flow-logs service, for this account's flow logs only."""
    return _policy(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                # Confused-deputy guard: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition_of(region)}:ec2:{region}:{account_id}:vpc-flow-log/*"
                    },
                },
            }
        ]
    )


def flow_log_role_policy(log_group_arn: str) -> str:
    """Permissions of the flow-log role: write streams of the one log group."""
    return _policy(
        [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ]
    )


def _policy(statements: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of :class:`Network`."""

    config: NetworkConfig
    """The stack's validated ``mlops:network`` section."""
    environment: str
    """Environment name (dev, prod, pr-42): used in Name tags and the flow-log group name."""
    account_id: pulumi.Input[str] | None = None
    """AWS account id for policies; default: looked up with the component's provider."""
    region: pulumi.Input[str] | None = None
    """AWS region for endpoint service names and policies; default: the provider's region."""


class Network(pulumi.ComponentResource):
    """The platform's VPC: private and database tiers per AZ, endpoints, flow logs, NAT as configured."""

    vpc_id: pulumi.Output[str]
    """The VPC id."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private (workload) subnets, one per AZ, in AZ order."""
    database_subnet_ids: pulumi.Output[list[str]]
    """Database subnets, one per AZ: no route leaves the VPC."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets (empty unless NAT or a public load balancer is configured)."""
    private_route_table_ids: pulumi.Output[list[str]]
    """Route tables of the private subnets (one per AZ)."""
    endpoints_security_group_id: pulumi.Output[str]
    """Security group of the interface endpoints (443 from the VPC CIDR only)."""
    flow_log_group_name: pulumi.Output[str]
    """CloudWatch log group receiving the VPC flow logs."""
    availability_zones: pulumi.Output[list[str]]
    """The AZ names used, in subnet order."""
    vpc_cidr: str
    """The VPC IPv4 block."""
    private_subnet_cidrs: list[str]
    """CIDRs of the private subnets, in AZ order."""
    database_subnet_cidrs: list[str]
    """CIDRs of the database subnets, in AZ order."""
    public_subnet_cidrs: list[str]
    """CIDRs of the public subnets actually created (empty when none are)."""
    endpoints: AwsDestination
    """The interface endpoints as a flow destination: declare ``workload -> endpoints : 443``."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:network:Network", name, None, opts)
        config = args.config
        # Validate before creating anything: the CIDR plan raises on impossible layouts.
        plan = plan_subnets(config.cidr, config.az_count)
        with_public = config.nat != "none" or config.public_load_balancer is not None
        self.vpc_cidr = config.cidr
        self.private_subnet_cidrs = plan["private"]
        self.database_subnet_cidrs = plan["database"]
        self.public_subnet_cidrs = plan["public"] if with_public else []

        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account: pulumi.Output[str] = (
            pulumi.Output.from_input(args.account_id)
            if args.account_id is not None
            else aws.get_caller_identity_output(opts=invoke).account_id
        )
        region: pulumi.Output[str] = (
            pulumi.Output.from_input(args.region)
            if args.region is not None
            else aws.get_region_output(opts=invoke).region
        )
        # Regular AZs only: Local and Wavelength Zones (opt-in) lack NAT gateways, interface endpoints and EKS.
        azs = aws.get_availability_zones_output(
            state="available",
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=invoke,
        ).names.apply(lambda names: _first_azs(names, config.az_count))
        self.availability_zones = azs
        env = args.environment

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.cidr,
            enable_dns_support=True,  # both required for private DNS of interface endpoints
            enable_dns_hostnames=True,
            tags={"Name": f"{env}-vpc"},
            opts=child,
        )
        vpc_opts = pulumi.ResourceOptions(parent=vpc)

        # The default security group is what an ENI gets when nobody chooses one: it must admit nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{env}-default-deny"},
            opts=vpc_opts,
        )

        private = self._subnets(name, env, vpc, "private", self.private_subnet_cidrs, azs)
        database = self._subnets(name, env, vpc, "database", self.database_subnet_cidrs, azs)
        public = self._subnets(name, env, vpc, "public", self.public_subnet_cidrs, azs)

        # Public tier: one route table with the only internet route of the VPC.
        nat_ids: list[pulumi.Output[str]] = []
        if public:
            igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{env}-igw"}, opts=vpc_opts)
            public_rt = aws.ec2.RouteTable(
                f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{env}-public"}, opts=vpc_opts
            )
            aws.ec2.Route(
                f"{name}-public-default",
                route_table_id=public_rt.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=igw.id,
                opts=pulumi.ResourceOptions(parent=public_rt),
            )
            self._associate(name, "public", public, [public_rt] * len(public))
            nat_count = {"none": 0, "single": 1, "per-az": len(public)}[config.nat]
            for i in range(nat_count):
                eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags={"Name": f"{env}-nat-{i}"}, opts=vpc_opts)
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    connectivity_type="public",
                    tags={"Name": f"{env}-nat-{i}"},
                    # AWS: a NAT gateway needs the internet gateway attached first.
                    opts=pulumi.ResourceOptions(parent=vpc, depends_on=[igw]),
                )
                nat_ids.append(nat.id)

        # Private tier: a route table per AZ, so switching NAT modes only changes routes, never associations.
        private_rts = [
            aws.ec2.RouteTable(
                f"{name}-private-rt-{i}", vpc_id=vpc.id, tags={"Name": f"{env}-private-{i}"}, opts=vpc_opts
            )
            for i in range(len(private))
        ]
        for i, rt in enumerate(private_rts):
            if nat_ids:
                aws.ec2.Route(
                    f"{name}-private-default-{i}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_ids[i % len(nat_ids)],
                    opts=pulumi.ResourceOptions(parent=rt),
                )
        self._associate(name, "private", private, private_rts)
        # Database tier: one route table with the local route only (explicit, so never the main table).
        database_rt = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=vpc.id, tags={"Name": f"{env}-database"}, opts=vpc_opts
        )
        self._associate(name, "database", database, [database_rt] * len(database))

        # Endpoints: S3 through the private route tables; interface endpoints in the private subnets.
        policies_input = pulumi.Output.all(account, region)
        s3_gateway = aws.ec2.VpcEndpoint(
            f"{name}-s3-gateway",
            vpc_id=vpc.id,
            vpc_endpoint_type="Gateway",
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            route_table_ids=[rt.id for rt in private_rts],
            policy=policies_input.apply(lambda a: s3_gateway_policy(str(a[0]), str(a[1]))),
            tags={"Name": f"{env}-s3"},
            opts=vpc_opts,
        )
        endpoints_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description=f"Interface VPC endpoints of {env}: HTTPS from inside the VPC only",
            tags={"Name": f"{env}-endpoints"},
            opts=vpc_opts,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-https",
            security_group_id=endpoints_sg.id,
            cidr_ipv4=config.cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs from inside the VPC",
            opts=pulumi.ResourceOptions(parent=endpoints_sg),
        )
        for service in config.interface_endpoints:
            is_s3 = service == "s3"
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                vpc_endpoint_type="Interface",
                service_name=region.apply(lambda r, s=service: f"com.amazonaws.{r}.{s}"),
                private_dns_enabled=True,
                # S3's private DNS answers for every caller in the VPC (not only inbound resolvers), so pods
                # reach S3 at VPC addresses that NetworkPolicies can name; the gateway must exist first.
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/privatelink-interface-endpoints.html
                dns_options=aws.ec2.VpcEndpointDnsOptionsArgs(private_dns_only_for_inbound_resolver_endpoint=False)
                if is_s3
                else None,
                subnet_ids=[s.id for s in private],
                security_group_ids=[endpoints_sg.id],
                policy=policies_input.apply(
                    lambda a, s=service: (
                        s3_gateway_policy(str(a[0]), str(a[1]))
                        if s == "s3"
                        else interface_endpoint_policy(s, str(a[0]), str(a[1]))
                    )
                ),
                tags={"Name": f"{env}-{service}"},
                opts=pulumi.ResourceOptions.merge(vpc_opts, pulumi.ResourceOptions(depends_on=[s3_gateway]))
                if is_s3
                else vpc_opts,
            )

        self.flow_log_group_name = self._flow_logs(name, env, vpc, config.flow_log_retention_days, account, region)

        self.vpc_id = vpc.id
        self.private_subnet_ids = _ids(private)
        self.database_subnet_ids = _ids(database)
        self.public_subnet_ids = _ids(public)
        self.private_route_table_ids = _ids(private_rts)
        self.endpoints_security_group_id = endpoints_sg.id
        self.endpoints = AwsDestination(name="vpc-endpoints", cidrs=(config.cidr,), security_group_id=endpoints_sg.id)
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "endpointsSecurityGroupId": self.endpoints_security_group_id,
                "flowLogGroupName": self.flow_log_group_name,
            }
        )

    def _subnets(
        self,
        name: str,
        env: str,
        vpc: aws.ec2.Vpc,
        tier: str,
        cidrs: Sequence[str],
        azs: pulumi.Output[list[str]],
    ) -> list[aws.ec2.Subnet]:
        # Tags the AWS Load Balancer Controller uses to discover subnets:
        # https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/subnet_discovery/
        role_tag = {"private": {"kubernetes.io/role/internal-elb": "1"}, "public": {"kubernetes.io/role/elb": "1"}}
        return [
            aws.ec2.Subnet(
                f"{name}-{tier}-{i}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=azs.apply(lambda names, i=i: names[i]),
                # Even public subnets hand out no public IPs: only NAT gateways and load balancers live there.
                map_public_ip_on_launch=False,
                tags={"Name": f"{env}-{tier}-{i}", "mlops:tier": tier, **role_tag.get(tier, {})},
                opts=pulumi.ResourceOptions(parent=vpc),
            )
            for i, cidr in enumerate(cidrs)
        ]

    def _associate(
        self, name: str, tier: str, subnets: Sequence[aws.ec2.Subnet], tables: Sequence[aws.ec2.RouteTable]
    ) -> None:
        for i, (subnet, table) in enumerate(zip(subnets, tables, strict=True)):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=pulumi.ResourceOptions(parent=subnet),
            )

    def _flow_logs(
        self,
        name: str,
        env: str,
        vpc: aws.ec2.Vpc,
        retention_days: int,
        account: pulumi.Output[str],
        region: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        """All VPC traffic (accepted and rejected) to an encrypted log group with a retention period."""
        group_name = f"/mlops/{env}/vpc-flow-logs"
        key = aws.kms.Key(
            f"{name}-flow-logs-key",
            description=f"VPC flow logs of {env}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account, region).apply(
                lambda a: flow_log_key_policy(str(a[0]), str(a[1]), group_name)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.kms.Alias(
            f"{name}-flow-logs-key-alias",
            name=f"alias/mlops-{env}-vpc-flow-logs",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=group_name,
            retention_in_days=retention_days,
            kms_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description=f"Lets VPC flow logs of {env} write to {group_name}",
            assume_role_policy=pulumi.Output.all(account, region).apply(
                lambda a: flow_log_trust_policy(str(a[0]), str(a[1]))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=group.arn.apply(flow_log_role_policy),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{env}-vpc-flow-log"},
            opts=pulumi.ResourceOptions(parent=vpc),
        )
        return group.name


def _first_azs(names: Sequence[str], count: int) -> list[str]:
    if len(names) < count:
        raise ValueError(f"mlops:network.azCount is {count} but the region has only {len(names)} available AZs")
    return list(names[:count])


def _ids(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    return pulumi.Output.all(*[r.id for r in resources]).apply(lambda ids: [str(i) for i in ids])
