"""Observability: metrics, logs, one alert channel, the alarms that matter and the budget, for one environment.

- **Alert channel**: an SNS topic encrypted with its own customer key, whose key and access policies let this
  account's CloudWatch alarms and AWS Budgets publish (``components.observability.documents``); e-mail
  subscriptions from config; chat through Amazon Q Developer in chat applications (docs/operations.md).
  Workloads publish with :attr:`Observability.publisher_statements` (Airflow's failure callbacks).
- **Metrics and logs** (docs/adr/0002-observability.md): the ``amazon-cloudwatch-observability`` EKS add-on
  (Container Insights with enhanced observability, Fluent Bit, the DCGM exporter on GPU nodes) with an IRSA
  role, its four log groups created first with a retention and a key, and the ``metrics-server`` community
  add-on for the Horizontal Pod Autoscalers of KServe's RawDeployment mode.
- **Alarms** (``components.observability.alarms``), each naming its runbook entry in docs/operations.md,
  with the topic as alarm and OK action; log-derived metrics from ``components.observability.signals``.
- **Budget**: an AWS Budget on the monthly cost with actual and forecast notifications to the topic.

The agents run on the node's network (host network), so NetworkPolicies do not apply to them: their AWS
calls leave from the node and reach the interface endpoints (logs, sts, monitoring; ec2 with ``nat: none``), whose
security group admits 443 from the VPC only. The component therefore declares no pod flows (:attr:`flows`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cluster.control_plane import managed_policy_arn, region_fence
from components.cluster.identity import OidcIssuer, service_account_role
from components.config_base import validate_placement
from components.iam import document, partition_of
from components.observability import agents, documents, signals
from components.observability.alarms import (
    AlarmSpec,
    DatabaseTarget,
    MetricStat,
    WorkloadTarget,
    airflow_alarms,
    cluster_alarms,
    database_alarms,
    ingestion_alarm,
    kserve_alarms,
    unique,
    warehouse_alarm,
    workload_alarm,
)
from components.observability.budget import create_budget
from components.observability.config import BudgetConfig, ObservabilityConfig
from components.observability.publishers import alert_publisher_statements, topic_arn
from contracts.flows import Flow


@dataclass(frozen=True, kw_only=True)
class ClusterTarget:
    """The EKS cluster the agents go to."""

    name: str
    """Cluster name (``mlops-<environment>``): the add-ons' cluster, the log groups' and metrics' dimension."""
    oidc: OidcIssuer
    """The cluster's OIDC issuer (IRSA role of the CloudWatch agent)."""
    ready: Sequence[pulumi.Resource]
    """What the add-ons wait for: the cluster and its node groups (add-on pods need nodes to become ACTIVE)."""
    gpu_instance_types: Sequence[str] = ()
    """Instance types of the GPU pool, if any: turns on the DCGM exporter metrics."""


@dataclass(frozen=True, kw_only=True)
class WarehouseTarget:
    """The Redshift Serverless workgroup whose usage is alarmed."""

    workgroup_name: str
    max_rpu_hours_per_day: int | None
    """The workgroup's daily usage limit (`mlops:warehouse.maxRpuHoursPerDay`), or None."""


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs:
    """Inputs of :class:`Observability`: plain values, so it can be built and tested on its own."""

    config: ObservabilityConfig
    """The stack's `mlops:observability` section."""
    budget: BudgetConfig | None = None
    """The stack's `mlops:budget` section; None: no AWS Budget."""
    environment: str
    """Environment name (dev, prod, pr-42): resource names and the metric namespace."""
    region: str
    account_id: pulumi.Input[str]
    """AWS account id (key and topic policies, the deterministic topic ARN)."""
    cluster: ClusterTarget | None = None
    """The EKS cluster; None: no agents, no cluster or log-derived alarms."""
    databases: Sequence[DatabaseTarget] = ()
    """Every RDS instance of the platform (CPU, storage and connections alarms each)."""
    warehouse: WarehouseTarget | None = None
    workloads: Sequence[WorkloadTarget] = ()
    """Deployments alarmed when no pod is ready (MLflow, Airflow API server, scheduler, DAG processor)."""
    airflow_on_cluster: bool = False
    """Airflow's scheduler runs on the cluster (helm mode): alarm on failed tasks and DAG runs."""
    serving_namespace: str | None = None
    """Namespace of KServe's InferenceServices: alarm on their error rate and latency."""
    watched_log_groups: Mapping[str, str] = field(default_factory=dict)
    """More log groups whose ingestion must not stop: alarm key -> log group name (control plane, flow logs)."""


