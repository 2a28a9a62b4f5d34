"""PlatformIngress: the way in. People reach MLflow and Airflow, client applications reach models, each through
identity and TLS; nothing unauthenticated reaches a pod (docs/adr/0004-the-way-in.md).

Pulumi owns the load balancers; the controller only binds pods to them:

- **people** (``<env>-people``): an internal ALB in the ingress subnets (internet-facing only with
  ``mlops:access.public``: WAF and an allow-list). HTTPS 443 with a modern TLS policy and the stack's certificate;
  HTTP 80 only redirects. Host rules ``mlflow.<domain>`` and ``airflow.<domain>``, each an authenticate action
  (Cognito or OIDC) then a forward; anything else gets a fixed 404. Optionally behind AWS Verified Access.
- **models** (``<env>-models``, with ``clients.caBundle``): an internal ALB whose HTTPS listener verifies client
  certificates against a trust store made from the committed CA bundle (mutual TLS, ``mode: verify``). Path rules
  per model (KServe v1 and v2 protocols) to a target group per model bound to ``<name>-predictor`` in ``serving``,
  and a host rule ``mlflow-api.<domain>`` to MLflow (whose basic auth still applies).
- every target group is ``target_type: ip``, tagged for this cluster, and bound to its Service by a
  ``TargetGroupBinding`` (no ``networking`` section) that the AWS Load Balancer Controller reconciles; the
  controller (pinned chart, IRSA policy cut down to registering targets in these target groups) runs in a
  namespace of its own.
- each ALB has its own security group: 443 (and 80 on people) from ``clientCidrs`` or, with Verified Access, from
  the endpoints' group only. No egress rule is created here for pods: load balancer -> pod traffic is a declared
  flow (:attr:`PlatformIngress.flows`), rendered by the zero-trust component on both ends. The one egress rule
  created here is people -> the IdP (443): the load balancer exchanges the sign-in code itself.
- TLS: an ACM certificate for ``<domain>`` and ``*.<domain>`` (DNS validation in a public zone) or an existing one;
  a private hosted zone of ``<domain>`` attached to the VPC with alias records for every host.
- access (and, for mutual TLS, connection) logs to a bucket of its own with SSE-S3, the only default encryption
  ELB log delivery supports (ELB user guide, "Enable access logs", bucket requirements); the trust store's CA
  bundle lives in the same bucket. Deletion protection in the production tier.

Pure pieces: ``config`` (the section), ``routing`` (names, rules, bindings, flows), ``documents`` (IAM and bucket
policies, Cedar), ``controller`` (chart values); ``identity`` (Cognito/OIDC) and ``verified_access`` build their
resources under this component.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.access import controller, documents, routing
from components.access.config import AccessConfig, deletion_protection, read_ca_bundle
from components.access.identity import CognitoPool, authenticate_action, cognito_pool
from components.access.routing import AppTarget
from components.access.verified_access import verified_access
from components.cluster.identity import OidcIssuer, service_account_role
from components.cluster.kube import psa_labels
from components.config_base import validate_placement
from components.data.artifact_bucket import own_bucket_name
from components.data.bucket_controls import bucket_controls
from components.iam import partition_of
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
"""TLS 1.3 and TLS 1.2 with restricted (forward-secret AEAD) ciphers and hybrid post-quantum key exchange: the
policy AWS recommends (ELB user guide, "Security policies for your Application Load Balancer"; the console's
default since 2025-09). The API's own default is ELBSecurityPolicy-2016-08 (TLS 1.0), so it is always set."""
LOG_PREFIXES = {"people": "logs/people", "models": "logs/models", "connections": "logs/models-connections"}
"""Where each log stream goes in the access bucket (ELB appends ``AWSLogs/<account>/...``)."""
TRUST_STORE_KEY = "trust-stores/clients-ca.pem"
"""Object key of the clients' CA bundle in the access bucket."""
IDP_EGRESS_CIDR = "0.0.0.0/0"
"""The people load balancer calls the IdP's token and user-info endpoints (internet hosts, changing addresses)."""
HEALTH_MATCHER = "200"


