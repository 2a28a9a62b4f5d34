"""Metrics made from logs: CloudWatch Logs metric filters on the Container Insights application log group.

Fluent Bit (the CloudWatch add-on, chart 4.10.3 ``application-log.conf``) ships every container's output to
``/aws/containerinsights/<cluster>/application`` as one JSON event per line: ``log`` holds the line,
``kubernetes.namespace_name`` / ``kubernetes.container_name`` / ``kubernetes.pod_name`` where it came from.

Airflow (3.0.6): the scheduler logs one line per finished task instance and per finished DAG run
(``airflow/jobs/scheduler_job_runner.py``: "TaskInstance Finished: dag_id=..., state=%s, executor=%s, ...";
``airflow/models/dagrun.py``: "DagRun Finished: dag_id=..., state=%s, run_type=%s, ..."), with the state as its
plain value (``TaskInstanceState.__str__``). ``state=failed`` there is a final failure (a try that will be
retried logs ``up_for_retry``). These lines are the log equivalent of the StatsD counters ``ti_failures`` and
``dagrun.failed`` without a StatsD listener on the cluster. The patterns match the literal phrases anywhere in
the event (filter-pattern term matching), so they need no regular expression.

KServe (0.15.2 Python model servers: sklearn, xgboost, lightgbm, huggingface, custom ``kserve.Model``): the
container ``kserve-container`` writes an access line per request to stdout (``kserve/logging.py``:
``... uvicorn.access INFO: <client> <pid> - "POST /v1/models/<m>:predict HTTP/1.1" 500``) and, with
``--enable_latency_logging`` (default true), a ``kserve.trace`` line per inference with ``predict_ms: <float>``
(``kserve/model.py``). In RawDeployment mode there is no queue-proxy, mesh or load balancer producing request
metrics, so these lines are the only request signal short of scraping each server's Prometheus endpoint.
Other runtimes (Triton, TorchServe) log differently and are not counted.

Regular expressions use only what CloudWatch Logs accepts in filter patterns (``%...%``: letters, digits,
``: _ # = @ / ; , -`` and the operators ``^ $ ? [ ] { } | \\ * + .``, no parentheses, no spaces: a space is
matched with ``.``), at most two per pattern and five regex patterns per log group
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KSERVE_CONTAINER = "kserve-container"
"""Container name KServe gives the model server in predictor (and transformer) pods."""
AIRFLOW_SCHEDULER_CONTAINER = "scheduler"
"""Container name of the Airflow chart's scheduler."""

REGEX_ALLOWED = re.compile(r"^[A-Za-z0-9:_#=@/;,\-\^$?\[\]{}|\\*+.]+$")
"""The characters CloudWatch Logs accepts inside a ``%regex%`` filter pattern."""
MAX_REGEX_PATTERNS_PER_LOG_GROUP = 5


@dataclass(frozen=True)
class MetricFilterSpec:
    """One metric filter: count matching events as ``metric`` (value 1 per event, 0 when none match)."""

    key: str
    """Stable id, part of the resource and filter names."""
    metric: str
    """Metric name in the platform's namespace."""
    pattern: str
    """The filter pattern, as CloudWatch Logs takes it."""
    regex: tuple[str, ...] = ()
    """The ``%...%`` expressions inside ``pattern`` (checked against the allowed characters)."""


def metric_namespace(environment: str) -> str:
    """The custom metric namespace of one environment's log-derived metrics."""
    return f"MLOps/{environment}"


def airflow_filters() -> list[MetricFilterSpec]:
    """Task instances and DAG runs that ended ``failed`` (scheduler log lines, term matching)."""
    return [
        MetricFilterSpec(
            key="airflow-task-failures",
            metric="AirflowTaskFailures",
            # ", state=failed, executor=" : the task instance's state; executor_state=failed alone does not match.
            pattern='"TaskInstance Finished" ", state=failed, executor="',
        ),
        MetricFilterSpec(
            key="airflow-dagrun-failures",
            metric="AirflowDagRunFailures",
            pattern='"DagRun Finished" ", state=failed, run_type="',
        ),
    ]


def kserve_filters(namespace: str, slow_ms: int) -> list[MetricFilterSpec]:
    """Prediction requests, those answered 5xx, and those whose model time reached ``slow_ms``."""
    scope = f'$.kubernetes.namespace_name = "{namespace}" && $.kubernetes.container_name = "{KSERVE_CONTAINER}"'
    requests = _predict_access("[1-5][0-9]{2}")
    errors = _predict_access("5[0-9]{2}")
    slow = "|".join(f"predict_ms:.{alternative}" for alternative in at_least(slow_ms))
    return [
        MetricFilterSpec("kserve-requests", "KServeRequests", f"{{ {scope} && $.log = %{requests}% }}", (requests,)),
        MetricFilterSpec("kserve-server-errors", "KServeServerErrors", f"{{ {scope} && $.log = %{errors}% }}", (errors,)),
        MetricFilterSpec("kserve-slow-predictions", "KServeSlowPredictions", f"{{ {scope} && $.log = %{slow}% }}", (slow,)),
    ]  # fmt: skip


def _predict_access(status: str) -> str:
    """Access lines of the v1 (``:predict``) and v2 (``/infer``) inference routes with a ``status`` code."""
    model = "[A-Za-z0-9_.-]+"
    return (
        f"POST./v1/models/{model}:predict.HTTP/1.1.{{2}}{status}|POST./v2/models/{model}/infer.HTTP/1.1.{{2}}{status}"
    )


def at_least(threshold: int) -> list[str]:
    """Regex alternatives (no groups) matching a decimal whose integer part is >= ``threshold``.

    Each alternative ends with ``\\.``: KServe prints latencies as Python floats (``12.5``, ``1500.0``).
    """
    if threshold < 1:
        raise ValueError(f"threshold {threshold} must be a positive integer")
    digits = str(threshold)
    width = len(digits)
    alternatives = []
    if width < 9:  # longer integer parts (up to 9 digits, far beyond any request)
        alternatives.append(f"[1-9][0-9]{{{width},8}}\\.")
    alternatives.append(f"{digits}\\.")  # the threshold itself
    for i, digit in enumerate(digits):
        if digit == "9":
            continue
        rest = width - i - 1
        higher = f"[{int(digit) + 1}-9]" if int(digit) < 8 else "9"
        tail = f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]" if rest == 1 else ""
        alternatives.append(f"{digits[:i]}{higher}{tail}\\.")
    return alternatives


def regex_problems(expression: str) -> list[str]:
    """What CloudWatch Logs would reject in a filter-pattern regex (empty when acceptable)."""
    problems = []
    if not expression:
        problems.append("empty expression")
    elif not REGEX_ALLOWED.match(expression):
        bad = sorted({c for c in expression if not REGEX_ALLOWED.match(c)})
        problems.append(f"characters not allowed in a filter-pattern regex: {bad}")
    return problems
