"""ServingCluster: a private, hardened EKS cluster that serves models with KServe.

Private API endpoint (public only for an explicit CIDR allow-list), access entries instead of the
aws-auth ConfigMap, secrets envelope-encrypted with a customer key, every control-plane log type kept
in a KMS-encrypted log group, IRSA for the add-ons, VPC CNI with NetworkPolicy enforcement, node pools
behind launch templates that require IMDSv2 with hop limit 1 on encrypted root volumes, Pod Security
Admission ``restricted`` namespaces, and KServe (RawDeployment) with cert-manager from their official
charts. With a GPU pool, NVIDIA's device plugin advertises ``nvidia.com/gpu``; when a pool can change
size, the Cluster Autoscaler (IRSA, scoped to this cluster's node groups) scales it, from zero for the
GPU pool thanks to node-template tags on its ASG. Every Kubernetes resource of the platform uses
:attr:`ServingCluster.k8s_provider`.

Pure values and documents live beside it (unit-tested): ``control_plane`` (log group, policy ARNs, cluster
key), ``nodes`` (pool specs, launch templates, node key), ``kube`` (kubeconfig, Service CIDR, system
namespaces), ``charts`` (pinned charts and their values), ``autoscaling`` (scale-from-zero tags, autoscaler
policy). Beyond the cluster core, resources are built by ``access`` (access entries), ``node_pools``,
``addons`` and ``baseline`` (namespaces, StorageClass); this module wires them.

The controllers it installs (cert-manager, KServe, the Cluster Autoscaler) are zero-trust workloads
(``system_flows``): :attr:`ServingCluster.flows` carries their flows with the serving ones, and
:attr:`ServingCluster.system_namespaces` / :attr:`ServingCluster.shared_namespaces` tell ``ZeroTrust`` where to
render their policies. No NetworkPolicy is written here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster import (
    access,
    addons,
    autoscaling,
    baseline,
    control_plane,
    kube,
    node_pools,
    nodes,
    system_flows,
)
from components.cluster.config import ClusterConfig
from components.cluster.identity import OidcIssuer
from components.config_base import PLATFORM_NAMESPACES
from components.iam import assume_role_policy, document, kms_use, partition_of
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload

SERVING_NAMESPACE = "serving"
"""Namespace of the InferenceServices (the KServe controller itself runs in ``kserve``)."""

PREDICTORS = Workload.of("serving/predictor", SERVING_NAMESPACE, {"component": "predictor"})
"""KServe predictor pods (KServe labels every predictor pod ``component: predictor``)."""

TRANSFORMERS = Workload.of("serving/transformer", SERVING_NAMESPACE, {"component": "transformer"})
"""KServe transformer pods (pre/post-processing in front of a predictor)."""

PREDICTOR_PORT = 8080
"""Port KServe's model servers listen on inside the predictor pod."""


@dataclass(frozen=True, kw_only=True)
class ServingClusterArgs:
    """Inputs of :class:`ServingCluster`."""

    config: ClusterConfig
    """The validated ``mlops:cluster`` section."""
    environment: str
    """Environment name (dev, prod, pr-42); the cluster is named ``mlops-<environment>``."""
    region: str
    """AWS region of the stack (kubeconfig token command, partition of managed-policy ARNs, KMS policies)."""
    vpc_id: pulumi.Input[str]
    """VPC of ``subnet_ids``; EKS derives it from the subnets, it is re-exported as :attr:`ServingCluster.vpc_id`
    for in-cluster controllers that IMDS hop limit 1 keeps from discovering it."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets (at least two AZs) for every node group."""
    control_plane_subnet_ids: pulumi.Input[Sequence[str]] | None = None
    """Subnets of the control plane's ENIs (the private API endpoint), at least two AZs: small dedicated ones, so
    "the API server" and "webhook callers" are addresses no pod has. Default: ``subnet_ids``."""
    control_plane_subnet_cidrs: Sequence[str] = ()
    """CIDRs of ``control_plane_subnet_ids``: API clients' NetworkPolicies allow them, since the API's Service IP
    is forwarded to those ENIs, and the admission webhooks admit them (the control plane's calls come from there).
    Required while KServe is on (cert-manager's and KServe's webhooks); default: none."""
    vpc_cidr: str
    """VPC IPv4 CIDR: where the interface endpoints (STS for IRSA) are reached from pods."""
    tags: Mapping[str, str]
    """The required tags, for launch-template tag specifications (provider default tags don't reach
    instances and volumes that Auto Scaling launches)."""
    namespaces: Sequence[str]
    """Workload namespaces to create (from ``PLATFORM_NAMESPACES``), each with PSA ``restricted``."""
    endpoints: AwsDestination | None = None
    """The VPC interface endpoints (``Network.endpoints``) that predictors reach STS and S3 through.
    Default: the whole VPC CIDR on 443 with no security group to open."""
    deployer_principal: pulumi.Input[str] | None = None
    """IAM role ARN of the principal that applies the Kubernetes layer: the platform passes the in-VPC deploy
    runner's role (docs/adr/0001). It gets cluster admin through an access entry, because cluster-creator
    admin is off and the program itself must manage Kubernetes objects. Default: none (then list it in
    ``adminPrincipals``)."""
    registry: pulumi.Output[RegistryBase] | None = None
    """The stack's ECR (``ImageRegistry.base``): every chart image is pulled through it, and the node role may fill
    its pull-through cache. Default: none (images from their public registries)."""
    image_pull_ready: Sequence[pulumi.Resource] = ()
    """Cache rules and templates (``ImageRegistry.pull_ready``): every Kubernetes resource waits for them."""


