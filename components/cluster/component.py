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

Values and documents live in ``components.cluster.values`` (pure, unit-tested); this module wires them.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster import values as values
from components.cluster.config import ClusterConfig
from components.cluster.identity import OidcIssuer, service_account_role
from components.config_base import PLATFORM_NAMESPACES
from components.iam import assume_role_policy, document, kms_use, partition_of
from contracts.flows import AwsDestination, ExternalDestination, Flow, Workload

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
    """Private subnets (at least two AZs) for the control-plane ENIs and every node group."""
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
    workload_security_group_id: pulumi.Output[str]
    """The EKS cluster security group (nodes and pods); flows to AWS destinations are opened from it."""
    vpc_id: pulumi.Output[str]
    """VPC of the cluster (as passed in)."""
    k8s_provider: k8s.Provider
    """The Kubernetes provider every Kubernetes resource of the platform must use."""
    namespaces: dict[str, k8s.core.v1.Namespace]
    """Namespace name -> Namespace resource (workload and system namespaces)."""
    flows: list[Flow]
    """Zero-trust flows of the serving side, for the platform's FlowGraph."""
    api_server: ExternalDestination
    """The Kubernetes API (the ``kubernetes`` Service ClusterIP), for workloads that call it (operators,
    Airflow's KubernetesExecutor): they declare a flow to it on 443; the control-plane ENIs are in the VPC."""

    def __init__(self, name: str, args: ServingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:cluster:ServingCluster", name, None, opts)
        config = args.config
        validate_args(args)
        pools = values.node_pool_specs(config)  # raises on mixed architectures before anything is created
        cluster_name = f"mlops-{args.environment}"
        log_group_name = values.control_plane_log_group(cluster_name)
        partition = partition_of(args.region)
        service_cidr = values.service_cidr(args.vpc_cidr)

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
            policy_arn=values.managed_policy_arn(args.region, "AmazonEKSClusterPolicy"),
            opts=child(),
        )
        # The account id comes from our own role's ARN, so the component needs no account lookup.
        account = cluster_role.arn.apply(values.account_of)

        # --- KMS: secrets + control-plane logs; node volumes -----------------------------------
        cluster_key = aws.kms.Key(
            f"{name}-cluster-key",
            description=f"EKS secrets envelope encryption and control-plane logs of {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(
                lambda acct: values.cluster_key_policy(
                    partition=partition, account=acct, region=args.region, log_group=log_group_name
                )
            ),
            opts=child(),
        )
        # The node key's policy names EC2 Auto Scaling's service-linked role, which a fresh account does
        # not have until its first Auto Scaling group: KMS rejects a policy naming a missing principal
        # (terraform-aws-modules/terraform-aws-eks#3013). Own the role (adopted if it exists) and make the
        # key wait for it; the AWS provider retries key creation while IAM propagates the new role.
        autoscaling_role = autoscaling_service_linked_role(f"{name}-autoscaling-slr", parent=self)
        node_key = aws.kms.Key(
            f"{name}-node-key",
            description=f"Root and persistent volumes of {cluster_name} nodes",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda acct: values.node_key_policy(partition=partition, account=acct)),
            opts=child(depends_on=[autoscaling_role]),
        )
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
                subnet_ids=args.subnet_ids,
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
            enabled_cluster_log_types=list(values.CONTROL_PLANE_LOG_TYPES),
            # The networking add-ons are managed below (vpc-cni with network policy); don't bootstrap
            # unmanaged copies that the managed add-ons would then have to overwrite.
            bootstrap_self_managed_addons=False,
            # STANDARD: upgrade at the end of standard support instead of paying for extended support.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            # Explicit (EKS would pick the same) so NetworkPolicies can name the API server's ClusterIP.
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=service_cidr
            ),
            opts=child(depends_on=[log_group, cluster_policy, cluster_kms]),
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
        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            description=f"Nodes of {cluster_name}",
            opts=child(),
        )
        # AmazonEKS_CNI_Policy is NOT here: the vpc-cni add-on gets it through its own IRSA role.
        # ECR: PullOnly is the least-privilege managed policy AWS now documents for node roles.
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=values.managed_policy_arn(args.region, policy),
                opts=child(),
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]

        # --- Access entries (authentication mode API) --------------------------------------------
        admin_access: list[pulumi.Resource] = []
        admins: list[tuple[str, pulumi.Input[str]]] = [
            (f"admin-{hashlib.sha256(principal.encode()).hexdigest()[:8]}", principal)
            for principal in config.admin_principals
        ]
        if args.deployer_principal is not None:
            admins.append(("deployer", args.deployer_principal))
        for suffix, principal in admins:
            entry = aws.eks.AccessEntry(
                f"{name}-{suffix}",
                cluster_name=self._cluster.name,
                principal_arn=principal,
                type="STANDARD",
                opts=child(),
            )
            admin_access.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-{suffix}-cluster-admin",
                    cluster_name=self._cluster.name,
                    principal_arn=principal,
                    policy_arn=values.access_policy_arn(args.region),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    opts=child(depends_on=[entry]),
                )
            )

        # --- Add-ons needed before nodes can become Ready ---------------------------------------
        cni_role = service_account_role(
            f"{name}-vpc-cni",
            oidc=self.oidc,
            namespace="kube-system",
            service_account="aws-node",
            policy=document(values.region_fence(args.region, ["ec2"])),
            parent=self,
        )
        cni_managed = aws.iam.RolePolicyAttachment(
            f"{name}-vpc-cni-managed",
            role=cni_role.name,
            policy_arn=values.managed_policy_arn(args.region, "AmazonEKS_CNI_Policy"),
            opts=pulumi.ResourceOptions(parent=cni_role),
        )
        vpc_cni = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=self._cluster.name,
            addon_name="vpc-cni",
            configuration_values=values.vpc_cni_configuration(),
            service_account_role_arn=cni_role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            # OVERWRITE: network-policy enforcement is a security control; drift must not survive an update.
            resolve_conflicts_on_update="OVERWRITE",
            opts=child(depends_on=[cni_managed]),
        )
        pre_node_addons: list[pulumi.Resource] = [vpc_cni]
        for addon_name in ("kube-proxy", "eks-pod-identity-agent"):
            pre_node_addons.append(
                aws.eks.Addon(
                    f"{name}-{addon_name}",
                    cluster_name=self._cluster.name,
                    addon_name=addon_name,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="OVERWRITE",
                    opts=child(),
                )
            )

        # --- Node pools ---------------------------------------------------------------------------
        node_groups = [
            self._node_pool(name, spec, args, node_role.arn, node_key.arn, [*node_policies, *pre_node_addons])
            for spec in pools
        ]

        # --- Add-ons that need running nodes ------------------------------------------------------
        coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=self._cluster.name,
            addon_name="coredns",
            resolve_conflicts_on_create="OVERWRITE",
            # PRESERVE: operators may tune the Corefile (stub domains); add-on upgrades keep those edits.
            resolve_conflicts_on_update="PRESERVE",
            opts=child(depends_on=node_groups),
        )
        ebs_role = service_account_role(
            f"{name}-ebs-csi",
            oidc=self.oidc,
            namespace="kube-system",
            service_account="ebs-csi-controller-sa",
            policy=node_key.arn.apply(
                lambda arn: document(values.ebs_volume_key_statements(arn), values.region_fence(args.region, ["ec2"]))
            ),
            parent=self,
        )
        ebs_managed = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi-managed",
            role=ebs_role.name,
            policy_arn=values.managed_policy_arn(args.region, "service-role/AmazonEBSCSIDriverPolicy"),
            opts=pulumi.ResourceOptions(parent=ebs_role),
        )
        ebs_csi = aws.eks.Addon(
            f"{name}-ebs-csi",
            cluster_name=self._cluster.name,
            addon_name="aws-ebs-csi-driver",
            service_account_role_arn=ebs_role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=child(depends_on=[*node_groups, ebs_managed]),
        )

        # --- Kubernetes provider -----------------------------------------------------------------
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self._cluster.name, self._cluster.endpoint, self._cluster.certificate_authority.data
            ).apply(lambda a: values.kubeconfig(cluster_name=a[0], endpoint=a[1], ca_data=a[2], region=args.region))
        )
        self.k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            # Every Kubernetes resource uses this provider, so ordering it here orders all of them: after
            # the deployer's access entries (else 401s), and after the nodes and CoreDNS (else Helm
            # releases wait on pods that cannot schedule or resolve names, and time out).
            opts=child(depends_on=[*admin_access, *node_groups, coredns]),
        )

        def k8s_opts(**kwargs: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, provider=self.k8s_provider, **kwargs)

        # --- Namespaces with Pod Security Admission --------------------------------------------
        levels: dict[str, values.PodSecurityLevel] = dict.fromkeys(args.namespaces, "restricted")
        levels.update(values.system_namespaces(config))
        self.namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=values.psa_labels(level, config.version)),
                opts=k8s_opts(),
            )
            for ns, level in sorted(levels.items())
        }

        # Default StorageClass: gp3 encrypted with the node key (EKS no longer marks gp2 default).
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3-encrypted", annotations={"storageclass.kubernetes.io/is-default-class": "true"}
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": node_key.arn},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=k8s_opts(depends_on=[ebs_csi]),
        )

        # Controller namespaces: default-deny plus DNS, API server and webhook traffic (see the helper).
        for ns in values.system_namespaces(config):
            for policy in values.system_network_policies(ns, vpc_cidr=args.vpc_cidr, service_cidr=service_cidr):
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-{ns}-{policy['metadata']['name']}",
                    metadata={**policy["metadata"], "namespace": self.namespaces[ns].metadata.name},
                    spec=policy["spec"],
                    opts=k8s_opts(),
                )

        # --- Model serving: cert-manager + KServe (RawDeployment) -------------------------------
        if config.kserve.enabled:
            self._serving(name, config, args.region, k8s_opts, [*node_groups, coredns])

        # --- GPUs and node autoscaling -------------------------------------------------------------
        if config.gpu_pool is not None:
            self._device_plugin(name, k8s_opts, [*node_groups, coredns])
        if values.needs_autoscaler(config):
            self._autoscaler(name, args.region, config.version, account, k8s_opts, [*node_groups, coredns])
            for spec, group in zip(pools, node_groups, strict=True):
                if spec.pool.min_size == 0:
                    self._node_template_tags(name, spec, group)

        # --- Outputs ---------------------------------------------------------------------------
        self.cluster_name = self._cluster.name
        self.endpoint = self._cluster.endpoint
        self.oidc_provider_arn = oidc_provider.arn
        self.node_role_arn = node_role.arn
        self.workload_security_group_id = self._cluster.vpc_config.cluster_security_group_id
        self.vpc_id = pulumi.Output.from_input(args.vpc_id)
        self.flows = serving_flows(args.endpoints or AwsDestination(name="vpc-endpoints", cidrs=(args.vpc_cidr,)))
        self.api_server = ExternalDestination(
            name="kube-apiserver", cidrs=(f"{values.api_server_service_ip(service_cidr)}/32",)
        )
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

    def _node_pool(
        self,
        name: str,
        spec: values.NodePoolSpec,
        args: ServingClusterArgs,
        node_role_arn: pulumi.Output[str],
        key_arn: pulumi.Output[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.eks.NodeGroup:
        """A launch template (IMDSv2 hop 1, encrypted gp3 root) and the managed node group using it."""
        imds = values.metadata_options()
        template = aws.ec2.LaunchTemplate(
            f"{name}-{spec.role}-lt",
            description=f"{spec.role} nodes of mlops-{args.environment}: IMDSv2 only, encrypted root volume",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**imds),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=values.ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        **values.root_volume(spec.pool.disk_size_gib), kms_key_id=key_arn
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(**ts) for ts in values.tag_specifications(args.tags)
            ],
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        pool = spec.pool
        return aws.eks.NodeGroup(
            f"{name}-{spec.role}",
            cluster_name=self._cluster.name,
            version=self._cluster.version,
            node_role_arn=node_role_arn,
            subnet_ids=args.subnet_ids,
            ami_type=spec.ami_type,
            instance_types=list(pool.instance_types),
            capacity_type=pool.capacity_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min_size, desired_size=pool.desired_size, max_size=pool.max_size
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels=spec.labels,
            taints=[aws.eks.NodeGroupTaintArgs(**t) for t in spec.taints] or None,
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    def _serving(
        self,
        name: str,
        config: ClusterConfig,
        region: str,
        k8s_opts: Callable[..., pulumi.ResourceOptions],
        needs: Sequence[pulumi.Resource],
    ) -> None:
        """cert-manager, KServe CRDs and the KServe controller, as pinned Helm releases."""
        cert_ns = self.namespaces[values.CERT_MANAGER_NAMESPACE]
        kserve_ns = self.namespaces[values.KSERVE_NAMESPACE]
        cert_manager = k8s.helm.v3.Release(
            f"{name}-cert-manager",
            name="cert-manager",
            chart="cert-manager",
            version=config.kserve.cert_manager_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=values.CERT_MANAGER_REPO),
            namespace=cert_ns.metadata.name,
            values=values.cert_manager_values(),
            atomic=True,
            timeout=600,
            opts=k8s_opts(depends_on=list(needs)),
        )
        kserve_crd = k8s.helm.v3.Release(
            f"{name}-kserve-crd",
            name="kserve-crd",
            chart=values.KSERVE_CRD_CHART,
            version=config.kserve.version,
            namespace=kserve_ns.metadata.name,
            atomic=True,
            opts=k8s_opts(depends_on=list(needs)),
        )
        k8s.helm.v3.Release(
            f"{name}-kserve",
            name="kserve",
            chart=values.KSERVE_CHART,
            version=config.kserve.version,
            namespace=kserve_ns.metadata.name,
            values=values.kserve_values(storage_region=region),
            atomic=True,
            timeout=600,
            # KServe's webhook certificate is a cert-manager Certificate: cert-manager must be up first.
            opts=k8s_opts(depends_on=[cert_manager, kserve_crd]),
        )

    def _device_plugin(
        self, name: str, k8s_opts: Callable[..., pulumi.ResourceOptions], needs: Sequence[pulumi.Resource]
    ) -> k8s.helm.v3.Release:
        """NVIDIA's device plugin on the GPU pool: without it no node advertises ``nvidia.com/gpu``.

        The EKS AL2023 NVIDIA AMI ships the driver and container toolkit, not the device plugin (EKS user
        guide, "Install Kubernetes device plugin for GPUs"; only the Bottlerocket NVIDIA AMIs include it).
        """
        return k8s.helm.v3.Release(
            f"{name}-nvidia-device-plugin",
            name="nvidia-device-plugin",
            chart=values.NVIDIA_DEVICE_PLUGIN_CHART,
            version=values.NVIDIA_DEVICE_PLUGIN_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=values.NVIDIA_DEVICE_PLUGIN_REPO),
            namespace=values.CLUSTER_AUTOSCALER_NAMESPACE,
            values=values.device_plugin_values(),
            atomic=True,
            timeout=600,
            opts=k8s_opts(depends_on=list(needs)),
        )

    def _autoscaler(
        self,
        name: str,
        region: str,
        kubernetes_version: str,
        account: pulumi.Output[str],
        k8s_opts: Callable[..., pulumi.ResourceOptions],
        needs: Sequence[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        """The Cluster Autoscaler (chart pinned to the cluster's minor) with its least-privilege IRSA role."""
        chart_version, image_tag = values.cluster_autoscaler_release(kubernetes_version)
        cluster_name = self._cluster.name
        role = service_account_role(
            f"{name}-cluster-autoscaler",
            oidc=self.oidc,
            namespace=values.CLUSTER_AUTOSCALER_NAMESPACE,
            service_account=values.CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            policy=pulumi.Output.all(cluster_name, account).apply(
                lambda a: values.cluster_autoscaler_policy(cluster_name=a[0], region=region, account=a[1])
            ),
            parent=self,
        )
        return k8s.helm.v3.Release(
            f"{name}-cluster-autoscaler",
            name="cluster-autoscaler",
            chart=values.CLUSTER_AUTOSCALER_CHART,
            version=chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=values.CLUSTER_AUTOSCALER_REPO),
            namespace=values.CLUSTER_AUTOSCALER_NAMESPACE,
            values=pulumi.Output.all(cluster_name, role.arn).apply(
                lambda a: values.cluster_autoscaler_values(
                    cluster_name=a[0], region=region, role_arn=a[1], image_tag=image_tag
                )
            ),
            atomic=True,
            timeout=600,
            opts=k8s_opts(depends_on=[*needs, role]),
        )

    def _node_template_tags(self, name: str, spec: values.NodePoolSpec, group: aws.eks.NodeGroup) -> None:
        """Node-template tags on a scale-from-zero pool's ASG (EKS creates the ASG, so tag it by name)."""
        asg_name = group.resources.apply(values.autoscaling_group_name)
        for key, value in values.node_template_tags(spec, gpu=spec.role == "gpu").items():
            suffix = key.rsplit("node-template/", 1)[1].replace("/", "-").replace(".", "-")
            aws.autoscaling.Tag(
                f"{name}-{spec.role}-asg-{suffix}",
                autoscaling_group_name=asg_name,
                # Read by the autoscaler from the ASG itself; instances need not carry them.
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                # Explicit: the ASG exists only once the node group does (its name is an output of it).
                opts=pulumi.ResourceOptions(parent=self, depends_on=[group]),
            )


AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
AUTOSCALING_ROLE_PATH = f"/aws-service-role/{AUTOSCALING_SERVICE}/"
AUTOSCALING_ROLE_NAME = "AWSServiceRoleForAutoScaling"


def autoscaling_service_linked_role(name: str, *, parent: pulumi.Resource) -> aws.iam.ServiceLinkedRole:
    """EC2 Auto Scaling's service-linked role: created in a fresh account, adopted where it exists.

    It is one per account and shared with every Auto Scaling group, so a destroy keeps it
    (``retain_on_delete``), and an existing one is imported instead of created (creating it twice fails).
    The import id is the role ARN, the id Pulumi records after creating it, so on later runs the import
    option is a no-op (pulumi/pulumi developer-docs/architecture/import.md, case 2). Tags are ignored:
    a role AWS created has none, and an import must match.
    """
    existing = aws.iam.get_roles(
        path_prefix=AUTOSCALING_ROLE_PATH,
        name_regex=f"^{AUTOSCALING_ROLE_NAME}$",
        opts=pulumi.InvokeOptions(parent=parent),
    )
    arns = sorted(existing.arns or [])
    return aws.iam.ServiceLinkedRole(
        name,
        aws_service_name=AUTOSCALING_SERVICE,
        opts=pulumi.ResourceOptions(
            parent=parent,
            import_=arns[0] if arns else None,
            retain_on_delete=True,
            ignore_changes=["tags", "tagsAll"],
        ),
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
        ipaddress.IPv4Network(args.vpc_cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"ServingClusterArgs.vpc_cidr: {args.vpc_cidr!r} is not an IPv4 CIDR ({exc})") from None


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
