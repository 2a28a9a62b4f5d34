"""MlopsPlatform: the whole MLOps platform of one stack, wired from its typed config.

Network -> DeployRunner -> ServingCluster -> DataLake | Warehouse -> TrackingServer -> Orchestrator, and the
ZeroTrust component rendering the one flow graph every component contributes to. The deploy runner (an
in-VPC CodeBuild GitHub Actions runner) is the stack's deployer principal: it gets the cluster-admin access
entry, and its path to the private cluster API is a declared flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.access import apps as access_apps
from components.access import controller as access_controller
from components.access.component import PlatformIngress, PlatformIngressArgs, controller_namespace
from components.cluster.component import PREDICTOR_PORT, PREDICTORS, ServingCluster, ServingClusterArgs
from components.cluster.secrets_operator import SecretsOperator, SecretsOperatorArgs
from components.config import PlatformConfig
from components.data import rds_ca as rds_ca
from components.data.lake import DataLake, DataLakeArgs
from components.data.lake_grants import catalog_api_document
from components.data.warehouse import PORT as warehouse_port
from components.data.warehouse import Warehouse, WarehouseArgs
from components.deploy.runner import DeployRunner, DeployRunnerArgs
from components.iam import partition_of
from components.network.component import Network, NetworkArgs
from components.observability.component import Observability
from components.observability.wiring import AIRFLOW_PUBLISHERS, grant_alert_publish, observability_args
from components.orchestration import airflow_values as airflow_values
from components.orchestration.component import Orchestrator, OrchestratorArgs
from components.registry.component import ImageRegistry, ImageRegistryArgs
from components.registry.images import RegistryBase
from components.tracking import access as tracking_access
from components.tracking.component import TrackingServer, TrackingServerArgs
from components.zerotrust.component import ZeroTrust, ZeroTrustArgs
from components.zerotrust.pod_identity import PodSecurityGroups, PodSecurityGroupsArgs
from contracts.flows import AwsDestination, Flow, FlowGraph

ARTIFACTS_ZONE = "ml-artifacts"
"""The lake zone holding MLflow artifacts and Airflow task logs."""


class AppPlacement(TypedDict):
    """Where MLflow and Airflow live and keep their artifacts: the Args fields both components share
    (a TypedDict, so passing it with ``**`` stays type-checked)."""

    environment: str
    region: str
    account_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    endpoints: AwsDestination
    tags: Mapping[str, str]
    force_destroy_bucket: bool
    artifact_bucket_name: pulumi.Input[str] | None
    artifact_bucket_arn: pulumi.Input[str] | None
    artifact_kms_key_arn: pulumi.Input[str] | None
    registry: pulumi.Output[RegistryBase] | None


def stack_config_values() -> dict[str, Any]:
    """Every config key of the stack as the engine passed it to this program: :func:`parse_config` checks
    them all, so a misspelt namespace (``mlop:network``) is an error instead of a silently ignored key."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