@dataclass(frozen=True, kw_only=True)
class PlatformIngressArgs:
    """Inputs of :class:`PlatformIngress`."""

    config: AccessConfig
    """The stack's `mlops:access` section."""
    environment: str
    """Environment name (dev, prod, pr-42): resource names."""
    region: str
    account_id: pulumi.Input[str]
    """AWS account (bucket name, IAM ARNs, log delivery paths)."""
    tier: str
    """The stack's effective tier (contracts.tiers): deletion protection in production."""
    kubernetes_version: str
    """The cluster's Kubernetes minor (Pod Security labels of the controller namespace)."""
    vpc_id: pulumi.Input[str]
    ingress_subnet_ids: pulumi.Input[Sequence[str]]
    """The ingress subnets (one per AZ): the internal load balancers and Verified Access endpoints live there."""
    ingress_subnet_cidrs: Sequence[str]
    """Their CIDRs: the pods' NetworkPolicies admit the load balancers from these."""
    public_subnet_ids: pulumi.Input[Sequence[str]] | None = None
    """Public subnets, only for `mlops:access.public` (the internet-facing people entry)."""
    public_subnet_cidrs: Sequence[str] = ()
    """Their CIDRs."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster (controller, target-group tag)."""
    oidc: OidcIssuer
    """The cluster's IRSA issuer."""
    k8s_provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    api_server: ExternalDestination
    """The Kubernetes API (``ServingCluster.api_server``): the controller's flow."""
    endpoints: AwsDestination
    """The VPC interface endpoints (``Network.endpoints``): the controller's AWS calls."""
    people_apps: Sequence[AppTarget] = ()
    """What the people entry forwards to (keys ``mlflow``, ``airflow``)."""
    mlflow_api: AppTarget | None = None
    """MLflow's Service for the machine entry's ``mlflow-api`` route (key ``mlflow-api``); None: no such route."""
    predictors: Workload | None = None
    """KServe predictor pods (``components.cluster.component.PREDICTORS``): the model routes' flow destination."""
    predictor_port: int = 8080
    """The model servers' container port (``PREDICTOR_PORT``)."""
    predictor_service_port: int = 80
    """Port of the ``<name>-predictor`` Service (KServe RawDeployment maps 80 to the container port:
    pkg/controller/v1beta1/inferenceservice/reconcilers/service/service_reconciler.go at v0.15.2)."""
    serving_namespace: str = "serving"
    """Namespace of the InferenceServices."""
    registry: pulumi.Output[RegistryBase] | None = None
    """The stack's ECR: the controller image is pulled through it. Default: public.ecr.aws."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the access bucket (phoenix stacks)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the TargetGroupBindings need first (the namespaces of MLflow, Airflow and serving)."""
    controller_namespace: k8s.core.v1.Namespace | None = None
    """The controller's namespace when the cluster creates it; None: this component creates it (Pod Security
    ``restricted``)."""
    release_depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the controller's pods need before they start, e.g. their SecurityGroupPolicy (security groups for pods
    are assigned at pod creation)."""


PEOPLE_KEYS = ("mlflow", "airflow")


def controller_namespace(
    resource_name: str, *, kubernetes_version: str, opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """The controller's namespace, Pod Security ``restricted`` (its pods run non-root, RuntimeDefault seccomp, no
    capabilities: ``controller.controller_values``).

    The platform creates it before its ``PodSecurityGroups`` when the controller has a security group of its own:
    the SecurityGroupPolicy lives in this namespace, and must exist before the controller's pods start (the VPC
    resource controller assigns pod security groups at pod creation only). Pass it as
    :attr:`PlatformIngressArgs.controller_namespace`.
    """
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=controller.NAMESPACE,
            labels={**psa_labels("restricted", kubernetes_version), "app.kubernetes.io/managed-by": "pulumi"},
        ),
        opts=opts,
    )


def validate_args(args: PlatformIngressArgs) -> None:
    """Reject impossible plain inputs before any resource exists, naming the field and what is allowed."""
    validate_placement(args.environment, args.region, args.account_id)
    config = args.config
    if len(args.ingress_subnet_cidrs) < 2:
        raise ValueError("PlatformIngressArgs.ingress_subnet_cidrs: an ALB needs subnets in at least two AZs")
    keys = [app.key for app in args.people_apps]
    unknown = sorted(set(keys) - set(PEOPLE_KEYS))
    if unknown or len(set(keys)) != len(keys):
        raise ValueError(f"PlatformIngressArgs.people_apps: keys {keys}; allowed once each: {list(PEOPLE_KEYS)}")
    if args.mlflow_api is not None and args.mlflow_api.key != "mlflow-api":
        raise ValueError("PlatformIngressArgs.mlflow_api: key must be 'mlflow-api'")
    if config.clients.models and args.predictors is None:
        raise ValueError("PlatformIngressArgs.predictors is required with access.clients.models")
    if config.public is not None and (args.public_subnet_ids is None or len(args.public_subnet_cidrs) < 2):
        raise ValueError("PlatformIngressArgs: access.public needs public subnets in at least two AZs")
    machine = config.clients.ca_bundle is not None and (config.clients.models or args.mlflow_api is not None)
    if not args.people_apps and not machine:
        raise ValueError("PlatformIngressArgs: nothing to expose (no people_apps, no model or MLflow API route)")
    # Priorities must not collide (raises with the two model names).
    routing.model_priorities(config.clients.models)


class PlatformIngress(pulumi.ComponentResource):
    """The load balancers, their certificate, DNS, authentication and the controller binding pods to them."""

    flows: list[Flow]
    """Zero-trust flows: load balancers -> pods (IP targets), the controller's own, Verified Access -> people."""
    urls: dict[str, str]
    """Entry point -> URL: mlflow, airflow (people), models, mlflowApi (client applications)."""
    people_dns_name: pulumi.Output[str]
    """DNS name of the people load balancer."""
    models_dns_name: pulumi.Output[str] | None
    """DNS name of the models load balancer (None without ``clients.caBundle``)."""
    certificate_arn: pulumi.Output[str]
    """The validated certificate every HTTPS listener presents."""
    zone_id: pulumi.Output[str]
    """The private hosted zone of ``<domain>``."""
    controller_role_arn: pulumi.Output[str]
    """IRSA role of the AWS Load Balancer Controller."""
    user_pool_id: pulumi.Output[str] | None
    """The Cognito user pool people sign in to (kind cognito)."""
    controller: Workload
    """The controller pods (the control plane -> webhook flow's destination: :func:`controller.webhook_flow`)."""
    namespace: k8s.core.v1.Namespace
    """The controller's namespace."""

    def __init__(self, name: str, args: PlatformIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:access:PlatformIngress", name, None, opts)
        validate_args(args)
        config, env, region = args.config, args.environment, args.region
        partition = partition_of(region)
        protect = deletion_protection(config, args.tier)
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)
        hosts = {key: routing.host(key, config.domain) for key in routing.HOST_LABELS}
        self.flows = []
        self.controller = controller.controller_workload()

        # --- The controller: namespace, IRSA role, chart ---------------------------------------------------------
        release = self._controller(name, args, account, partition)

        # --- Access bucket: load balancer logs (SSE-S3) and the clients' CA bundle ---------------------------------
        bucket, bucket_ready = self._bucket(name, args, account, partition)

        # --- Certificate and private DNS ------------------------------------------------------------------------
        self.certificate_arn = self._certificate(name, config)
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=config.domain,
            comment=f"mlops {env}: the way in (private; attached to the VPC)",
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id, vpc_region=region)],
            opts=child,
        )
        self.zone_id = zone.zone_id

        # --- People: authentication, load balancer, rules ----------------------------------------------------------
        pool: CognitoPool | None = None
        people_hosts = [hosts[app.key] for app in args.people_apps]
        self.user_pool_id = None
        if args.people_apps and config.auth.kind == "cognito":
            pool = cognito_pool(
                f"{name}-people",
                auth=config.auth,
                environment=env,
                account_id=account,
                hosts=people_hosts,
                protect=protect,
                parent=self,
            )
            self.user_pool_id = pool.user_pool_id
        self.people_dns_name = pulumi.Output.from_input("")
        self.urls = {}
        if args.people_apps:
            self.people_dns_name = self._people(name, args, hosts, pool, bucket, bucket_ready, zone, release, protect)
        # --- Client applications: mutual TLS to models and the MLflow API ------------------------------------------
        self.models_dns_name = None
        if config.clients.ca_bundle is not None and (config.clients.models or args.mlflow_api is not None):
            self.models_dns_name = self._models(name, args, hosts, bucket, bucket_ready, zone, release, protect)

        self.flows += controller.controller_flows(args.api_server, args.endpoints)
        self.register_outputs(
            {
                "urls": self.urls,
                "peopleDnsName": self.people_dns_name,
                "modelsDnsName": self.models_dns_name,
                "certificateArn": self.certificate_arn,
                "zoneId": self.zone_id,
                "controllerRoleArn": self.controller_role_arn,
                "userPoolId": self.user_pool_id,
            }
        )

    # --- Pieces ----------------------------------------------------------------------------------------------------

    def _controller(
        self, name: str, args: PlatformIngressArgs, account: pulumi.Output[str], partition: str
    ) -> k8s.helm.v3.Release:
        """The controller's namespace (Pod Security restricted), IRSA role and Helm release."""
        config = args.config.controller
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        self.namespace = args.controller_namespace or controller_namespace(
            f"{name}-controller-ns", kubernetes_version=args.kubernetes_version, opts=k8s_opts
        )
        region = args.region
        prefix = routing.target_group_prefix(args.environment)
        role = service_account_role(
            f"{name}-controller",
            oidc=args.oidc,
            namespace=controller.NAMESPACE,
            service_account=controller.SERVICE_ACCOUNT,
            policy=pulumi.Output.all(account, args.cluster_name).apply(
                lambda a: documents.controller_policy(
                    partition=partition,
                    region=region,
                    account=str(a[0]),
                    cluster_name=str(a[1]),
                    target_group_prefix=prefix,
                )
            ),
            parent=self,
        )
        self.controller_role_arn = role.arn
        values = pulumi.Output.all(args.cluster_name, args.vpc_id, role.arn, args.registry).apply(
            lambda a: controller.controller_values(
                cluster_name=str(a[0]),
                region=region,
                vpc_id=str(a[1]),
                role_arn=str(a[2]),
                replicas=config.replicas,
                image_tag=config.image_tag,
                registry=a[3],
            )
        )
        return k8s.helm.v3.Release(
            f"{name}-controller",
            name=controller.RELEASE,
            chart=controller.CHART,
            version=config.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=controller.CHART_REPO),
            namespace=self.namespace.metadata.name,
            values=values,
            atomic=True,
            timeout=600,
            # The role first: a pod that starts before its role exists fails its first AWS calls.
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.k8s_provider, depends_on=[role, *args.release_depends_on]
            ),
        )

    def _bucket(
        self, name: str, args: PlatformIngressArgs, account: pulumi.Output[str], partition: str
    ) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
        """The access bucket: SSE-S3 (ELB log delivery supports no other default encryption), TLS only, ELB log
        delivery allowed under the log prefixes only, logs expiring after ``accessLogDays``."""
        region = args.region
        bucket = aws.s3.Bucket(
            f"{name}-logs-bucket",
            bucket=own_bucket_name(args.environment, "access", account, region),
            force_destroy=args.force_destroy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = pulumi.Output.all(bucket.arn, account).apply(
            lambda a: documents.access_bucket_policy(
                bucket_arn=str(a[0]),
                region=region,
                account=str(a[1]),
                partition=partition,
                log_prefixes=sorted(LOG_PREFIXES.values()),
            )
        )
        controls = bucket_controls(
            f"{name}-logs",
            bucket,
            sse_rule={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            policy=policy,
            lifecycle_rules=access_lifecycle_rules(args.config.access_log_days),
            parent=self,
        )
        return bucket, controls.ready

    def _certificate(self, name: str, config: AccessConfig) -> pulumi.Output[str]:
        """A validated ACM certificate for ``<domain>`` and ``*.<domain>``, or the configured one."""
        if config.certificate.arn is not None:
            return pulumi.Output.from_input(config.certificate.arn)
        zone_id = config.certificate.validation_zone_id
        assert zone_id is not None  # the config model requires one of them
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=config.domain,
            subject_alternative_names=[f"*.{config.domain}"],
            validation_method="DNS",
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The apex and its wildcard share one validation record (ACM user guide, "DNS validation"): one record.
        options = certificate.domain_validation_options
        record = aws.route53.Record(
            f"{name}-certificate-validation",
            zone_id=zone_id,
            name=options.apply(lambda o: o[0].resource_record_name if o else None),
            type=options.apply(lambda o: o[0].resource_record_type if o else "CNAME"),
            records=options.apply(lambda o: [str(o[0].resource_record_value)] if o else []),
            ttl=300,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=certificate),
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-certificate-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=certificate),
        )
        validated: pulumi.Output[str] = validation.certificate_arn
        return validated

    def _security_group(self, name: str, args: PlatformIngressArgs, role: str, what: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{name}-{role}-sg",
            vpc_id=args.vpc_id,
            # No egress here for pods: each load balancer -> pod connection is a declared flow (both ends rendered).
            description=f"{args.environment} {what}: clients on HTTPS only; to pods only through declared flows",
            revoke_rules_on_delete=True,
            tags={"Name": f"{args.environment}-{role}-alb"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _admit(self, name: str, group: aws.ec2.SecurityGroup, cidrs: Sequence[str], ports: Sequence[int]) -> None:
        """Ingress from client networks, one rule per (CIDR, port), named by a digest so each keeps its resource."""
        for cidr in cidrs:
            digest = hashlib.sha256(cidr.encode()).hexdigest()[:8]
            for port in ports:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{port}-{digest}",
                    security_group_id=group.id,
                    cidr_ipv4=cidr,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"clients {cidr} -> load balancer {port}",
                    opts=pulumi.ResourceOptions(parent=group),
                )

    def _load_balancer(
        self,
        name: str,
        args: PlatformIngressArgs,
        role: str,
        *,
        group: aws.ec2.SecurityGroup,
        subnets: pulumi.Input[Sequence[str]],
        internal: bool,
        bucket: aws.s3.Bucket,
        ready: Sequence[pulumi.Resource],
        protect: bool,
        connection_logs: bool = False,
    ) -> aws.lb.LoadBalancer:
        return aws.lb.LoadBalancer(
            f"{name}-{role}-alb",
            name=routing.resource_name(args.environment, role),
            load_balancer_type="application",
            internal=internal,
            ip_address_type="ipv4",
            security_groups=[group.id],
            subnets=subnets,
            drop_invalid_header_fields=True,
            enable_deletion_protection=protect,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=bucket.bucket, prefix=LOG_PREFIXES[role], enabled=True
            ),
            connection_logs=aws.lb.LoadBalancerConnectionLogsArgs(
                bucket=bucket.bucket, prefix=LOG_PREFIXES["connections"], enabled=True
            )
            if connection_logs
            else None,
            # ELB checks its write access when logging is switched on: the bucket policy must be in place first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(ready)),
        )

    def _target(
        self,
        name: str,
        args: PlatformIngressArgs,
        *,
        role: str,
        port: int,
        health_path: str,
        namespace: str,
        service: str,
        service_port: int,
        release: k8s.helm.v3.Release,
    ) -> aws.lb.TargetGroup:
        """An IP-mode target group tagged for this cluster, and the TargetGroupBinding filling it with the
        Service's ready pods."""
        group = aws.lb.TargetGroup(
            f"{name}-tg-{role}",
            # The port is in the name: it forces a replacement (ForceNew in terraform-provider-aws
            # internal/service/elbv2/target_group.go, as name, protocol, target_type and vpc_id), and Pulumi creates
            # the new target group before deleting the old one, which a fixed name would make collide.
            name=routing.resource_name(args.environment, f"{role}-{port}"),
            target_type="ip",
            protocol="HTTP",
            port=port,
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                port="traffic-port",
                path=health_path,
                matcher=HEALTH_MATCHER,
                interval=15,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags={documents.BINDING_TAG: args.cluster_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        spec = pulumi.Output.all(group.arn, args.vpc_id).apply(
            lambda a: routing.target_group_binding(
                name=role,
                namespace=namespace,
                service=service,
                port=service_port,
                target_group_arn=str(a[0]),
                vpc_id=str(a[1]),
            )["spec"]
        )
        k8s.apiextensions.CustomResource(
            f"{name}-tgb-{role}",
            api_version=routing.TARGET_GROUP_BINDING_API,
            kind="TargetGroupBinding",
            metadata={"name": role, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
            spec=spec,
            # The CRD and the (fail-closed) binding webhooks come with the release; the namespaces must exist.
            # spec.targetGroupARN is immutable (the validating webhook refuses a change: webhooks/elbv2/
            # targetgroupbinding_validator.go checkImmutableFields at v3.5.0): a new target group replaces the binding,
            # deleted first since the new one has the same name.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.k8s_provider,
                depends_on=[release, *args.depends_on],
                replace_on_changes=["spec.targetGroupARN"],
                delete_before_replace=True,
            ),
        )
        return group

    def _alias(self, name: str, key: str, zone: aws.route53.Zone, host: str, lb: aws.lb.LoadBalancer) -> None:
        aws.route53.Record(
            f"{name}-dns-{key}",
            zone_id=zone.zone_id,
            name=host,
            type="A",
            aliases=[aws.route53.RecordAliasArgs(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True)],
            opts=pulumi.ResourceOptions(parent=zone),
        )

    def _https(
        self, name: str, role: str, lb: aws.lb.LoadBalancer, *, mutual: aws.lb.TrustStore | None = None
    ) -> aws.lb.Listener:
        return aws.lb.Listener(
            f"{name}-{role}-https",
            load_balancer_arn=lb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=self.certificate_arn,
            mutual_authentication=aws.lb.ListenerMutualAuthenticationArgs(
                mode="verify", trust_store_arn=mutual.arn, ignore_client_certificate_expiry=False
            )
            if mutual is not None
            else None,
            default_actions=[not_found()],
            opts=pulumi.ResourceOptions(parent=lb),
        )

    def _people(
        self,
        name: str,
        args: PlatformIngressArgs,
        hosts: Mapping[str, str],
        pool: CognitoPool | None,
        bucket: aws.s3.Bucket,
        ready: Sequence[pulumi.Resource],
        zone: aws.route53.Zone,
        release: k8s.helm.v3.Release,
        protect: bool,
    ) -> pulumi.Output[str]:
        config = args.config
        public = config.public
        group = self._security_group(name, args, "people", "people entry (MLflow, Airflow)")
        va = config.verified_access.enabled
        if public is not None:
            self._admit(f"{name}-people-public", group, public.allowed_cidrs, (443, 80))
        elif not va:
            self._admit(f"{name}-people-clients", group, config.client_cidrs, (443, 80))
        # The load balancer itself exchanges the sign-in code at the IdP's token endpoint and reads user info
        # (re:Post knowledge-center/elb-configure-authentication-alb, "HTTP 500": an outbound rule to the IdP on 443).
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-people-idp",
            security_group_id=group.id,
            cidr_ipv4=IDP_EGRESS_CIDR,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="people load balancer -> IdP token and user-info endpoints (sign-in)",
            opts=pulumi.ResourceOptions(parent=group),
        )
        subnets = (
            args.public_subnet_ids
            if public is not None and args.public_subnet_ids is not None
            else args.ingress_subnet_ids
        )
        cidrs = tuple(args.public_subnet_cidrs if public is not None else args.ingress_subnet_cidrs)
        lb = self._load_balancer(
            name,
            args,
            "people",
            group=group,
            subnets=subnets,
            internal=public is None,
            bucket=bucket,
            ready=ready,
            protect=protect,
        )
        https = self._https(name, "people", lb)
        aws.lb.Listener(
            f"{name}-people-http",
            load_balancer_arn=lb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=lb),
        )
        for app in args.people_apps:
            host = hosts[app.key]
            target = self._target(
                name,
                args,
                role=app.key,
                port=app.target_port,
                health_path=app.health_path,
                namespace=app.namespace,
                service=app.service,
                service_port=app.service_port,
                release=release,
            )
            aws.lb.ListenerRule(
                f"{name}-people-{app.key}",
                listener_arn=https.arn,
                priority=routing.PEOPLE_PRIORITIES[app.key],
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[host])
                    )
                ],
                actions=[authenticate_action(config.auth, pool, order=1), forward(target.arn, order=2)],
                opts=pulumi.ResourceOptions(parent=https),
            )
            self._alias(name, app.key, zone, host, lb)
            self.urls[app.key] = f"https://{host}"
        source = AwsSource("alb/people", group.id, cidrs=cidrs)
        self.flows += routing.people_flows(source, args.people_apps)
        if va:
            self._verified_access(name, args, {app.key: hosts[app.key] for app in args.people_apps}, lb, group, https)
        elif public is not None:
            self._public(name, args, lb, [hosts[app.key] for app in args.people_apps])
        dns_name: pulumi.Output[str] = lb.dns_name
        return dns_name

    def _verified_access(
        self,
        name: str,
        args: PlatformIngressArgs,
        hosts: dict[str, str],
        lb: aws.lb.LoadBalancer,
        group: aws.ec2.SecurityGroup,
        https: aws.lb.Listener,
    ) -> None:
        entry = verified_access(
            name,
            access=args.config,
            environment=args.environment,
            vpc_id=args.vpc_id,
            subnet_ids=args.ingress_subnet_ids,
            load_balancer_arn=lb.arn,
            certificate_arn=self.certificate_arn,
            hosts=hosts,
            parent=self,
            depends_on=[https],
        )
        listener = AwsDestination(
            "alb/people-listener", cidrs=tuple(args.ingress_subnet_cidrs), security_group_id=group.id
        )
        self.flows.append(
            Flow(
                AwsSource("verified-access", entry.security_group_id, cidrs=tuple(args.ingress_subnet_cidrs)),
                listener,
                443,
                description="Verified Access endpoints -> people load balancer",
            )
        )
        zone_id = args.config.verified_access_zone_id
        for host, domain in sorted(entry.endpoint_domains.items()):
            aws.route53.Record(
                f"{name}-va-dns-{host.split('.', 1)[0]}",
                zone_id=zone_id,
                name=host,
                type="CNAME",
                ttl=300,
                records=[domain],
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _public(self, name: str, args: PlatformIngressArgs, lb: aws.lb.LoadBalancer, hosts: Sequence[str]) -> None:
        """An internet-facing people entry: AWS WAF in front (AWS managed rule groups and a per-IP rate limit), and
        public alias records."""
        public = args.config.public
        assert public is not None
        acl = aws.wafv2.WebAcl(
            f"{name}-people-waf",
            name=f"mlops-{args.environment}-people",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=waf_rules(public.rate_limit, args.environment),
            visibility_config=_visibility(f"mlops-{args.environment}-people"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-people-waf-association",
            resource_arn=lb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=acl),
        )
        zone_id = args.config.certificate.validation_zone_id
        for host in hosts:
            aws.route53.Record(
                f"{name}-public-dns-{host.split('.', 1)[0]}",
                zone_id=zone_id,
                name=host,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True)
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _models(
        self,
        name: str,
        args: PlatformIngressArgs,
        hosts: Mapping[str, str],
        bucket: aws.s3.Bucket,
        ready: Sequence[pulumi.Resource],
        zone: aws.route53.Zone,
        release: k8s.helm.v3.Release,
        protect: bool,
    ) -> pulumi.Output[str]:
        config = args.config
        bundle_path = config.clients.ca_bundle
        assert bundle_path is not None
        group = self._security_group(name, args, "models", "models entry (mutual TLS)")
        self._admit(f"{name}-models-clients", group, config.client_cidrs, (443,))
        bundle = aws.s3.BucketObjectv2(
            f"{name}-clients-ca",
            bucket=bucket.id,
            key=TRUST_STORE_KEY,
            content=read_ca_bundle(bundle_path),
            content_type="application/x-pem-file",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(ready)),
        )
        store = aws.lb.TrustStore(
            f"{name}-clients-trust-store",
            name=routing.resource_name(args.environment, "clients"),
            ca_certificates_bundle_s3_bucket=bucket.bucket,
            ca_certificates_bundle_s3_key=bundle.key,
            ca_certificates_bundle_s3_object_version=bundle.version_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        lb = self._load_balancer(
            name,
            args,
            "models",
            group=group,
            subnets=args.ingress_subnet_ids,
            internal=True,
            bucket=bucket,
            ready=ready,
            protect=protect,
            connection_logs=True,
        )
        https = self._https(name, "models", lb, mutual=store)
        if args.mlflow_api is not None and config.clients.mlflow_api:
            api = args.mlflow_api
            target = self._target(
                name,
                args,
                role="mlflow-api",
                port=api.target_port,
                health_path=api.health_path,
                namespace=api.namespace,
                service=api.service,
                service_port=api.service_port,
                release=release,
            )
            aws.lb.ListenerRule(
                f"{name}-models-mlflow-api",
                listener_arn=https.arn,
                priority=routing.MLFLOW_API_PRIORITY,
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[hosts["mlflow-api"]])
                    )
                ],
                actions=[forward(target.arn, order=1)],
                opts=pulumi.ResourceOptions(parent=https),
            )
            self._alias(name, "mlflow-api", zone, hosts["mlflow-api"], lb)
            self.urls["mlflowApi"] = f"https://{hosts['mlflow-api']}"
        priorities = routing.model_priorities(config.clients.models)
        for model in config.clients.models:
            role = routing.model_role(model)
            target = self._target(
                name,
                args,
                role=role,
                port=args.predictor_port,
                health_path=config.clients.health_check_path,
                namespace=args.serving_namespace,
                service=f"{model}-predictor",
                service_port=args.predictor_service_port,
                release=release,
            )
            aws.lb.ListenerRule(
                f"{name}-models-{model}",
                listener_arn=https.arn,
                priority=priorities[model],
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[hosts["models"]])
                    ),
                    aws.lb.ListenerRuleConditionArgs(
                        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=routing.model_paths(model))
                    ),
                ],
                actions=[forward(target.arn, order=1)],
                opts=pulumi.ResourceOptions(parent=https),
            )
        self._alias(name, "models", zone, hosts["models"], lb)
        self.urls["models"] = f"https://{hosts['models']}"
        source = AwsSource("alb/models", group.id, cidrs=tuple(args.ingress_subnet_cidrs))
        self.flows += routing.machine_flows(
            source,
            predictors=args.predictors if config.clients.models else None,
            predictor_port=args.predictor_port,
            mlflow_api=args.mlflow_api if config.clients.mlflow_api else None,
        )
        dns_name: pulumi.Output[str] = lb.dns_name
        return dns_name