class ServingCluster(pulumi.ComponentResource):
    """The platform's EKS cluster, its node pools, add-ons, namespaces and model serving stack."""

    cluster_name: pulumi.Output[str]
    """EKS cluster name (``mlops-<environment>``)."""
    endpoint: pulumi.Output[str]
    """Kubernetes API endpoint (private unless ``publicAccessCidrs`` is set)."""
    oidc_provider_arn: pulumi.Output[str]
    """ARN of the IAM OIDC provider for IRSA."""
    oidc: OidcIssuer
    """Provider ARN and issuer URL, for ``components.cluster.identity.service_account_role``."""
    kubeconfig: pulumi.Output[str]
    """Kubeconfig (JSON, token via ``aws eks get-token``), marked secret."""
    node_role_arn: pulumi.Output[str]
    """IAM role of every node."""
    node_groups: list[aws.eks.NodeGroup]
    """The managed node groups (AWS layer): what add-ons whose pods must run wait for."""
    workload_security_group_id: pulumi.Output[str]
    """The EKS cluster security group (nodes and pods); flows to AWS destinations are opened from it."""
    vpc_id: pulumi.Output[str]
    """VPC of the cluster (as passed in)."""
    k8s_provider: k8s.Provider
    """The Kubernetes provider every Kubernetes resource of the platform must use."""
    namespaces: dict[str, k8s.core.v1.Namespace]
    """Namespace name -> Namespace resource (workload and system namespaces)."""
    flows: list[Flow]
    """Zero-trust flows for the platform's FlowGraph: the nodes to the interface endpoints (first, see below), the
    serving side's, and the system workloads' (``system_flows``: cert-manager, KServe, the autoscaler)."""
    api_server: ExternalDestination
    """The Kubernetes API (the ``kubernetes`` Service ClusterIP), for workloads that call it (operators,
    Airflow's KubernetesExecutor): they declare a flow to it on 443; the control-plane ENIs are in the VPC."""
    control_plane: AwsSource
    """The EKS control plane as a flow source (its ENIs: the cluster security group, the control-plane subnets):
    a controller's admission webhook declares ``control_plane -> webhook pods : container port``."""
    nodes: AwsSource
    """The nodes (and every pod without a security group of its own) as a flow source: the cluster security group."""
    system_namespaces: list[str]
    """Namespaces of the controllers the cluster installs that hold nothing else (cert-manager, kserve): pass them
    to ``ZeroTrust`` with the workload namespaces, for their default-deny and DNS policies."""
    shared_namespaces: list[str]
    """Namespaces with declared system workloads and pods the platform does not declare (kube-system: the
    autoscaler beside EKS's add-ons): ``ZeroTrust`` isolates the declared workloads there one by one, with no
    namespace-wide deny (``system_flows`` says why)."""

    def __init__(self, name: str, args: ServingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:cluster:ServingCluster", name, None, opts)
        config = args.config
        validate_args(args)
        pools = nodes.node_pool_specs(config)  # raises on mixed architectures before anything is created
        cluster_name = f"mlops-{args.environment}"
        log_group_name = control_plane.control_plane_log_group(cluster_name)
        partition = partition_of(args.region)
        service_cidr = kube.service_cidr(args.vpc_cidr)

        def child(**kwargs: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, **kwargs)

        # --- IAM: cluster role -----------------------------------------------------------------
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            description=f"EKS control plane of {cluster_name}",
            opts=child(),
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=cluster_role.name,
            policy_arn=control_plane.managed_policy_arn(args.region, "AmazonEKSClusterPolicy"),
            opts=child(),
        )
        # Security groups for pods: the VPC resource controller (run by EKS with this role) creates the trunk and
        # branch ENIs (https://docs.aws.amazon.com/eks/latest/userguide/security-groups-pods-deployment.html).
        resource_controller_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-vpc-resource-controller",
            role=cluster_role.name,
            policy_arn=control_plane.managed_policy_arn(args.region, "AmazonEKSVPCResourceController"),
            opts=child(),
        )
        # The account id comes from our own role's ARN, so the component needs no account lookup.
        account = cluster_role.arn.apply(control_plane.account_of)

        # --- KMS: secrets + control-plane logs; node volumes -----------------------------------
        cluster_key = aws.kms.Key(
            f"{name}-cluster-key",
            description=f"EKS secrets envelope encryption and control-plane logs of {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(
                lambda acct: control_plane.cluster_key_policy(
                    partition=partition, account=acct, region=args.region, log_group=log_group_name
                )
            ),
            opts=child(),
        )
        node_key = node_pools.node_key(self, name, cluster_name=cluster_name, partition=partition, account=account)
        # EKS calls KMS as the cluster role; the key policy delegates to IAM, so grant it here (this key only).
        cluster_kms = aws.iam.RolePolicy(
            f"{name}-cluster-kms",
            role=cluster_role.id,
            policy=cluster_key.arn.apply(
                lambda arn: document(
                    kms_use(arn, encrypt=True, sid="EnvelopeEncryption"),
                    [{"Sid": "ListKeyGrants", "Effect": "Allow", "Action": ["kms:ListGrants"], "Resource": [arn]}],
                )
            ),
            opts=child(),
        )

        # EKS would create this group itself without retention or KMS: create it first, the cluster depends on it.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=log_group_name,
            retention_in_days=config.log_retention_days,
            kms_key_id=cluster_key.arn,
            opts=child(),
        )

        # --- The cluster ------------------------------------------------------------------------
        public = bool(config.public_access_cidrs)
        self._cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=config.version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.control_plane_subnet_ids
                if args.control_plane_subnet_ids is not None
                else args.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                # Only an explicit allow-list opens the public endpoint (the policy pack reports it).
                public_access_cidrs=list(config.public_access_cidrs) if public else None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=cluster_key.arn),
            ),
            enabled_cluster_log_types=list(control_plane.CONTROL_PLANE_LOG_TYPES),
            # The networking add-ons are managed below (vpc-cni with network policy); don't bootstrap
            # unmanaged copies that the managed add-ons would then have to overwrite.
            bootstrap_self_managed_addons=False,
            # STANDARD: upgrade at the end of standard support instead of paying for extended support.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            # Explicit (EKS would pick the same) so NetworkPolicies can name the API server's ClusterIP.
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=service_cidr
            ),
            opts=child(depends_on=[log_group, cluster_policy, resource_controller_policy, cluster_kms]),
        )

        # --- OIDC provider for IRSA -------------------------------------------------------------
        issuer = self._cluster.identities[0].oidcs[0].issuer
        # No thumbprint_list: IAM validates EKS issuers against its own trusted CA library and
        # fetches a thumbprint itself when none is given (AWS guidance since 2023; provider docs).
        oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child(),
        )
        self.oidc = OidcIssuer(provider_arn=oidc_provider.arn, issuer_url=issuer)

        # --- IAM: node role ---------------------------------------------------------------------
        node_role, node_policies = node_pools.node_role(
            self, name, cluster_name=cluster_name, region=args.region, registry=args.registry
        )

        # --- Access entries (authentication mode API) --------------------------------------------
        admin_access = access.admin_access(
            self,
            name,
            cluster_name=self._cluster.name,
            admin_principals=config.admin_principals,
            deployer_principal=args.deployer_principal,
            region=args.region,
        )

        # --- Add-ons needed before nodes can become Ready ---------------------------------------
        pre_node_addons = addons.before_nodes(
            self, name, cluster_name=self._cluster.name, oidc=self.oidc, region=args.region
        )

        # --- Node pools ---------------------------------------------------------------------------
        node_groups = [
            node_pools.node_group(
                self,
                name,
                spec,
                cluster=self._cluster,
                environment=args.environment,
                subnet_ids=args.subnet_ids,
                tags=args.tags,
                node_role_arn=node_role.arn,
                key_arn=node_key.arn,
                depends_on=[*node_policies, *pre_node_addons],
            )
            for spec in pools
        ]

        # --- Add-ons that need running nodes ------------------------------------------------------
        coredns, ebs_csi = addons.on_nodes(
            self,
            name,
            cluster_name=self._cluster.name,
            oidc=self.oidc,
            region=args.region,
            node_key_arn=node_key.arn,
            node_groups=node_groups,
        )

        # --- Kubernetes provider -----------------------------------------------------------------
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self._cluster.name, self._cluster.endpoint, self._cluster.certificate_authority.data
            ).apply(lambda a: kube.kubeconfig(cluster_name=a[0], endpoint=a[1], ca_data=a[2], region=args.region))
        )
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            # Every Kubernetes resource uses this provider, so ordering it here orders all of them: after
            # the deployer's access entries (else 401s), and after the nodes and CoreDNS (else Helm
            # releases wait on pods that cannot schedule or resolve names, and time out).
            opts=child(depends_on=[*admin_access, *node_groups, coredns, *args.image_pull_ready]),
        )

        def k8s_opts(**kwargs: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, **kwargs)

        # --- Namespaces with Pod Security Admission, default StorageClass ----------------------------------
        # (The controller namespaces' NetworkPolicies come from the flow graph: see the flows below.)
        self.namespaces = baseline.namespaces(name, workload=args.namespaces, config=config, k8s_opts=k8s_opts)
        baseline.default_storage_class(name, key_arn=node_key.arn, k8s_opts=k8s_opts, depends_on=[ebs_csi])

        # --- Model serving: cert-manager + KServe (RawDeployment) -------------------------------
        if config.kserve.enabled:
            addons.serving(
                name, config, args.region, self.namespaces, k8s_opts, [*node_groups, coredns], registry=args.registry
            )

        # --- GPUs and node autoscaling -------------------------------------------------------------
        if config.gpu_pool is not None:
            addons.device_plugin(name, k8s_opts, [*node_groups, coredns], registry=args.registry)
        autoscaler = autoscaling.needs_autoscaler(config)
        if autoscaler:
            addons.autoscaler(
                self,
                name,
                cluster_name=self._cluster.name,
                oidc=self.oidc,
                region=args.region,
                kubernetes_version=config.version,
                account=account,
                k8s_opts=k8s_opts,
                needs=[*node_groups, coredns],
                registry=args.registry,
            )
            for spec, group in zip(pools, node_groups, strict=True):
                if spec.pool.min_size == 0:
                    addons.tag_node_template(self, name, spec, group)

        # --- Outputs ---------------------------------------------------------------------------
        self.cluster_name = self._cluster.name
        self.endpoint = self._cluster.endpoint
        self.oidc_provider_arn = oidc_provider.arn
        self.node_role_arn = node_role.arn
        self.node_groups = node_groups
        self.workload_security_group_id = self._cluster.vpc_config.cluster_security_group_id
        self.vpc_id = pulumi.Output.from_input(args.vpc_id)
        endpoints = args.endpoints or AwsDestination(name="vpc-endpoints", cidrs=(args.vpc_cidr,))
        self.api_server = ExternalDestination(
            name="kube-apiserver",
            cidrs=(f"{kube.api_server_service_ip(service_cidr)}/32", *args.control_plane_subnet_cidrs),
            # kube-proxy forwards the Service IP to the control plane's ENIs, which carry the cluster group.
            security_group_id=self.workload_security_group_id,
        )
        # The same Output object as workload_security_group_id everywhere: ZeroTrust recognises "both ends carry the
        # cluster group" (no rule needed) and "this group pair is already open" by identity.
        self.control_plane = system_flows.control_plane_source(
            self.workload_security_group_id, args.control_plane_subnet_cidrs
        )
        self.nodes = AwsSource(name="nodes", security_group_id=self.workload_security_group_id)
        self.system_namespaces = sorted(kube.system_namespaces(config))
        self.shared_namespaces = system_flows.shared_namespaces(autoscaler=autoscaler)
        # ZeroTrust opens one rule pair per (group, group, port), named after the first flow that needs it. The
        # system workloads carry the cluster group like the nodes, so "nodes -> endpoints" comes first: the rules
        # keep their names (zerotrust-nodes-vpc-endpoints-tcp-443-*) instead of being replaced by identical ones,
        # which AWS would refuse as duplicates while the old ones still exist.
        node_flows = (
            [Flow(self.nodes, endpoints, 443, description="nodes -> VPC interface endpoints")]
            if endpoints.security_group_id is not None
            else []
        )
        self.flows = [
            *node_flows,
            *serving_flows(endpoints),
            *system_flows.system_flows(
                config,
                autoscaler=autoscaler,
                api_server=self.api_server,
                control_plane=self.control_plane,
                endpoints=endpoints,
            ),
        ]
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
                "node_role_arn": self.node_role_arn,
                "workload_security_group_id": self.workload_security_group_id,
            }
        )


