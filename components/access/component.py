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
policies, Cedar), ``controller`` (chart values). Resource builders, each creating its resources under this component:
``controller_install`` (namespace, IRSA role, chart), ``logs`` (the access bucket), ``tls`` (certificate, trust
store, private zone, records), ``balancers`` (security groups, load balancers, listeners, rules, target groups and
bindings), ``waf`` (the public people entry's web ACL), ``identity`` (Cognito/OIDC) and ``verified_access``. This
module only wires them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.access import balancers, controller, routing, tls
from components.access.balancers import TargetSite
from components.access.config import AccessConfig, deletion_protection
from components.access.controller_install import controller_namespace, install_controller
from components.access.identity import CognitoPool, authenticate_action, cognito_pool
from components.access.logs import access_bucket
from components.access.routing import AppTarget
from components.access.verified_access import verified_access
from components.access.waf import people_waf
from components.cluster.identity import OidcIssuer
from components.config_base import validate_placement
from components.iam import partition_of
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload


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
        account = pulumi.Output.from_input(args.account_id)
        hosts = {key: routing.host(key, config.domain) for key in routing.HOST_LABELS}
        self.flows = []
        self.controller = controller.controller_workload()

        # --- The controller: namespace, IRSA role, chart ---------------------------------------------------------
        install = install_controller(
            name,
            config=config.controller,
            environment=env,
            region=region,
            partition=partition,
            account=account,
            cluster_name=args.cluster_name,
            vpc_id=args.vpc_id,
            oidc=args.oidc,
            k8s_provider=args.k8s_provider,
            kubernetes_version=args.kubernetes_version,
            registry=args.registry,
            namespace=args.controller_namespace,
            release_depends_on=args.release_depends_on,
            parent=self,
        )
        self.namespace = install.namespace
        self.controller_role_arn = install.role_arn

        # --- Access bucket: load balancer logs (SSE-S3) and the clients' CA bundle ---------------------------------
        bucket, bucket_ready = access_bucket(
            name,
            environment=env,
            region=region,
            account=account,
            partition=partition,
            log_days=config.access_log_days,
            force_destroy=args.force_destroy,
            parent=self,
        )

        # --- Certificate and private DNS ------------------------------------------------------------------------
        self.certificate_arn = tls.certificate(name, config, parent=self)
        zone = tls.private_zone(
            name, domain=config.domain, environment=env, vpc_id=args.vpc_id, region=region, parent=self
        )
        self.zone_id = zone.zone_id

        entry = _Entry(
            bucket=bucket,
            ready=bucket_ready,
            zone=zone,
            protect=protect,
            site=TargetSite(
                name=name,
                parent=self,
                environment=env,
                vpc_id=args.vpc_id,
                cluster_name=args.cluster_name,
                k8s_provider=args.k8s_provider,
                release=install.release,
                depends_on=args.depends_on,
            ),
        )

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
            self.people_dns_name = self._people(name, args, hosts, pool, entry)
        # --- Client applications: mutual TLS to models and the MLflow API ------------------------------------------
        self.models_dns_name = None
        if config.clients.ca_bundle is not None and (config.clients.models or args.mlflow_api is not None):
            self.models_dns_name = self._models(name, args, hosts, entry)

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

    # --- The entries ---------------------------------------------------------------------------------------------

    def _people(
        self,
        name: str,
        args: PlatformIngressArgs,
        hosts: Mapping[str, str],
        pool: CognitoPool | None,
        entry: _Entry,
    ) -> pulumi.Output[str]:
        config = args.config
        public = config.public
        group = balancers.security_group(
            name,
            "people",
            "people entry (MLflow, Airflow)",
            environment=args.environment,
            vpc_id=args.vpc_id,
            parent=self,
        )
        va = config.verified_access.enabled
        if public is not None:
            balancers.admit(f"{name}-people-public", group, public.allowed_cidrs, (443, 80))
        elif not va:
            balancers.admit(f"{name}-people-clients", group, config.client_cidrs, (443, 80))
        balancers.idp_egress(name, group)
        subnets = (
            args.public_subnet_ids
            if public is not None and args.public_subnet_ids is not None
            else args.ingress_subnet_ids
        )
        cidrs = tuple(args.public_subnet_cidrs if public is not None else args.ingress_subnet_cidrs)
        lb = balancers.load_balancer(
            name,
            "people",
            environment=args.environment,
            group=group,
            subnets=subnets,
            internal=public is None,
            bucket=entry.bucket,
            ready=entry.ready,
            protect=entry.protect,
            parent=self,
        )
        https = balancers.https_listener(name, "people", lb, certificate_arn=self.certificate_arn)
        balancers.http_redirect(name, "people", lb)
        for app in args.people_apps:
            host = hosts[app.key]
            target = balancers.app_target(entry.site, app)
            balancers.listener_rule(
                f"{name}-people-{app.key}",
                https,
                priority=routing.PEOPLE_PRIORITIES[app.key],
                conditions=[balancers.host_is(host)],
                actions=[authenticate_action(config.auth, pool, order=1), balancers.forward(target.arn, order=2)],
            )
            tls.private_alias(name, app.key, entry.zone, host, lb)
            self.urls[app.key] = f"https://{host}"
        source = AwsSource("alb/people", group.id, cidrs=cidrs)
        self.flows += routing.people_flows(source, args.people_apps)
        if va:
            self._verified_access(name, args, {app.key: hosts[app.key] for app in args.people_apps}, lb, group, https)
        elif public is not None:
            people_waf(name, environment=args.environment, rate_limit=public.rate_limit, lb=lb, parent=self)
            for host in (hosts[app.key] for app in args.people_apps):
                tls.alias_record(
                    f"{name}-public-dns-{host.split('.', 1)[0]}",
                    zone_id=config.certificate.validation_zone_id,
                    host=host,
                    lb=lb,
                    parent=self,
                )
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
            tls.cname_record(
                f"{name}-va-dns-{host.split('.', 1)[0]}", zone_id=zone_id, host=host, target=domain, parent=self
            )

    def _models(
        self,
        name: str,
        args: PlatformIngressArgs,
        hosts: Mapping[str, str],
        entry: _Entry,
    ) -> pulumi.Output[str]:
        config = args.config
        bundle_path = config.clients.ca_bundle
        assert bundle_path is not None
        group = balancers.security_group(
            name,
            "models",
            "models entry (mutual TLS)",
            environment=args.environment,
            vpc_id=args.vpc_id,
            parent=self,
        )
        balancers.admit(f"{name}-models-clients", group, config.client_cidrs, (443,))
        store = tls.trust_store(
            name,
            environment=args.environment,
            bundle_path=bundle_path,
            bucket=entry.bucket,
            ready=entry.ready,
            parent=self,
        )
        lb = balancers.load_balancer(
            name,
            "models",
            environment=args.environment,
            group=group,
            subnets=args.ingress_subnet_ids,
            internal=True,
            bucket=entry.bucket,
            ready=entry.ready,
            protect=entry.protect,
            parent=self,
            connection_logs=True,
        )
        https = balancers.https_listener(name, "models", lb, certificate_arn=self.certificate_arn, mutual=store)
        if args.mlflow_api is not None and config.clients.mlflow_api:
            target = balancers.app_target(entry.site, args.mlflow_api)
            balancers.listener_rule(
                f"{name}-models-mlflow-api",
                https,
                priority=routing.MLFLOW_API_PRIORITY,
                conditions=[balancers.host_is(hosts["mlflow-api"])],
                actions=[balancers.forward(target.arn, order=1)],
            )
            tls.private_alias(name, "mlflow-api", entry.zone, hosts["mlflow-api"], lb)
            self.urls["mlflowApi"] = f"https://{hosts['mlflow-api']}"
        priorities = routing.model_priorities(config.clients.models)
        for model in config.clients.models:
            target = balancers.target(
                entry.site,
                role=routing.model_role(model),
                port=args.predictor_port,
                health_path=config.clients.health_check_path,
                namespace=args.serving_namespace,
                service=f"{model}-predictor",
                service_port=args.predictor_service_port,
            )
            balancers.listener_rule(
                f"{name}-models-{model}",
                https,
                priority=priorities[model],
                conditions=[balancers.host_is(hosts["models"]), balancers.path_is(routing.model_paths(model))],
                actions=[balancers.forward(target.arn, order=1)],
            )
        tls.private_alias(name, "models", entry.zone, hosts["models"], lb)
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


@dataclass(frozen=True, kw_only=True)
class _Entry:
    """What both entries share: the access bucket (and what log delivery waits for), the private zone, deletion
    protection and where their target groups go."""

    bucket: aws.s3.Bucket
    ready: Sequence[pulumi.Resource]
    zone: aws.route53.Zone
    protect: bool
    site: TargetSite


__all__ = [
    "AppTarget",
    "PlatformIngress",
    "PlatformIngressArgs",
    "controller_namespace",
    "validate_args",
]