class MlopsPlatform(pulumi.ComponentResource):
    """Every component of the platform, parented here so one tree shows the whole environment."""

    provider: aws.Provider
    """The AWS provider all AWS resources use: region and the required default tags."""
    flows: FlowGraph
    """The zero-trust flow graph every component contributes to; rendered once by :class:`ZeroTrust`."""

    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:MlopsPlatform", name, None, opts)
        self.config = config
        # Default tags reach every taggable AWS resource; phoenix stacks add their expiry tags here.
        self.provider = aws.Provider(
            f"{name}-aws",
            region=config.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=config.required_tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.flows = FlowGraph()
        self._exports: dict[str, pulumi.Input[Any]] = {"environment": config.environment, "region": config.region}
        # Every AWS resource below uses this provider (children inherit it from their component).
        aws_opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id

        self.network = Network(
            "network",
            NetworkArgs(
                config=config.network,
                environment=config.environment,
                account_id=account_id,
                region=config.region,
                # nat none: the deploy runner keeps one NAT in its own subnets (docs/adr/0003-registry-and-air-gap.md).
                runner_egress=config.deploy.runner is not None,
                destination_slots=_destination_slots(config),
                public_entry=config.access is not None and config.access.public is not None,
            ),
            opts=aws_opts,
        )
        network = self.network

        # Every image comes through the stack's ECR: the registry exists before anything that pulls.
        self.registry = ImageRegistry(
            "registry",
            ImageRegistryArgs(
                config=config.registry,
                environment=config.environment,
                region=config.region,
                account_id=account_id,
                tags=config.required_tags,
                force_delete=config.lake.force_destroy,
            ),
            opts=aws_opts,
        )

        # The deployer principal is the in-VPC runner's role, not whoever runs `pulumi`: one stable access entry
        # (docs/adr/0001-deploying-a-private-cluster.md). Without a runner nobody gets one by default.
        self.runner: DeployRunner | None = None
        if config.deploy.runner is not None:
            self.runner = DeployRunner(
                "deploy-runner",
                DeployRunnerArgs(
                    config=config.deploy.runner,
                    environment=config.environment,
                    region=config.region,
                    account_id=account_id,
                    vpc_id=network.vpc_id,
                    vpc_cidr=network.vpc_cidr,
                    subnet_ids=network.runner_subnet_ids,
                    endpoints_security_group_id=network.endpoints_security_group_id,
                    # nat none: the runner tier's own NAT gateway (Network.runner_subnet_ids).
                    internet_egress=config.network.nat != "none" or bool(network.runner_subnet_cidrs),
                ),
                opts=aws_opts,
            )
            self._exports.update(
                deployRunnerProject=self.runner.project_name, deployRunnerLabel=self.runner.runner_label
            )
        runner = self.runner

        self.cluster = ServingCluster(
            "serving",
            ServingClusterArgs(
                config=config.cluster,
                environment=config.environment,
                region=config.region,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                control_plane_subnet_ids=network.slot_subnet_ids["control-plane"],
                control_plane_subnet_cidrs=network.slot_subnet_cidrs["control-plane"],
                vpc_cidr=network.vpc_cidr,
                tags=config.required_tags,
                namespaces=config.cluster.namespaces,
                endpoints=network.endpoints,
                deployer_principal=runner.role_arn if runner is not None else None,
                registry=self.registry.base,
                image_pull_ready=self.registry.pull_ready,
            ),
            opts=aws_opts,
        )
        cluster = self.cluster
        # Team repositories: only the nodes pull, only CI pushes.
        self.registry.allow_pull("registry", [cluster.node_role_arn])
        self._exports.update(registryRepositoryUrls=self.registry.repository_urls)
        if self.registry.login_secret_arns:
            # The operator puts each upstream's login in here (docs/adr/0003-registry-and-air-gap.md).
            self._exports["registryLoginSecretArns"] = self.registry.login_secret_arns
        if self.registry.ci_role_arn is not None:
            self._exports["registryCiRoleArn"] = self.registry.ci_role_arn
        self.flows.add(cluster.flows)
        # The load balancer controller's namespace (mlops:access): before the pod groups, since the controller's
        # SecurityGroupPolicy lives there and must exist before its pods (components/access/component.py).
        self.access_namespace = (
            controller_namespace(
                "access-controller-ns",
                kubernetes_version=config.cluster.version,
                opts=pulumi.ResourceOptions(parent=self, provider=cluster.k8s_provider),
            )
            if config.access is not None
            else None
        )
        # Each workload's own security group, created before any pod of it (pod_identity's docstring says why).
        self.pod_groups = PodSecurityGroups(
            "pod-sg",
            PodSecurityGroupsArgs(
                environment=config.environment,
                vpc_id=network.vpc_id,
                cluster_security_group_id=cluster.workload_security_group_id,
                k8s_provider=cluster.k8s_provider,
                depends_on=[*cluster.namespaces.values(), *([self.access_namespace] if self.access_namespace else [])],
            ),
            opts=aws_opts,
        )
        if runner is not None:
            # The private API endpoint's ENIs (in the control-plane subnets) carry the cluster security group, which
            # must admit 443 from whatever calls the API (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
            api_endpoint = AwsDestination(
                name="eks-api-endpoint",
                cidrs=tuple(network.slot_subnet_cidrs["control-plane"]),
                security_group_id=cluster.workload_security_group_id,
            )
            self.flows.add(
                [
                    Flow(runner.source, api_endpoint, 443, description="deploy runner -> private EKS API"),
                    Flow(runner.source, network.endpoints, 443, description="deploy runner -> VPC interface endpoints"),
                ]
            )

        self.lake: DataLake | None = None
        if config.storage.lake:
            self.lake = DataLake(
                "lake",
                DataLakeArgs(
                    config=config.lake,
                    environment=config.environment,
                    account_id=account_id,
                    region=config.region,
                    # The deployer grants Lake Formation permissions, so it must be a Lake Formation admin.
                    admin_role_arns=[runner.role_arn] if runner is not None else [],
                ),
                opts=aws_opts,
            )
            self._exports.update(
                lakeBuckets=self.lake.bucket_names,
                lakeKeyArn=self.lake.key_arn,
                lakeDatabases=self.lake.database_names,
                athenaWorkgroup=self.lake.workgroup_name,
            )

        self.warehouse: Warehouse | None = None
        if config.storage.warehouse:
            self.warehouse = Warehouse(
                "warehouse",
                WarehouseArgs(
                    config=config.warehouse,
                    environment=config.environment,
                    account_id=account_id,
                    region=config.region,
                    vpc_id=network.vpc_id,
                    subnet_ids=network.slot_subnet_ids["warehouse"],
                    subnet_cidrs=network.slot_subnet_cidrs["warehouse"],
                ),
                opts=aws_opts,
            )
            self._exports.update(
                warehouseWorkgroup=self.warehouse.workgroup_name,
                warehouseEndpoint=self.warehouse.endpoint,
                warehouseAdminSecretArn=self.warehouse.admin_secret_arn,
            )

        # Before the applications: Airflow gets the alert topic's ARN in its environment.
        self.observability: Observability | None = None
        if config.observability.enabled:
            self.observability = Observability(
                "observability",
                observability_args(
                    config,
                    config.observability,
                    config.budget,
                    account_id=account_id,
                    oidc=cluster.oidc,
                    node_groups=cluster.node_groups,
                ),
                opts=aws_opts,
            )
            self.flows.add(self.observability.flows)
            self._exports.update(
                alertTopicArn=self.observability.topic_arn, alertTopicKeyArn=self.observability.topic_key_arn
            )

        self.secrets_operator: SecretsOperator | None = None
        self._applications(config, account_id)
        self._access(config, account_id)
        eso = self.secrets_operator

        # Last: every component has contributed its flows; what is not declared cannot talk.
        self.zero_trust = ZeroTrust(
            "zerotrust",
            ZeroTrustArgs(
                graph=self.flows,
                namespaces=[
                    *config.cluster.namespaces,
                    *cluster.system_namespaces,
                    *([eso.namespace] if eso is not None else []),
                    # The load balancer controller's namespace (mlops:access), flow-managed like the others.
                    *([access_controller.NAMESPACE] if self.access is not None else []),
                ],
                shared_namespaces=cluster.shared_namespaces,
                policy_aliases=eso.policy_aliases if eso is not None else {},
                vpc_cidr=network.vpc_cidr,
                cluster_security_group_id=cluster.workload_security_group_id,
                pod_security_groups=self.pod_groups,
                k8s_provider=cluster.k8s_provider,
                depends_on=[
                    *cluster.namespaces.values(),
                    *([eso.namespace_resource] if eso is not None else []),
                    *([self.access_namespace] if self.access_namespace is not None else []),
                ],
            ),
            opts=aws_opts,
        )
        self._exports.update(
            vpcId=network.vpc_id,
            privateSubnetIds=network.private_subnet_ids,
            clusterName=cluster.cluster_name,
            clusterEndpoint=cluster.endpoint,
            oidcProviderArn=cluster.oidc_provider_arn,
            nodeRoleArn=cluster.node_role_arn,
            kubeconfig=cluster.kubeconfig,
            zeroTrustFlows=self.zero_trust.described_flows,
            zeroTrustWorkloads=self.zero_trust.described_workloads,
            zeroTrustSecurityGroups=self.zero_trust.described_security_groups,
        )
        self.register_outputs({})

    def _applications(self, config: PlatformConfig, account_id: pulumi.Input[str]) -> None:
        """MLflow and Airflow on the cluster (or managed Airflow), with their databases and secrets."""
        network, cluster, lake = self.network, self.cluster, self.lake
        aws_opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        ca_bundle = rds_ca.read_bundle(config.region)
        # Artifacts and logs go to the lake's ml-artifacts zone; without a lake each app has its own bucket.
        common = AppPlacement(
            environment=config.environment,
            region=config.region,
            account_id=account_id,
            vpc_id=network.vpc_id,
            endpoints=network.endpoints,
            tags=config.required_tags,
            force_destroy_bucket=config.lake.force_destroy,
            artifact_bucket_name=lake.bucket_names[ARTIFACTS_ZONE] if lake is not None else None,
            artifact_bucket_arn=lake.bucket_arns[ARTIFACTS_ZONE] if lake is not None else None,
            artifact_kms_key_arn=lake.key_arn if lake is not None else None,
            registry=self.registry.base,
        )
        needs_cluster_apps = config.tracking.enabled or (
            config.orchestrator.enabled and config.orchestrator.mode == "helm"
        )
        secrets_operator = (
            SecretsOperator(
                "secrets-operator",
                SecretsOperatorArgs(
                    k8s_provider=cluster.k8s_provider,
                    api_server=cluster.api_server,
                    control_plane=cluster.control_plane,
                    endpoints=network.endpoints,
                    depends_on=list(cluster.namespaces.values()),
                    registry=self.registry.base,
                ),
                opts=aws_opts,
            )
            if needs_cluster_apps
            else None
        )
        if secrets_operator is not None:
            self.secrets_operator = secrets_operator
            self.flows.add(secrets_operator.flows)
        db_tls: dict[str, str] = {}

        self.tracking: TrackingServer | None = None
        if config.tracking.enabled:
            assert secrets_operator is not None
            self.tracking = TrackingServer(
                "tracking",
                TrackingServerArgs(
                    config=config.tracking,
                    database_subnet_ids=network.slot_subnet_ids["tracking-db"],
                    database_subnet_cidrs=network.slot_subnet_cidrs["tracking-db"],
                    oidc=cluster.oidc,
                    k8s_provider=cluster.k8s_provider,
                    secrets_operator=secrets_operator,
                    db_ca_bundle=ca_bundle,
                    namespace_resources=[
                        cluster.namespaces["mlflow"],
                        *self.pod_groups.policies_for([tracking_access.server_workload("mlflow")]),
                    ],
                    client_workloads=[PREDICTORS],
                    external_hosts=access_apps.mlflow_hosts(config.access),
                    **common,
                ),
                opts=aws_opts,
            )
            self.flows.add(self.tracking.flows)
            db_tls["mlflow"] = self.tracking.db_tls_mode
            self._exports.update(
                trackingUri=self.tracking.tracking_uri,
                mlflowDbEndpoint=self.tracking.db_endpoint,
                mlflowDbSecretArn=self.tracking.db_secret_arn,
                mlflowAdminSecretArn=self.tracking.admin_secret_arn,
                mlflowArtifactLocation=self.tracking.artifact_location,
            )

        self.orchestrator: Orchestrator | None = None
        if config.orchestrator.enabled:
            helm = config.orchestrator.mode == "helm"
            zones = lake.bucket_arns if lake is not None else {}
            self.orchestrator = Orchestrator(
                "orchestrator",
                OrchestratorArgs(
                    config=config.orchestrator,
                    database_subnet_ids=network.slot_subnet_ids.get("orchestrator-db"),
                    database_subnet_cidrs=network.slot_subnet_cidrs.get("orchestrator-db", ()),
                    oidc=cluster.oidc if helm else None,
                    k8s_provider=cluster.k8s_provider if helm else None,
                    secrets_operator=secrets_operator if helm else None,
                    db_ca_bundle=ca_bundle,
                    namespace_resources=[
                        cluster.namespaces["airflow"],
                        *self.pod_groups.policies_for(
                            airflow_values.workload(key, "airflow") for key in airflow_values.WORKLOAD_COMPONENTS
                        ),
                    ]
                    if helm
                    else (),
                    tracking=self.tracking.workload if self.tracking is not None else None,
                    private_subnet_ids=network.private_subnet_ids,
                    private_subnet_cidrs=network.private_subnet_cidrs,
                    zone_bucket_arns=zones,
                    zone_kms_key_arn=lake.key_arn if lake is not None else None,
                    alert_topic_arn=self.observability.topic_arn if self.observability is not None else None,
                    **common,
                ),
                opts=aws_opts,
            )
            self.flows.add(self.orchestrator.flows)
            if self.observability is not None:
                # on_failure_callback publishes pipeline alerts (docs/operations-pipeline-alerts.md).
                for component in AIRFLOW_PUBLISHERS[config.orchestrator.mode]:
                    grant_alert_publish(
                        f"alerts-airflow-{component.lower()}",
                        self.orchestrator.role_arns[component],
                        self.observability.publisher_statements,
                        parent=self.orchestrator,
                    )
            if lake is not None:
                role = self.orchestrator.role_arns["workers" if helm else "execution"]
                self._grant_lake_zones(lake, config, account_id, role)
            if helm:
                # The KubernetesExecutor's scheduler launches task pods through the Kubernetes API.
                scheduler = airflow_values.workload("scheduler", "airflow")
                self.flows.add([Flow(scheduler, cluster.api_server, 443, description="scheduler -> Kubernetes API")])
                db_tls["airflow"] = self.orchestrator.db_tls_mode
                self._exports.update(
                    airflowNamespace=self.orchestrator.namespace,
                    airflowApiService=self.orchestrator.api_service_name,
                    airflowDbEndpoint=self.orchestrator.metadata_db_endpoint,
                    airflowLogLocation=self.orchestrator.log_location,
                )
            else:
                self._exports.update(
                    airflowEnvironmentArn=self.orchestrator.environment_arn,
                    airflowWebserverUrl=self.orchestrator.webserver_url,
                )
        if self.warehouse is not None and self.orchestrator is not None and self.orchestrator.workers is not None:
            self.flows.add(
                [
                    Flow(
                        self.orchestrator.workers,
                        self.warehouse.destination,
                        warehouse_port,
                        description="workers -> warehouse",
                    )
                ]
            )
        if db_tls:
            self._exports["databaseTls"] = db_tls

    def _access(self, config: PlatformConfig, account_id: pulumi.Input[str]) -> None:
        """The way in (docs/adr/0004-the-way-in.md): MLflow and Airflow for people, models and the MLflow API for
        client applications, and the controller binding pods to their target groups."""
        self.access: PlatformIngress | None = None
        access = config.access
        if access is None:
            return
        network, cluster = self.network, self.cluster
        people, mlflow_api = access_apps.app_targets(
            access,
            mlflow=self.tracking.workload if self.tracking is not None else None,
            airflow_on_cluster=self.orchestrator is not None and config.orchestrator.mode == "helm",
        )
        self.access = PlatformIngress(
            "access",
            PlatformIngressArgs(
                config=access,
                environment=config.environment,
                region=config.region,
                account_id=account_id,
                tier=config.effective_tier,
                kubernetes_version=config.cluster.version,
                vpc_id=network.vpc_id,
                ingress_subnet_ids=network.slot_subnet_ids["ingress"],
                ingress_subnet_cidrs=network.slot_subnet_cidrs["ingress"],
                public_subnet_ids=network.public_subnet_ids,
                public_subnet_cidrs=network.public_subnet_cidrs,
                cluster_name=cluster.cluster_name,
                oidc=cluster.oidc,
                k8s_provider=cluster.k8s_provider,
                api_server=cluster.api_server,
                endpoints=network.endpoints,
                people_apps=people,
                mlflow_api=mlflow_api,
                predictors=PREDICTORS if config.cluster.kserve.enabled else None,
                predictor_port=PREDICTOR_PORT,
                registry=self.registry.base,
                force_destroy=config.lake.force_destroy,
                depends_on=[
                    cluster.namespaces[ns] for ns in ("mlflow", "airflow", "serving") if ns in cluster.namespaces
                ],
                controller_namespace=self.access_namespace,
                # Security groups for pods are assigned at pod creation: the controller's policy first.
                release_depends_on=self.pod_groups.policies_for([access_controller.controller_workload()]),
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.provider]),
        )
        self.flows.add(self.access.flows)
        # The EKS control plane calls the controller's TargetGroupBinding webhooks (fail closed) on 9443.
        self.flows.add([access_controller.webhook_flow(cluster.control_plane)])
        self._exports.update(
            accessUrls=self.access.urls,
            accessCertificateArn=self.access.certificate_arn,
            accessZoneId=self.access.zone_id,
            accessControllerRoleArn=self.access.controller_role_arn,
        )
        if self.access.user_pool_id is not None:
            self._exports["accessUserPoolId"] = self.access.user_pool_id

    def _grant_lake_zones(
        self, lake: DataLake, config: PlatformConfig, account_id: pulumi.Input[str], airflow_role: pulumi.Output[str]
    ) -> None:
        """Airflow's access to the zones it reads and writes: Lake Formation grants (the catalog is
        LF-governed) plus the IAM policy that lets its role make the Glue and Lake Formation calls."""
        writes = list(config.orchestrator.data_zones_write)
        reads = [zone for zone in config.orchestrator.data_zones_read if zone not in writes]
        if reads:
            lake.grant("airflow", airflow_role, reads, write=False)
        if writes:
            lake.grant("airflow", airflow_role, writes, write=True)
        if not reads and not writes:
            return
        region = config.region
        names = [lake.database_names[zone] for zone in [*reads, *writes]]
        aws.iam.RolePolicy(
            "lake-airflow-catalog",
            role=airflow_role.apply(lambda arn: arn.rsplit("/", 1)[-1]),
            policy=pulumi.Output.all(account_id, *names).apply(
                lambda v: catalog_api_document(
                    partition=partition_of(region),
                    region=region,
                    account=str(v[0]),
                    reads=[str(n) for n in v[1 : 1 + len(reads)]],
                    writes=[str(n) for n in v[1 + len(reads) :]],
                )
            ),
            # Under the lake, whose provider it inherits (the platform's, with region and default tags).
            opts=pulumi.ResourceOptions(parent=lake),
        )

    def exports(self) -> dict[str, pulumi.Input[Any]]:
        """Stack outputs (IDs, ARNs, endpoints) to publish with ``pulumi.export``."""
        return dict(self._exports)


def _destination_slots(config: PlatformConfig) -> list[str]:
    """The destination subnets the stack needs besides the endpoints' and the control plane's."""
    slots = []
    if config.tracking.enabled:
        slots.append("tracking-db")
    if config.orchestrator.enabled and config.orchestrator.mode == "helm":
        slots.append("orchestrator-db")
    if config.storage.warehouse:
        slots.append("warehouse")
    if config.access is not None:
        slots.append("ingress")
    return slots
