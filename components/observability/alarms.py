"""The platform's alarms as plain specifications; ``components.observability.component`` creates them.

Every alarm names its runbook entry (``docs/operations.md#<runbook>``); a test checks each anchor exists.
Metric names and dimensions are the ones the services publish:

- RDS (``AWS/RDS``, ``DBInstanceIdentifier``): CPUUtilization, FreeStorageSpace (bytes), DatabaseConnections.
  PostgreSQL's default ``max_connections`` on RDS is ``LEAST(DBInstanceClassMemory/9531392, 5000)``.
- Redshift Serverless (``AWS/Redshift-Serverless``, ``Workgroup``): ComputeSeconds (RPU-seconds).
- Container Insights with enhanced observability (``ContainerInsights``), dimension sets as the CloudWatch
  agent publishes them (amazon-cloudwatch-agent-test, eks_resources ``GetExpectedDimsToMetrics``):
  ``ClusterName``: cluster_failed_node_count, pod_status_pending,
  pod_container_status_waiting_reason_crash_loop_back_off; ``ClusterName, Namespace, PodName``:
  pod_status_ready, where PodName is the owning Deployment's name (the agent maps ReplicaSet -> Deployment).
  There is no ``ClusterName, Namespace`` series of restarts, so restart loops are watched cluster-wide.
- CloudWatch Logs (``AWS/Logs``, ``LogGroupName``): IncomingLogEvents; no data means nothing arrived.
- Log-derived metrics (``MLOps/<environment>``): ``components.observability.signals``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from components.observability.config import AlarmThresholds

Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
MissingData = Literal["breaching", "notBreaching", "ignore", "missing"]

GIB = 1024**3
POSTGRES_MEMORY_DIVISOR = 9531392
"""RDS for PostgreSQL: default max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000)."""

# Memory (GiB) per instance size of the RDS classes a platform database uses. Burstable (t3, t4g) and
# general-purpose (m5, m6g, m6i, m7g, m7i) sizes have 4 GiB per vCPU above large; memory-optimised (r5, r6g,
# r6i, r7g, r7i) 8 GiB per vCPU (https://aws.amazon.com/rds/instance-types/).
_BURSTABLE = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_SIZES = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64}
_FAMILY_GIB_PER_VCPU = {
    "m5": 4,
    "m6g": 4,
    "m6i": 4,
    "m7g": 4,
    "m7i": 4,
    "r5": 8,
    "r6g": 8,
    "r6i": 8,
    "r7g": 8,
    "r7i": 8,
}
_BURSTABLE_FAMILIES = ("t3", "t4g")


@dataclass(frozen=True)
class MetricStat:
    """One metric of a metric-math alarm."""

    id: str
    namespace: str
    metric: str
    stat: str
    period: int
    dimensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: either a single metric (``metric``) or metric math (``expression`` over ``inputs``)."""

    key: str
    """Stable id: the alarm name is ``mlops-<environment>-<key>`` and the resource name ``<name>-<key>``."""
    runbook: str
    """Anchor of the alarm's entry in docs/operations.md."""
    summary: str
    """What is wrong, in one line (the alarm description starts with it)."""
    threshold: float
    comparison: Comparison
    evaluation_periods: int
    datapoints: int
    missing: MissingData
    metric: MetricStat | None = None
    expression: str | None = None
    inputs: tuple[MetricStat, ...] = ()

    def __post_init__(self) -> None:
        if (self.metric is None) == (self.expression is None):
            raise ValueError(f"alarm {self.key}: give exactly one of metric and expression")
        if not 1 <= self.datapoints <= self.evaluation_periods:
            raise ValueError(f"alarm {self.key}: datapoints {self.datapoints} not in 1..{self.evaluation_periods}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", self.key):
            raise ValueError(f"alarm key {self.key!r}: lowercase words joined by '-'")


@dataclass(frozen=True, kw_only=True)
class DatabaseTarget:
    """An RDS instance to watch (the platform passes its MLflow and Airflow databases)."""

    identifier: str
    """RDS instance identifier (``<environment>-<component>-db``)."""
    instance_class: str
    """Instance class (sizes the connections threshold)."""
    allocated_storage_gib: int
    """Allocated storage (sizes the free-storage threshold)."""


