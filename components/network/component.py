"""Network: a private VPC whose workloads reach AWS APIs through VPC endpoints, not the internet.

Tiers per availability zone: ``private`` (EKS nodes and pods), ``database`` and ``public`` (NAT gateways and an
internet-facing load balancer only; created only when one of those is configured). The database tier is not one
subnet but one small subnet per destination (:data:`~components.network.plan.DESTINATION_SLOTS`): each database,
the warehouse, the interface endpoints, the load balancers and the EKS control-plane ENIs get their own, with no
route out of the VPC, so a NetworkPolicy that names one destination's addresses reaches nothing else. Flow logs go to a CloudWatch log
group encrypted with a customer key; the VPC's default security group is stripped of every rule.

CIDR maths (:mod:`components.network.plan`) and endpoint and flow-log policies
(:mod:`components.network.policies`) are pure functions (tested directly); :class:`Network` wires them.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.network.config import NetworkConfig
from components.network.plan import DEFAULT_TIERS, RUNNER_TIER, destination_subnets, plan_subnets
from components.network.policies import (
    flow_log_key_policy,
    flow_log_role_policy,
    flow_log_trust_policy,
    interface_endpoint_policy,
    s3_gateway_policy,
)
from contracts.flows import AwsDestination


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
    public_entry: bool = False
    """Create the public tier for an internet-facing people entry (``mlops:access.public``) even without NAT."""
    runner_egress: bool = False
    """With ``nat: none``: give the in-VPC deploy runner its own subnets (tier ``runner``) whose only route out is
    one NAT gateway, so the runner reaches GitHub, the Pulumi backend, PyPI and chart repositories while the
    workload subnets stay without any (docs/adr/0003-registry-and-air-gap.md). Ignored when ``nat`` is not none
    (the runner then uses the private subnets and their NAT)."""
    destination_slots: Sequence[str] = ()
    """Destination subnets to create besides ``endpoints`` and ``control-plane`` (always there): ``tracking-db``,
    ``orchestrator-db``, ``warehouse``, ``ingress``, as the stack has them."""


class Network(pulumi.ComponentResource):
    """The platform's VPC: private and database tiers per AZ, endpoints, flow logs, NAT as configured."""

    vpc_id: pulumi.Output[str]
    """The VPC id."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private (workload) subnets, one per AZ, in AZ order."""
    slot_subnet_ids: dict[str, pulumi.Output[list[str]]]
    """Destination slot (``tracking-db``, ``endpoints``, ``control-plane``, ...) -> its subnets, one per AZ: no
    route leaves the VPC."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets (empty unless NAT or a public load balancer is configured)."""
    private_route_table_ids: pulumi.Output[list[str]]
    """Route tables of the private subnets (one per AZ)."""
    runner_subnet_ids: pulumi.Output[list[str]]
    """Where the deploy runner's builds run: the runner tier (``nat: none`` with ``runner_egress``), else the
    private subnets."""
    endpoints_security_group_id: pulumi.Output[str]
    """Security group of the interface endpoints (443 from the security groups of declared callers only)."""
    flow_log_group_name: pulumi.Output[str]
    """CloudWatch log group receiving the VPC flow logs."""
    availability_zones: pulumi.Output[list[str]]
    """The AZ names used, in subnet order."""
    vpc_cidr: str
    """The VPC IPv4 block."""
    private_subnet_cidrs: list[str]
    """CIDRs of the private subnets, in AZ order."""
    slot_subnet_cidrs: dict[str, list[str]]
    """Destination slot -> CIDRs of its subnets, in AZ order."""
    public_subnet_cidrs: list[str]
    """CIDRs of the public subnets actually created (empty when none are)."""
    runner_subnet_cidrs: list[str]
    """CIDRs of the runner tier (empty unless ``nat: none`` with ``runner_egress``)."""
    endpoints: AwsDestination
    """The interface endpoints as a flow destination: declare ``workload -> endpoints : 443``."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:network:Network", name, None, opts)
        config = args.config
        # Validate before creating anything: the CIDR plan raises on impossible layouts. The runner tier comes
        # last in the allocation, so adding it never renumbers the other tiers.
        runner_tier = config.nat == "none" and args.runner_egress
        plan = plan_subnets(
            config.cidr, config.az_count, {**DEFAULT_TIERS, **RUNNER_TIER} if runner_tier else DEFAULT_TIERS
        )
        with_public = config.nat != "none" or args.public_entry or runner_tier
        self.vpc_cidr = config.cidr
        self.private_subnet_cidrs = plan["private"]
        slots = sorted({"endpoints", "control-plane", *args.destination_slots})
        self.slot_subnet_cidrs = {slot: destination_subnets(plan["database"], slot) for slot in slots}
        self.public_subnet_cidrs = plan["public"] if with_public else []
        self.runner_subnet_cidrs = plan["runner"] if runner_tier else []

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
        isolated = {
            slot: self._subnets(name, env, vpc, slot, cidrs, azs) for slot, cidrs in self.slot_subnet_cidrs.items()
        }
        public = self._subnets(name, env, vpc, "public", self.public_subnet_cidrs, azs)
        runner = self._subnets(name, env, vpc, "runner", self.runner_subnet_cidrs, azs)

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
            # nat none with a runner tier: one gateway, routed from the runner tier only.
            nat_count = {"none": 1 if runner else 0, "single": 1, "per-az": len(public)}[config.nat]
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
            if nat_ids and config.nat != "none":  # nat none: the runner tier's gateway is not the workloads
                aws.ec2.Route(
                    f"{name}-private-default-{i}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat_ids[i % len(nat_ids)],
                    opts=pulumi.ResourceOptions(parent=rt),
                )
        self._associate(name, "private", private, private_rts)
        # Runner tier (nat none): the only subnets with a route out, through the one NAT gateway.
        runner_rts: list[aws.ec2.RouteTable] = []
        if runner:
            runner_rt = aws.ec2.RouteTable(
                f"{name}-runner-rt", vpc_id=vpc.id, tags={"Name": f"{env}-runner"}, opts=vpc_opts
            )
            aws.ec2.Route(
                f"{name}-runner-default",
                route_table_id=runner_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat_ids[0],
                opts=pulumi.ResourceOptions(parent=runner_rt),
            )
            self._associate(name, "runner", runner, [runner_rt] * len(runner))
            runner_rts.append(runner_rt)
        # Destination subnets: one route table with the local route only (explicit, so never the main table).
        database_rt = aws.ec2.RouteTable(
            f"{name}-database-rt", vpc_id=vpc.id, tags={"Name": f"{env}-database"}, opts=vpc_opts
        )
        for slot, subnets in isolated.items():
            # The load balancers call the IdP's token and user-info endpoints themselves when people sign in (ALB
            # authenticate-oidc/-cognito; mlops:access): the ingress subnets route out through their AZ's NAT.
            tables = private_rts if slot == "ingress" else [database_rt] * len(subnets)
            self._associate(name, slot, subnets, tables)

        # Endpoints: S3 through the private route tables; interface endpoints in the private subnets.
        policies_input = pulumi.Output.all(account, region)
        s3_gateway = aws.ec2.VpcEndpoint(
            f"{name}-s3-gateway",
            vpc_id=vpc.id,
            vpc_endpoint_type="Gateway",
            service_name=region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            route_table_ids=[rt.id for rt in [*private_rts, *runner_rts]],
            policy=policies_input.apply(lambda a: s3_gateway_policy(str(a[0]), str(a[1]))),
            tags={"Name": f"{env}-s3"},
            opts=vpc_opts,
        )
        endpoints_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            # No rule here: the zero-trust graph admits 443 from the security group of each declared caller.
            description=f"Interface VPC endpoints of {env}: HTTPS from declared callers only",
            tags={"Name": f"{env}-endpoints"},
            opts=vpc_opts,
        )
        for service in config.interface_endpoints:
            is_s3 = service == "s3"
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                vpc_endpoint_type="Interface",
                service_name=region.apply(f"com.amazonaws.{{}}.{service}".format),
                private_dns_enabled=True,
                # S3's private DNS answers for every caller in the VPC (not only inbound resolvers), so pods
                # reach S3 at VPC addresses that NetworkPolicies can name; the gateway must exist first.
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/privatelink-interface-endpoints.html
                dns_options=aws.ec2.VpcEndpointDnsOptionsArgs(private_dns_only_for_inbound_resolver_endpoint=False)
                if is_s3
                else None,
                subnet_ids=[s.id for s in isolated["endpoints"]],
                security_group_ids=[endpoints_sg.id],
                policy=policies_input.apply(functools.partial(_endpoint_policy, service)),
                tags={"Name": f"{env}-{service}"},
                opts=pulumi.ResourceOptions.merge(vpc_opts, pulumi.ResourceOptions(depends_on=[s3_gateway]))
                if is_s3
                else vpc_opts,
            )

        self.flow_log_group_name = self._flow_logs(name, env, vpc, config.flow_log_retention_days, account, region)

        self.vpc_id = vpc.id
        self.private_subnet_ids = _ids(private)
        self.slot_subnet_ids = {slot: _ids(subnets) for slot, subnets in isolated.items()}
        self.public_subnet_ids = _ids(public)
        self.private_route_table_ids = _ids(private_rts)
        self.runner_subnet_ids = _ids(runner) if runner else self.private_subnet_ids
        self.endpoints_security_group_id = endpoints_sg.id
        self.endpoints = AwsDestination(
            name="vpc-endpoints", cidrs=tuple(self.slot_subnet_cidrs["endpoints"]), security_group_id=endpoints_sg.id
        )
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "privateSubnetIds": self.private_subnet_ids,
                "destinationSubnetIds": self.slot_subnet_ids,
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
                availability_zone=azs.apply(operator.itemgetter(i)),
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
        name_output: pulumi.Output[str] = group.name
        return name_output


def _first_azs(names: Sequence[str], count: int) -> list[str]:
    if len(names) < count:
        raise ValueError(f"mlops:network.azCount is {count} but the region has only {len(names)} available AZs")
    return list(names[:count])


def _ids(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    return pulumi.Output.all(*[r.id for r in resources]).apply(lambda ids: [str(i) for i in ids])


def _endpoint_policy(service: str, placement: list[Any]) -> str | None:
    """The endpoint policy of ``service`` for (account id, region); None where the service takes none."""
    account, region = str(placement[0]), str(placement[1])
    return (
        s3_gateway_policy(account, region) if service == "s3" else interface_endpoint_policy(service, account, region)
    )
