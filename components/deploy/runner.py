"""DeployRunner: the in-VPC deploy runner, a CodeBuild project registered as a GitHub Actions runner.

The cluster's API endpoint is private and its VPC belongs to this stack, so nothing outside the VPC can
reach the Kubernetes API. The Kubernetes layer is therefore deployed from here: a VPC-attached CodeBuild
project whose webhook (event ``WORKFLOW_JOB_QUEUED``) makes CodeBuild start an ephemeral runner for every
queued job labelled ``codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}``
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html). Its role is the stack's
deployer principal: the cluster gives it admin through an access entry, and the platform declares its
path to the API (443 on the cluster security group) as a zero-trust flow (:attr:`DeployRunner.source`).

Resources: a security group with egress only (HTTPS to the VPC endpoints and, through NAT, to GitHub, the
Pulumi backend, PyPI, chart repositories and the AWS APIs without an endpoint; DNS to the VPC resolver);
a role trusted by CodeBuild for this project only; a customer key and a log group for the builds; the
project and its webhook. Documents and names live in ``components.deploy.runner_values``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config_base import validate_placement
from components.deploy import runner_values as values
from components.deploy.config import RunnerConfig
from components.iam import partition_of
from contracts.flows import AwsSource

HTTPS = 443
DNS = 53


@dataclass(frozen=True, kw_only=True)
class DeployRunnerArgs:
    """Inputs of :class:`DeployRunner`."""

    config: RunnerConfig
    """The validated ``mlops:deploy.runner`` section (repository, connection, image, compute, timeout,
    log retention, extra policies)."""
    environment: str
    """Environment name: the project is ``mlops-<environment>-deploy``, and the runner may change only IAM
    roles tagged ``environment=<environment>`` and S3 buckets named ``<environment>-*``."""
    region: str
    """The stack's region: the runner's permissions are fenced to it."""
    account_id: pulumi.Input[str]
    """The stack's account: the runner's permissions are fenced to it."""
    vpc_id: pulumi.Input[str]
    """The stack's VPC."""
    vpc_cidr: str
    """The VPC's IPv4 block (locates the VPC resolver for DNS)."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets with a route to a NAT gateway: builds run there (CodeBuild gives VPC builds no public
    address; https://docs.aws.amazon.com/codebuild/latest/userguide/vpc-support.html)."""
    endpoints_security_group_id: pulumi.Input[str] | None = None
    """Security group of the VPC interface endpoints; the runner's group gets HTTPS egress to it.
    Default: none (the internet egress then carries AWS API calls too)."""
    internet_egress: bool = True
    """Whether ``subnet_ids`` route to the internet (NAT). Must be true: the runner registers with GitHub
    and downloads the Actions runner, Pulumi plugins and charts from the internet. Default: true."""