def forward(target_group_arn: pulumi.Input[str], *, order: int) -> aws.lb.ListenerRuleActionArgs:
    """Forward to one target group."""
    return aws.lb.ListenerRuleActionArgs(type="forward", order=order, target_group_arn=target_group_arn)


def not_found() -> aws.lb.ListenerDefaultActionArgs:
    """The default of every HTTPS listener: a fixed 404, so an unknown host or path never reaches a pod."""
    return aws.lb.ListenerDefaultActionArgs(
        type="fixed-response",
        fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
            content_type="text/plain", message_body="Not found", status_code="404"
        ),
    )


def access_lifecycle_rules(log_days: int) -> list[dict[str, Any]]:
    """Logs expire after ``log_days``; old versions (the CA bundle's too) after 30 days; stale uploads after 7."""
    if log_days < 1:
        raise ValueError(f"log_days must be at least 1 (got {log_days})")
    return [
        {
            "id": "expire-logs",
            "status": "Enabled",
            "filter": {"prefix": "logs/"},
            "expiration": {"days": log_days},
        },
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": 30},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        },
    ]


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
    return aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
"""AWS managed rule groups on the internet-facing people entry (AWS WAF developer guide, "Baseline rule groups")."""


def waf_rules(rate_limit: int, environment: str) -> list[aws.wafv2.WebAclRuleArgs]:
    """The managed rule groups (their own actions) and a per-IP rate limit."""
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=group,
            priority=index,
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    name=group, vendor_name="AWS"
                )
            ),
            visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{environment}-{group}", sampled_requests_enabled=True
            ),
        )
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=len(MANAGED_RULE_GROUPS),
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate_limit, aggregate_key_type="IP"
                )
            ),
            visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{environment}-rate-limit", sampled_requests_enabled=True
            ),
        )
    )
    return rules


__all__ = [
    "LOG_PREFIXES",
    "TLS_POLICY",
    "AppTarget",
    "PlatformIngress",
    "PlatformIngressArgs",
    "access_lifecycle_rules",
    "controller_namespace",
    "forward",
    "not_found",
    "validate_args",
    "waf_rules",
]