@dataclass(frozen=True, kw_only=True)
class WorkloadTarget:
    """A Deployment whose readiness is alarmed (MLflow, Airflow's API server, scheduler, DAG processor)."""

    name: str
    """Display name and alarm key part (``mlflow``, ``airflow-scheduler``)."""
    namespace: str
    deployment: str
    """Deployment name: Container Insights' ``PodName`` dimension of its pods."""


def default_max_connections(instance_class: str) -> int:
    """PostgreSQL's default max_connections on RDS for ``instance_class`` (nominal memory; RDS reserves some)."""
    match = re.fullmatch(r"db\.([a-z0-9]+)\.([a-z0-9]+)", instance_class)
    if not match:
        raise ValueError(f"{instance_class!r} is not an RDS instance class (db.<family>.<size>)")
    family, size = match.groups()
    if family in _BURSTABLE_FAMILIES and size in _BURSTABLE:
        gib = _BURSTABLE[size]
    elif family in _FAMILY_GIB_PER_VCPU and size in _SIZES:
        gib = _FAMILY_GIB_PER_VCPU[family] * _SIZES[size]
    else:
        known = sorted([*_BURSTABLE_FAMILIES, *_FAMILY_GIB_PER_VCPU])
        raise ValueError(f"{instance_class!r}: unknown memory size; known families {known}")
    return min(gib * GIB // POSTGRES_MEMORY_DIVISOR, 5000)


def database_alarms(db: DatabaseTarget, t: AlarmThresholds) -> list[AlarmSpec]:
    """CPU, free storage and connections of one database."""
    dims = {"DBInstanceIdentifier": db.identifier}
    connections = default_max_connections(db.instance_class) * t.rds_connections_percent / 100

    def rds(metric: str, stat: str) -> MetricStat:
        return MetricStat("m1", "AWS/RDS", metric, stat, 300, dims)

    return [
        AlarmSpec(f"rds-{db.identifier}-cpu", "rds-cpu", f"{db.identifier}: CPU above {t.rds_cpu_percent:g}% for 15 minutes",
                  t.rds_cpu_percent, "GreaterThanThreshold", 3, 3, "missing", metric=rds("CPUUtilization", "Average")),
        AlarmSpec(f"rds-{db.identifier}-free-storage", "rds-free-storage",
                  f"{db.identifier}: less than {t.rds_free_storage_percent:g}% of its storage free",
                  round(db.allocated_storage_gib * GIB * t.rds_free_storage_percent / 100), "LessThanThreshold", 2, 2,
                  "missing", metric=rds("FreeStorageSpace", "Minimum")),
        AlarmSpec(f"rds-{db.identifier}-connections", "rds-connections",
                  f"{db.identifier}: more than {connections:.0f} connections ({t.rds_connections_percent:g}% of max_connections)",
                  round(connections), "GreaterThanThreshold", 3, 3, "missing",
                  metric=rds("DatabaseConnections", "Maximum")),
    ]  # fmt: skip


def warehouse_alarm(workgroup: str, max_rpu_hours_per_day: int | None, t: AlarmThresholds) -> AlarmSpec:
    """RPU-hours over 24 hours above a share of the daily usage limit (or a fixed budget without one)."""
    if max_rpu_hours_per_day is not None:
        hours = max_rpu_hours_per_day * t.warehouse_usage_percent / 100
        what = f"{t.warehouse_usage_percent:g}% of its {max_rpu_hours_per_day} RPU-hour daily limit"
    else:
        hours, what = float(t.warehouse_daily_rpu_hours), f"{t.warehouse_daily_rpu_hours} RPU-hours"
    metric = MetricStat("m1", "AWS/Redshift-Serverless", "ComputeSeconds", "Sum", 86400, {"Workgroup": workgroup})
    return AlarmSpec("warehouse-usage", "warehouse-usage", f"warehouse {workgroup}: used more than {what} in 24 hours",
                     round(hours * 3600), "GreaterThanThreshold", 1, 1, "notBreaching", metric=metric)  # fmt: skip


def cluster_alarms(cluster: str) -> list[AlarmSpec]:
    """Failed nodes, pods pending (unschedulable) and containers in CrashLoopBackOff, cluster-wide."""

    def ci(metric: str) -> MetricStat:
        return MetricStat("m1", "ContainerInsights", metric, "Maximum", 300, {"ClusterName": cluster})

    return [
        AlarmSpec("cluster-failed-nodes", "cluster-failed-nodes", f"{cluster}: a node reports a failing condition",
                  1, "GreaterThanOrEqualToThreshold", 3, 3, "missing", metric=ci("cluster_failed_node_count")),
        AlarmSpec("cluster-pending-pods", "cluster-pending-pods", f"{cluster}: pods pending for 15 minutes",
                  1, "GreaterThanOrEqualToThreshold", 3, 3, "notBreaching", metric=ci("pod_status_pending")),
        AlarmSpec("cluster-crash-loops", "cluster-crash-loops", f"{cluster}: containers in CrashLoopBackOff",
                  1, "GreaterThanOrEqualToThreshold", 3, 3, "notBreaching",
                  metric=ci("pod_container_status_waiting_reason_crash_loop_back_off")),
    ]  # fmt: skip


def workload_alarm(cluster: str, workload: WorkloadTarget) -> AlarmSpec:
    """No ready pod of the Deployment for 5 minutes (no data: no pod at all, also an outage)."""
    dims = {"ClusterName": cluster, "Namespace": workload.namespace, "PodName": workload.deployment}
    metric = MetricStat("m1", "ContainerInsights", "pod_status_ready", "Maximum", 60, dims)
    return AlarmSpec(f"{workload.name}-unavailable", "workload-unavailable",
                     f"{workload.namespace}/{workload.deployment}: no ready pod for 5 minutes",
                     1, "LessThanThreshold", 5, 5, "breaching", metric=metric)  # fmt: skip


def airflow_alarms(metric_namespace: str) -> list[AlarmSpec]:
    """A task instance or a DAG run ended failed (metric filters on the scheduler's log)."""

    def count(metric: str) -> MetricStat:
        return MetricStat("m1", metric_namespace, metric, "Sum", 300)

    return [
        AlarmSpec("airflow-task-failures", "airflow-task-failures", "Airflow: a task instance failed",
                  1, "GreaterThanOrEqualToThreshold", 1, 1, "notBreaching", metric=count("AirflowTaskFailures")),
        AlarmSpec("airflow-dagrun-failures", "airflow-dagrun-failures", "Airflow: a DAG run failed",
                  1, "GreaterThanOrEqualToThreshold", 1, 1, "notBreaching", metric=count("AirflowDagRunFailures")),
    ]  # fmt: skip


def kserve_alarms(metric_namespace: str, t: AlarmThresholds) -> list[AlarmSpec]:
    """Share of 5xx answers and of slow predictions over 5 minutes, once there is enough traffic."""

    def count(id_: str, metric: str) -> MetricStat:
        return MetricStat(id_, metric_namespace, metric, "Sum", 300)

    requests = count("requests", "KServeRequests")
    guard = f"requests >= {t.kserve_min_requests}"
    return [
        AlarmSpec("kserve-error-rate", "kserve-error-rate",
                  f"KServe: more than {t.kserve_error_rate_percent:g}% of predictions answered 5xx",
                  t.kserve_error_rate_percent, "GreaterThanThreshold", 3, 2, "notBreaching",
                  expression=f"IF({guard}, 100 * FILL(errors, 0) / requests, 0)",
                  inputs=(requests, count("errors", "KServeServerErrors"))),
        AlarmSpec("kserve-latency", "kserve-latency",
                  f"KServe: more than {t.kserve_slow_rate_percent:g}% of predictions took {t.kserve_slow_request_ms} ms or more",
                  t.kserve_slow_rate_percent, "GreaterThanThreshold", 3, 2, "notBreaching",
                  expression=f"IF({guard}, 100 * FILL(slow, 0) / requests, 0)",
                  inputs=(requests, count("slow", "KServeSlowPredictions"))),
    ]  # fmt: skip


def ingestion_alarm(log_group: str, key: str) -> AlarmSpec:
    """Nothing reached ``log_group`` for 15 minutes (missing data is the symptom, so it breaches)."""
    metric = MetricStat("m1", "AWS/Logs", "IncomingLogEvents", "Sum", 300, {"LogGroupName": log_group})
    return AlarmSpec(f"logs-{key}-ingestion", "log-ingestion", f"no log events reached {log_group} for 15 minutes",
                     1, "LessThanThreshold", 3, 3, "breaching", metric=metric)  # fmt: skip


def unique(specs: Sequence[AlarmSpec]) -> list[AlarmSpec]:
    """The specs, refusing two with the same key (their alarm names would collide)."""
    seen: set[str] = set()
    for spec in specs:
        if spec.key in seen:
            raise ValueError(f"two alarms share the key {spec.key!r}")
        seen.add(spec.key)
    return list(specs)