class DeployRunner(pulumi.ComponentResource):
    """A VPC-attached CodeBuild project registered as the stack's GitHub Actions deploy runner."""

    role_arn: pulumi.Output[str]
    """The runner role: the stack's deployer principal (cluster admin through an access entry)."""
    security_group_id: pulumi.Output[str]
    """The runner's security group (the source of its zero-trust flows)."""
    project_name: pulumi.Output[str]
    """The CodeBuild project (``mlops-<environment>-deploy``)."""
    runner_label: pulumi.Output[str]
    """``codebuild-<project>``: jobs run here with ``runs-on: <label>-${{ github.run_id }}-${{ github.run_attempt }}``."""
    log_group_name: pulumi.Output[str]
    """The build log group."""
    source: AwsSource
    """The runner as a zero-trust flow source (``deploy-runner``, its security group)."""

    def __init__(self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:deploy:DeployRunner", name, None, opts)
        validate_args(args)
        config, region, env = args.config, args.region, args.environment
        project = values.project_name(env)
        log_group = values.log_group_name(project)
        account = pulumi.Output.from_input(args.account_id)

        def child() -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self)

        # --- Network: egress only, each rule naming what it is for ---------------------------------------
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"Deploy runner of {env}: egress only (HTTPS, DNS); no ingress",
            tags={"Name": f"{env}-deploy-runner"},
            opts=child(),
        )
        group_opts = pulumi.ResourceOptions(parent=group)
        # 443 to the internet through NAT is needed and declared as such: GitHub (runner registration, job
        # logs, checkout), the Pulumi backend and plugins, PyPI, Helm chart repositories, and the AWS APIs
        # without an interface endpoint (IAM, EKS, RDS, Glue, ...). It also covers the two rules below, which
        # stay declared so they survive narrowing this one (an egress proxy or Network Firewall).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-internet",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="HTTPS through NAT: GitHub, Pulumi backend, PyPI, chart repositories, AWS APIs",
            opts=group_opts,
        )
        if args.endpoints_security_group_id is not None:
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-https-endpoints",
                security_group_id=group.id,
                referenced_security_group_id=args.endpoints_security_group_id,
                ip_protocol="tcp",
                from_port=HTTPS,
                to_port=HTTPS,
                description="HTTPS to the VPC interface endpoints (STS, Logs, KMS, ECR, S3, Secrets Manager)",
                opts=group_opts,
            )
        # Security groups do not filter Route 53 Resolver traffic
        # (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html); the rules document the
        # runner's only DNS path and keep it when a Resolver endpoint or firewall is put in front.
        for protocol in ("udp", "tcp"):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-dns-{protocol}",
                security_group_id=group.id,
                cidr_ipv4=values.resolver_cidr(args.vpc_cidr),
                ip_protocol=protocol,
                from_port=DNS,
                to_port=DNS,
                description="DNS to the VPC resolver",
                opts=group_opts,
            )

        # --- Key and log group --------------------------------------------------------------------------------
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Build logs and artifacts of the {env} deploy runner",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda a: values.key_policy(a, region, log_group)),
            opts=child(),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/mlops-{env}-deploy-runner",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=key),
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group,
            retention_in_days=config.log_retention_days,
            kms_key_id=key.arn,
            opts=child(),
        )

        # --- Role: trusted by this project only; runner needs and deploy permissions ------------------------
        role = aws.iam.Role(
            f"{name}-role",
            description=f"Deploy runner of {env} (CodeBuild project {project}): the stack's deployer",
            assume_role_policy=account.apply(lambda a: values.trust_policy(a, region, project)),
            opts=child(),
        )
        runner_policy = aws.iam.RolePolicy(
            f"{name}-runner-policy",
            role=role.id,
            policy=pulumi.Output.all(account, logs.arn, key.arn, args.subnet_ids).apply(
                lambda a: values.runner_policy(
                    account=a[0],
                    region=region,
                    log_group_arn=a[1],
                    key_arn=a[2],
                    subnet_ids=a[3],
                    connection_arn=config.connection_arn,
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        deploy_policy = aws.iam.RolePolicy(
            f"{name}-deploy-policy",
            role=role.id,
            policy=account.apply(lambda a: values.deploy_policy(account=a, region=region, environment=env)),
            opts=pulumi.ResourceOptions(parent=role),
        )
        extras = [
            aws.iam.RolePolicyAttachment(
                f"{name}-extra-{hashlib.sha256(arn.encode()).hexdigest()[:8]}",
                role=role.name,
                policy_arn=arn,
                opts=pulumi.ResourceOptions(parent=role),
            )
            for arn in config.extra_policy_arns
        ]

        # --- The project and its webhook ------------------------------------------------------------------
        source_auth = (
            aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=config.connection_arn)
            if config.connection_arn is not None
            else None  # the account's CodeBuild GitHub source credential
        )
        self._project = aws.codebuild.Project(
            f"{name}-project",
            name=project,
            description=f"GitHub Actions runner in the {env} VPC: deploys the stack (Kubernetes layer included)",
            service_role=role.arn,
            build_timeout=config.timeout_minutes,
            encryption_key=key.arn,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=config.compute_type,
                image=config.image,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,  # no Docker daemon: the runner deploys, it builds no images
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=logs.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=values.source_location(config.repository),
                git_clone_depth=1,
                auth=source_auth,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=args.subnet_ids, security_group_ids=[group.id]
            ),
            # CodeBuild validates the VPC configuration with the role's EC2 permissions when the project is
            # created: the policies must exist first (aws/aws-cdk#2651, #2652).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[runner_policy, deploy_policy, *extras, logs]),
        )
        # One filter group: EVENT = WORKFLOW_JOB_QUEUED registers the project as a GitHub Actions runner
        # (https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html), and WORKFLOW_NAME keeps
        # it to the platform's own workflows ("WORKFLOW_NAME filters will only work with GitHub Actions
        # workflow job events": API_WebhookFilter), so a new workflow file cannot borrow the deployer's role.
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=self._project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern=values.WEBHOOK_EVENT),
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="WORKFLOW_NAME", pattern=values.workflow_name_pattern(config.workflows)
                        ),
                    ]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self._project),
        )

        # --- Outputs --------------------------------------------------------------------------------------
        self.role_arn = role.arn
        self.security_group_id = group.id
        self.project_name = self._project.name
        self.runner_label = self._project.name.apply(values.runner_label)
        self.log_group_name = logs.name
        self.source = AwsSource(name="deploy-runner", security_group_id=group.id)
        self.register_outputs(
            {
                "roleArn": self.role_arn,
                "securityGroupId": self.security_group_id,
                "projectName": self.project_name,
                "runnerLabel": self.runner_label,
                "logGroupName": self.log_group_name,
            }
        )


def validate_args(args: DeployRunnerArgs) -> None:
    """Reject impossible plain inputs before any resource exists, naming the field and what is allowed."""
    validate_placement(args.environment, args.region, args.account_id)
    try:
        ipaddress.IPv4Network(args.vpc_cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"DeployRunnerArgs.vpc_cidr: {args.vpc_cidr!r} is not an IPv4 CIDR ({exc})") from None
    if not args.internet_egress:
        raise ValueError(
            "DeployRunnerArgs.internet_egress is false (network.nat none): the runner must reach GitHub, the "
            "Pulumi backend and chart repositories; set network.nat to single or per-az, or unset deploy.runner"
        )
    partition = partition_of(args.region)
    for arn in args.config.extra_policy_arns:
        if not arn.startswith(f"arn:{partition}:"):
            raise ValueError(
                f"DeployRunnerArgs.config.extra_policy_arns: {arn!r} is not in the partition of region "
                f"{args.region!r} ({partition})"
            )
    connection = args.config.connection_arn
    if connection is not None and connection.split(":")[1] != partition:
        raise ValueError(
            f"DeployRunnerArgs.config.connection_arn: {connection!r} is not in the partition of region "
            f"{args.region!r} ({partition})"
        )


__all__ = ["DeployRunner", "DeployRunnerArgs", "validate_args"]
