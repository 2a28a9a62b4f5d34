"""Log-derived metrics: the metric filters match the lines Airflow 3.0.6 and KServe 0.15.2 really write, as Fluent
Bit ships them, and nothing else.

CloudWatch Logs is not available here, so a small evaluator implements the subset of the filter-pattern syntax
the platform uses (quoted terms: every phrase must occur in the event; JSON patterns: ``$.a.b = "value"`` and
``$.a = %regex%`` joined with ``&&``, regex searched anywhere in the value). docs/operations.md shows how to
check the same patterns against AWS with ``aws logs test-metric-filter``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.observability import signals

# Format strings copied from the sources at the pinned versions.
TASK_FINISHED = (  # apache-airflow-core 3.0.6, airflow/jobs/scheduler_job_runner.py
    "TaskInstance Finished: dag_id=%s, task_id=%s, run_id=%s, map_index=%s, "
    "run_start_date=%s, run_end_date=%s, "
    "run_duration=%s, state=%s, executor=%s, executor_state=%s, try_number=%s, max_tries=%s, "
    "pool=%s, queue=%s, priority_weight=%d, operator=%s, queued_dttm=%s, scheduled_dttm=%s,"
    "queued_by_job_id=%s, pid=%s"
)
DAGRUN_FINISHED = (  # apache-airflow-core 3.0.6, airflow/models/dagrun.py
    "DagRun Finished: dag_id=%s, logical_date=%s, run_id=%s, "
    "run_start_date=%s, run_end_date=%s, run_duration=%s, "
    "state=%s, run_type=%s, "
    "data_interval_start=%s, data_interval_end=%s,"
)
ACCESS = '2026-12-07 10:00:00.123 uvicorn.access INFO:     10.40.3.7:51234 1 - "{request}" {status}'  # kserve 0.15.2
TRACE = (  # kserve 0.15.2 kserve/model.py with --enable_latency_logging (default true)
    "2026-12-07 10:00:00.456 1 kserve.trace requestId: 5f0c, preprocess_ms: 0.412, explain_ms: 0, "
    "predict_ms: {predict}, postprocess_ms: 0.037"
)


def event(line: str, namespace: str, container: str) -> str:
    """One application log event as Fluent Bit's cloudwatch_logs output writes it."""
    record = {
        "time": "2026-12-07T10:00:00.123456789Z",
        "stream": "stdout",
        "_p": "F",
        "log": line,
        "kubernetes": {
            "pod_name": f"{container}-7d9f8c6b5-x2x9q",
            "namespace_name": namespace,
            "container_name": container,
            "host": "ip-10-40-3-7.eu-west-1.compute.internal",
        },
    }
    return json.dumps(record)


def matches(pattern: str, raw: str) -> bool:
    """The filter-pattern subset the platform uses (see the module docstring)."""
    pattern = pattern.strip()
    if pattern.startswith("{"):
        document = json.loads(raw)
        for condition in pattern.strip("{} ").split("&&"):
            selector, _, expected = (part.strip() for part in condition.partition("="))
            value: Any = document
            for step in selector.removeprefix("$.").split("."):
                value = value.get(step) if isinstance(value, dict) else None
            if not isinstance(value, str):
                return False
            if expected.startswith("%"):
                if not re.search(expected.strip("%"), value):
                    return False
            elif value != json.loads(expected):
                return False
        return True
    return all(term in raw for term in re.findall(r'"([^"]*)"', pattern))


def task_line(state: str, executor_state: str) -> str:
    values = ("validated_ingest", "validate_batch", "manual__2026-12-07T10:00:00+00:00", -1, "2026-12-07 10:00:01",
              "2026-12-07 10:00:05", 4.0, state, "KubernetesExecutor(parallelism=32)", executor_state, 2, 1,
              "default_pool", "default", 2, "_PythonDecoratedOperator", "2026-12-07 10:00:00", "2026-12-07 09:59:59",
              1, None)  # fmt: skip
    return "[2026-12-07T10:00:05.812+0000] {scheduler_job_runner.py:879} INFO - " + TASK_FINISHED % values


def dagrun_line(state: str) -> str:
    values = ("validated_ingest", None, "manual__2026-12-07T10:00:00+00:00", "2026-12-07 10:00:00",
              "2026-12-07 10:00:06", 6.1, state, "manual", None, None)  # fmt: skip
    return "[2026-12-07T10:00:06.004+0000] {dagrun.py:1233} INFO - " + DAGRUN_FINISHED % values


AIRFLOW = {spec.metric: spec.pattern for spec in signals.airflow_filters()}
KSERVE = {spec.metric: spec.pattern for spec in signals.kserve_filters("serving", 1000)}