def validate_args(args: ObservabilityArgs) -> None:
    """Reject impossible plain inputs before any resource exists, naming the field and what is allowed."""
    validate_placement(args.environment, args.region, args.account_id)
    if not args.config.enabled:
        raise ValueError("Observability built while mlops:observability.enabled is false")
    ids = [db.identifier for db in args.databases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"ObservabilityArgs.databases: identifiers repeat: {sorted(ids)}")
    if args.cluster is None and (args.workloads or args.airflow_on_cluster or args.serving_namespace):
        raise ValueError("ObservabilityArgs: workloads, airflow_on_cluster and serving_namespace need the cluster")
    if args.cluster is not None:
        agents.check_gpu_instance_types(args.cluster.gpu_instance_types)
    for key, group in args.watched_log_groups.items():
        if not group.startswith("/") or len(group) > 512:
            raise ValueError(f"ObservabilityArgs.watched_log_groups[{key!r}]: {group!r} is not a log group name")


class Observability(pulumi.ComponentResource):
    """The alert topic, the cluster's metrics and logs agents, the alarms and the budget of one environment."""

    topic_arn: pulumi.Output[str]
    """ARN of the alert topic (every alarm's action): `MLOPS_ALERT_TOPIC_ARN` for Airflow."""
    topic_key_arn: pulumi.Output[str]
    """ARN of the alert topic's customer key."""
    publisher_statements: pulumi.Output[list[dict[str, Any]]]
    """IAM statements that let a role publish to the topic (add them to Airflow's workers and DAG processor)."""
    log_group_names: dict[str, str]
    """Container Insights stream -> log group name (empty without a cluster)."""
    alarm_names: list[str]
    """Names of every alarm created."""
    flows: list[Flow]
    """Zero-trust flows: none; the agents use the node's network (see the module docstring)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:observability:Observability", name, None, opts)
        validate_args(args)
        env, region = args.environment, args.region
        partition = partition_of(region)
        child = pulumi.ResourceOptions(parent=self)
        account = pulumi.Output.from_input(args.account_id)
        # The ARN SNS will give the topic: known before it exists, so the key policy needs no cycle.
        expected_arn = account.apply(
            lambda a: topic_arn(partition=partition, region=region, account=a, name=f"mlops-{env}-alerts")
        )

        # --- The alert channel ----------------------------------------------------------------------
        key = aws.kms.Key(
            f"{name}-alert-key",
            description=f"SNS alert topic of {env} (CloudWatch alarms, AWS Budgets, pipeline alerts)",
            enable_key_rotation=True,
            deletion_window_in_days=7 if env.startswith("pr-") else 30,
            policy=pulumi.Output.all(account, expected_arn).apply(
                lambda a: documents.alert_key_policy(account=a[0], region=region, topic_arn=a[1])
            ),
            opts=child,
        )
        aws.kms.Alias(f"{name}-alert-key-alias", name=f"alias/mlops-{env}-alerts", target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(
            f"{name}-alerts",
            name=f"mlops-{env}-alerts",
            display_name=f"MLOps {env} alerts",
            kms_master_key_id=key.arn,
            policy=pulumi.Output.all(account, expected_arn).apply(
                lambda a: documents.alert_topic_policy(account=a[0], region=region, topic_arn=a[1])
            ),
            opts=child,
        )
        for address in args.config.alert_emails:
            # Named by a digest: addresses stay out of URNs, and each keeps its resource when the list changes.
            digest = hashlib.sha256(address.lower().encode()).hexdigest()[:10]
            aws.sns.TopicSubscription(
                f"{name}-alerts-email-{digest}", topic=topic.arn, protocol="email", endpoint=address, opts=child
            )
        self.topic_arn = topic.arn
        self.topic_key_arn = key.arn
        self.publisher_statements = pulumi.Output.all(expected_arn, key.arn).apply(
            lambda a: alert_publisher_statements(str(a[0]), str(a[1]), sid="PipelineAlerts")
        )

        # --- Metrics and logs on the cluster ---------------------------------------------------------
        metric_namespace = signals.metric_namespace(env)
        specs: list[AlarmSpec] = []
        self.log_group_names = {}
        if args.cluster is not None:
            self.log_group_names, application = self._agents(name, args, args.cluster, account)
            specs += cluster_alarms(args.cluster.name)
            specs += [workload_alarm(args.cluster.name, w) for w in args.workloads]
            specs += [ingestion_alarm(self.log_group_names[s], s) for s in agents.WATCHED_STREAMS]
            filters: list[signals.MetricFilterSpec] = []
            if args.airflow_on_cluster:
                filters += signals.airflow_filters()
                specs += airflow_alarms(metric_namespace)
            if args.serving_namespace is not None:
                filters += signals.kserve_filters(args.serving_namespace, args.config.alarms.kserve_slow_request_ms)
                specs += kserve_alarms(metric_namespace, args.config.alarms)
            self._metric_filters(name, filters, application, metric_namespace)

        # --- Alarms -----------------------------------------------------------------------------------
        for db in args.databases:
            specs += database_alarms(db, args.config.alarms)
        if args.warehouse is not None:
            specs.append(
                warehouse_alarm(args.warehouse.workgroup_name, args.warehouse.max_rpu_hours_per_day, args.config.alarms)
            )
        specs += [ingestion_alarm(group, key_) for key_, group in sorted(args.watched_log_groups.items())]
        self.alarm_names = [self._alarm(name, env, spec, topic) for spec in unique(specs)]

        # --- Budget -----------------------------------------------------------------------------------
        if args.budget is not None:
            create_budget(f"{name}-budget", env, args.budget, topic, parent=self)

        self.flows = []
        self.register_outputs(
            {"topicArn": self.topic_arn, "topicKeyArn": self.topic_key_arn, "alarmNames": self.alarm_names}
        )

    def _agents(
        self, name: str, args: ObservabilityArgs, cluster: ClusterTarget, account: pulumi.Output[str]
    ) -> tuple[dict[str, str], aws.cloudwatch.LogGroup]:
        """The logs key and log groups, the agent's IRSA role and both add-ons; returns the log group names and
        the application log group (metric filters)."""
        child = pulumi.ResourceOptions(parent=self)
        region = args.region
        names = agents.log_group_names(cluster.name)
        logs_key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"Container Insights log groups of {cluster.name}",
            enable_key_rotation=True,
            deletion_window_in_days=7 if args.environment.startswith("pr-") else 30,
            policy=account.apply(
                lambda a: documents.logs_key_policy(
                    account=a, region=region, log_group_prefixes=[agents.log_group_prefix(cluster.name)]
                )
            ),
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-logs-key-alias",
            name=f"alias/mlops-{args.environment}-container-insights",
            target_key_id=logs_key.key_id,
            opts=child,
        )
        groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-logs-{stream}",
                name=group,
                retention_in_days=args.config.log_retention_days,
                kms_key_id=logs_key.arn,
                opts=child,
            )
            for stream, group in names.items()
        ]
        role = service_account_role(
            f"{name}-cloudwatch-agent",
            oidc=cluster.oidc,
            namespace=agents.ADDON_NAMESPACE,
            service_account=agents.ADDON_SERVICE_ACCOUNT,
            # The managed policy below grants the agent's calls; this keeps them in the cluster's region.
            policy=document(region_fence(region, ["cloudwatch", "ec2", "logs"])),
            parent=self,
        )
        # AWS documents exactly this policy for the add-on (EKS user guide, "Amazon CloudWatch Observability
        # agent"); X-Ray's is left out with Application Signals.
        managed = aws.iam.RolePolicyAttachment(
            f"{name}-cloudwatch-agent-managed",
            role=role.name,
            policy_arn=managed_policy_arn(region, "CloudWatchAgentServerPolicy"),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.eks.Addon(
            f"{name}-cloudwatch-addon",
            cluster_name=cluster.name,
            addon_name="amazon-cloudwatch-observability",
            addon_version=args.config.cloudwatch_addon_version,
            configuration_values=agents.cloudwatch_addon_configuration(gpu=bool(cluster.gpu_instance_types)),
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            # Log groups first, or the agents create them unencrypted and without retention.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*cluster.ready, *groups, managed]),
        )
        aws.eks.Addon(
            f"{name}-metrics-server",
            cluster_name=cluster.name,
            addon_name="metrics-server",
            addon_version=args.config.metrics_server_addon_version,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(cluster.ready)),
        )
        return names, groups[agents.LOG_STREAMS.index("application")]

    def _metric_filters(
        self,
        name: str,
        filters: Sequence[signals.MetricFilterSpec],
        group: aws.cloudwatch.LogGroup,
        metric_namespace: str,
    ) -> None:
        """Log-derived metrics on the application log group (created with it, so the group exists first)."""
        regex = [f for f in filters if f.regex]
        if len(regex) > signals.MAX_REGEX_PATTERNS_PER_LOG_GROUP:
            raise ValueError(f"{len(regex)} regex metric filters; CloudWatch Logs allows 5 per log group")
        for spec in filters:
            for expression in spec.regex:
                problems = signals.regex_problems(expression)
                if problems:
                    raise ValueError(f"metric filter {spec.key}: {'; '.join(problems)}")
            aws.cloudwatch.LogMetricFilter(
                f"{name}-filter-{spec.key}",
                name=f"{spec.key}",
                log_group_name=group.name,
                pattern=spec.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=spec.metric, namespace=metric_namespace, value="1", unit="Count"
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _alarm(self, name: str, env: str, spec: AlarmSpec, topic: aws.sns.Topic) -> str:
        alarm_name = f"mlops-{env}-{spec.key}"
        common: dict[str, Any] = {
            "name": alarm_name,
            "alarm_description": f"{spec.summary}. Runbook: docs/operations.md#{spec.runbook}"[:1024],
            "comparison_operator": spec.comparison,
            "threshold": spec.threshold,
            "evaluation_periods": spec.evaluation_periods,
            "datapoints_to_alarm": spec.datapoints,
            "treat_missing_data": spec.missing,
            "actions_enabled": True,
            "alarm_actions": [topic.arn],
            "ok_actions": [topic.arn],
        }
        if spec.metric is not None:
            m = spec.metric
            common.update(
                namespace=m.namespace, metric_name=m.metric, statistic=m.stat, period=m.period,
                dimensions=dict(m.dimensions) or None,
            )  # fmt: skip
        else:
            assert spec.expression is not None
            common["metric_queries"] = [_query(m) for m in spec.inputs] + [
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="e1", expression=spec.expression, label=spec.summary[:255], return_data=True
                )
            ]
        aws.cloudwatch.MetricAlarm(f"{name}-alarm-{spec.key}", opts=pulumi.ResourceOptions(parent=self), **common)
        return alarm_name


def _query(m: MetricStat) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=m.id,
        return_data=False,
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
            namespace=m.namespace,
            metric_name=m.metric,
            stat=m.stat,
            period=m.period,
            dimensions=dict(m.dimensions) or None,
        ),
    )


__all__ = [
    "ClusterTarget",
    "DatabaseTarget",
    "Observability",
    "ObservabilityArgs",
    "WarehouseTarget",
    "WorkloadTarget",
    "validate_args",
]
