"""Alarm specifications: thresholds sized from the resources, metric names and dimensions as published, and a
runbook entry in docs/operations.md for every alarm."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.observability import alarms
from components.observability.alarms import AlarmSpec, DatabaseTarget, MetricStat, WorkloadTarget
from components.observability.config import AlarmThresholds

T = AlarmThresholds()
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("instance_class", "expected"),
    [
        ("db.t4g.micro", 112),  # 1 GiB / 9531392
        ("db.t4g.medium", 450),
        ("db.t3.large", 901),
        ("db.m7g.xlarge", 1802),
        ("db.r7g.large", 1802),  # 16 GiB
        ("db.r6i.2xlarge", 5000),  # 64 GiB -> 7209, capped at 5000
    ],
)
def test_default_max_connections_follows_the_rds_formula(instance_class: str, expected: int) -> None:
    assert alarms.default_max_connections(instance_class) == expected


@pytest.mark.parametrize(
    ("instance_class", "message"),
    [("db.x2g.large", "unknown memory size"), ("db.t4g.huge", "unknown memory size"), ("m7g.large", "not an RDS")],
)
def test_unknown_instance_classes_are_refused(instance_class: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        alarms.default_max_connections(instance_class)


def test_database_alarms_watch_cpu_storage_and_connections_of_one_instance() -> None:
    db = DatabaseTarget(identifier="dev-tracking-db", instance_class="db.t4g.medium", allocated_storage_gib=20)
    cpu, storage, connections = alarms.database_alarms(db, T)
    dims = {"DBInstanceIdentifier": "dev-tracking-db"}
    assert cpu.metric == MetricStat("m1", "AWS/RDS", "CPUUtilization", "Average", 300, dims)
    assert (cpu.threshold, cpu.comparison, cpu.evaluation_periods, cpu.datapoints) == (80, "GreaterThanThreshold", 3, 3)
    assert storage.metric == MetricStat("m1", "AWS/RDS", "FreeStorageSpace", "Minimum", 300, dims)
    assert (storage.threshold, storage.comparison) == (2 * 1024**3, "LessThanThreshold")  # 10% of 20 GiB
    assert connections.metric == MetricStat("m1", "AWS/RDS", "DatabaseConnections", "Maximum", 300, dims)
    assert connections.threshold == 360  # 80% of 450
    assert [a.key for a in (cpu, storage, connections)] == [
        "rds-dev-tracking-db-cpu",
        "rds-dev-tracking-db-free-storage",
        "rds-dev-tracking-db-connections",
    ]


def test_warehouse_alarm_warns_before_the_usage_limit_or_at_a_fixed_budget() -> None:
    limited = alarms.warehouse_alarm("prod-warehouse", 256, T)
    assert limited.metric == MetricStat(
        "m1", "AWS/Redshift-Serverless", "ComputeSeconds", "Sum", 86400, {"Workgroup": "prod-warehouse"}
    )
    assert limited.threshold == round(256 * 0.8 * 3600)
    assert alarms.warehouse_alarm("prod-warehouse", None, T).threshold == 64 * 3600


def test_cluster_alarms_use_container_insights_cluster_wide_series() -> None:
    specs = {a.key: a for a in alarms.cluster_alarms("mlops-dev")}
    assert {k: a.metric.metric for k, a in specs.items() if a.metric} == {
        "cluster-failed-nodes": "cluster_failed_node_count",
        "cluster-pending-pods": "pod_status_pending",
        "cluster-crash-loops": "pod_container_status_waiting_reason_crash_loop_back_off",
    }
    for spec in specs.values():
        assert spec.metric is not None and spec.metric.namespace == "ContainerInsights"
        assert spec.metric.dimensions == {"ClusterName": "mlops-dev"}
        assert (spec.evaluation_periods, spec.datapoints) == (3, 3)  # 15 minutes: not a pod starting up


def test_workload_alarm_breaches_when_no_pod_is_ready_or_none_reports() -> None:
    spec = alarms.workload_alarm("mlops-dev", WorkloadTarget(name="mlflow", namespace="mlflow", deployment="mlflow"))
    assert spec.metric == MetricStat(
        "m1", "ContainerInsights", "pod_status_ready", "Maximum", 60,
        {"ClusterName": "mlops-dev", "Namespace": "mlflow", "PodName": "mlflow"},
    )  # fmt: skip
    assert (spec.threshold, spec.comparison, spec.missing) == (1, "LessThanThreshold", "breaching")


def test_log_derived_alarms_read_the_platform_namespace() -> None:
    failures = alarms.airflow_alarms("MLOps/dev")
    assert [(a.metric.namespace, a.metric.metric) for a in failures if a.metric] == [
        ("MLOps/dev", "AirflowTaskFailures"),
        ("MLOps/dev", "AirflowDagRunFailures"),
    ]
    error_rate, latency = alarms.kserve_alarms("MLOps/dev", T)
    assert error_rate.expression == "IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)"
    assert [m.metric for m in error_rate.inputs] == ["KServeRequests", "KServeServerErrors"]
    assert latency.expression == "IF(requests >= 20, 100 * FILL(slow, 0) / requests, 0)"
    assert [m.metric for m in latency.inputs] == ["KServeRequests", "KServeSlowPredictions"]
    assert (error_rate.threshold, latency.threshold) == (5, 10)


def test_ingestion_alarm_treats_silence_as_the_failure() -> None:
    spec = alarms.ingestion_alarm("/aws/containerinsights/mlops-dev/application", "application")
    assert spec.metric == MetricStat(
        "m1",
        "AWS/Logs",
        "IncomingLogEvents",
        "Sum",
        300,
        {"LogGroupName": "/aws/containerinsights/mlops-dev/application"},
    )
    assert (spec.missing, spec.comparison, spec.threshold) == ("breaching", "LessThanThreshold", 1)


def test_spec_invariants() -> None:
    metric = MetricStat("m1", "AWS/RDS", "CPUUtilization", "Average", 300)
    with pytest.raises(ValueError, match="exactly one of metric and expression"):
        AlarmSpec("x", "rds-cpu", "s", 1, "GreaterThanThreshold", 1, 1, "missing")
    with pytest.raises(ValueError, match=r"datapoints 3 not in 1\.\.2"):
        AlarmSpec("x", "rds-cpu", "s", 1, "GreaterThanThreshold", 2, 3, "missing", metric=metric)
    with pytest.raises(ValueError, match="lowercase words"):
        AlarmSpec("Bad_Key", "rds-cpu", "s", 1, "GreaterThanThreshold", 1, 1, "missing", metric=metric)
    spec = AlarmSpec("x", "rds-cpu", "s", 1, "GreaterThanThreshold", 1, 1, "missing", metric=metric)
    with pytest.raises(ValueError, match="two alarms share the key 'x'"):
        alarms.unique([spec, spec])


def every_spec() -> list[AlarmSpec]:
    db = DatabaseTarget(identifier="dev-tracking-db", instance_class="db.t4g.medium", allocated_storage_gib=20)
    workload = WorkloadTarget(name="mlflow", namespace="mlflow", deployment="mlflow")
    return [
        *alarms.database_alarms(db, T),
        alarms.warehouse_alarm("dev-warehouse", 64, T),
        *alarms.cluster_alarms("mlops-dev"),
        alarms.workload_alarm("mlops-dev", workload),
        *alarms.airflow_alarms("MLOps/dev"),
        *alarms.kserve_alarms("MLOps/dev", T),
        alarms.ingestion_alarm("/aws/eks/mlops-dev/cluster", "control-plane"),
    ]


def test_every_alarm_has_a_runbook_entry_in_docs_operations() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', text))
    runbooks = {spec.runbook for spec in every_spec()}
    assert runbooks <= anchors, sorted(runbooks - anchors)
    # Each entry says what it means, what to check first and how to fix it.
    for runbook in runbooks:
        entry = text.split(f'<a id="{runbook}"></a>', 1)[1].split('<a id="', 1)[0]
        for part in ("**Means**", "**Check first**", "**Fix**"):
            assert part in entry, (runbook, part)