@pytest.mark.parametrize(
    ("state", "executor_state", "counted"),
    [("failed", "failed", True), ("up_for_retry", "failed", False), ("success", "success", False)],
)
def test_task_failures_count_final_failures_only(state: str, executor_state: str, counted: bool) -> None:
    raw = event(task_line(state, executor_state), "airflow", "scheduler")
    assert matches(AIRFLOW["AirflowTaskFailures"], raw) is counted
    assert matches(AIRFLOW["AirflowDagRunFailures"], raw) is False


@pytest.mark.parametrize(("state", "counted"), [("failed", True), ("success", False)])
def test_dag_run_failures(state: str, counted: bool) -> None:
    raw = event(dagrun_line(state), "airflow", "scheduler")
    assert matches(AIRFLOW["AirflowDagRunFailures"], raw) is counted
    assert matches(AIRFLOW["AirflowTaskFailures"], raw) is False


@pytest.mark.parametrize(
    ("request_line", "status", "counted", "error"),
    [
        ("POST /v1/models/churn:predict HTTP/1.1", "200 OK", True, False),
        ("POST /v1/models/churn:predict HTTP/1.1", "500 Internal Server Error", True, True),
        ("POST /v2/models/fraud-v2/infer HTTP/1.1", "503 Service Unavailable", True, True),
        ("POST /v1/models/churn:predict HTTP/1.1", "400 Bad Request", True, False),
        ("GET /v1/models/churn HTTP/1.1", "200 OK", False, False),  # readiness probes are not requests
        ("GET /metrics HTTP/1.1", "500 Internal Server Error", False, False),
    ],
)
def test_kserve_requests_and_server_errors(request_line: str, status: str, counted: bool, error: bool) -> None:
    raw = event(ACCESS.format(request=request_line, status=status), "serving", "kserve-container")
    assert matches(KSERVE["KServeRequests"], raw) is counted
    assert matches(KSERVE["KServeServerErrors"], raw) is error


def test_kserve_filters_ignore_other_namespaces_and_containers() -> None:
    line = ACCESS.format(request="POST /v1/models/churn:predict HTTP/1.1", status="500")
    assert not matches(KSERVE["KServeServerErrors"], event(line, "mlflow", "kserve-container"))
    assert not matches(KSERVE["KServeServerErrors"], event(line, "serving", "storage-initializer"))


@pytest.mark.parametrize(
    ("predict_ms", "slow"),
    [("1234.567", True), ("1000.0", True), ("12345.5", True), ("999.99", False), ("100.5", False),
     ("1.2e-05", False), ("0.874", False)],
)  # fmt: skip
def test_slow_predictions_at_the_threshold(predict_ms: str, slow: bool) -> None:
    raw = event(TRACE.format(predict=predict_ms), "serving", "kserve-container")
    assert matches(KSERVE["KServeSlowPredictions"], raw) is slow
    assert not matches(KSERVE["KServeRequests"], raw)


@pytest.mark.parametrize("threshold", [1, 7, 10, 99, 250, 999, 1000, 1234, 9000, 60000, 600000])
def test_at_least_matches_exactly_the_integers_from_the_threshold(threshold: int) -> None:
    expression = re.compile("^(?:" + "|".join(signals.at_least(threshold)) + ")")
    for value in [*range(0, min(threshold * 3, 20000)), threshold * 10, 10**8 + 7]:
        assert bool(expression.match(f"{value}.5")) is (value >= threshold), value


def test_at_least_refuses_non_positive_thresholds() -> None:
    with pytest.raises(ValueError, match="positive integer"):
        signals.at_least(0)


def test_every_regex_uses_only_what_cloudwatch_logs_accepts_and_fits_the_quota() -> None:
    specs = signals.kserve_filters("serving", 2500) + signals.airflow_filters()
    regex_specs = [s for s in specs if s.regex]
    assert 0 < len(regex_specs) <= signals.MAX_REGEX_PATTERNS_PER_LOG_GROUP
    for spec in regex_specs:
        assert len(spec.regex) <= 2 and len(spec.pattern) <= 1024
        for expression in spec.regex:
            assert signals.regex_problems(expression) == [], spec.key
            assert f"%{expression}%" in spec.pattern
    assert all(not s.regex and "%" not in s.pattern for s in signals.airflow_filters())


@pytest.mark.parametrize(
    ("expression", "problem"),
    [("a b", "not allowed"), ("(a|b)", "not allowed"), ("a!", "not allowed"), ("", "empty expression")],
)
def test_regex_problems_name_what_cloudwatch_would_reject(expression: str, problem: str) -> None:
    assert any(problem in p for p in signals.regex_problems(expression))


def test_metric_namespace_is_per_environment_and_not_an_aws_one() -> None:
    assert signals.metric_namespace("prod") == "MLOps/prod"
    assert not signals.metric_namespace("prod").startswith("AWS/")