def validate_args(args: ServingClusterArgs) -> None:
    """Reject impossible plain inputs before any resource exists, naming the field and what is allowed."""
    unknown = sorted(set(args.namespaces) - set(PLATFORM_NAMESPACES))
    if unknown:
        raise ValueError(
            f"ServingClusterArgs.namespaces: unknown namespace(s) {unknown}; allowed: {PLATFORM_NAMESPACES}"
        )
    if args.config.kserve.enabled and SERVING_NAMESPACE not in args.namespaces:
        raise ValueError("ServingClusterArgs.namespaces must include 'serving' while cluster.kserve.enabled is true")
    try:
        vpc = ipaddress.IPv4Network(args.vpc_cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"ServingClusterArgs.vpc_cidr: {args.vpc_cidr!r} is not an IPv4 CIDR ({exc})") from None
    for cidr in args.control_plane_subnet_cidrs:
        try:
            subnet = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(
                f"ServingClusterArgs.control_plane_subnet_cidrs: {cidr!r} is not an IPv4 CIDR ({exc})"
            ) from None
        if not subnet.subnet_of(vpc):
            raise ValueError(
                f"ServingClusterArgs.control_plane_subnet_cidrs: {cidr} is outside the VPC {args.vpc_cidr}; give the "
                "CIDRs of control_plane_subnet_ids"
            )
    if args.control_plane_subnet_cidrs and args.control_plane_subnet_ids is None:
        raise ValueError(
            "ServingClusterArgs.control_plane_subnet_cidrs without control_plane_subnet_ids: the control plane would "
            "live in subnet_ids, not in these CIDRs; give both (the control-plane subnets and their CIDRs) or neither"
        )
    if args.config.kserve.enabled and not args.control_plane_subnet_cidrs:
        raise ValueError(
            "ServingClusterArgs.control_plane_subnet_cidrs is required while cluster.kserve.enabled is true: the "
            "cert-manager and KServe webhooks admit the control plane from these subnets only (the platform passes "
            "Network.slot_subnet_cidrs['control-plane'])"
        )


def serving_flows(endpoints: AwsDestination) -> list[Flow]:
    """The serving side's own traffic: transformer -> predictor, and predictors -> VPC interface endpoints.

    Predictors with an IRSA role exchange their token at STS and download models from S3 through the
    interface endpoints (HTTPS in the VPC CIDR). Clients of a model declare their own flow with
    :func:`inference_client_flows`.
    """
    return [
        Flow(TRANSFORMERS, PREDICTORS, PREDICTOR_PORT, description="KServe transformer -> predictor"),
        Flow(PREDICTORS, endpoints, 443, description="predictor -> STS and S3 interface endpoints (IRSA, models)"),
    ]


def inference_client_flows(client: Workload) -> list[Flow]:
    """Flows letting ``client`` call models in ``serving`` (predictors directly, or their transformers)."""
    return [
        Flow(client, PREDICTORS, PREDICTOR_PORT, description=f"{client.name} -> model predictors"),
        Flow(client, TRANSFORMERS, PREDICTOR_PORT, description=f"{client.name} -> model transformers"),
    ]


__all__ = [
    "PREDICTORS",
    "TRANSFORMERS",
    "ServingCluster",
    "ServingClusterArgs",
    "inference_client_flows",
    "serving_flows",
    "validate_args",
]
