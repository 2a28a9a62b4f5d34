"""Alert on a failed Airflow task: an ``on_failure_callback`` that publishes to an SNS topic.

Flow: the task raises (a :class:`~pipeline_alerts.validation.ValidationFailed` wrapped in Airflow's
``AirflowFailException``) -> Airflow runs the task's ``on_failure_callback`` -> :func:`on_failure_alert`
reads only whitelisted fields of the context (dag_id, task_id, run_id, try number, map index, log URL, the
failed checks), removes anything that equals a secret-looking context value, and publishes one message
through the *regional* SNS endpoint, ``https://sns.<region>.amazonaws.com``: with the VPC interface endpoint
``sns`` and its private DNS on, that name resolves to the endpoint's addresses inside the VPC.

Where the callback runs (Airflow 3.0, task SDK 1.0): normally in the task's own process on the worker, with
``context["exception"]`` set; when the task dies outside its process (pod killed, heartbeat timeout,
executor state mismatch) the scheduler asks the DAG processor to run it, without an exception and without a
log URL. Both cases publish; the message says which.

One message, two renderings (``MessageStructure="json"``): e-mail subscriptions get plain text with the
subject; everything else (SQS, Lambda, HTTPS, and Amazon Q Developer in chat applications, formerly AWS
Chatbot) gets a JSON document in the chat applications' custom-notification format (version 1.0, source
custom), whose ``metadata.additionalContext`` also carries every field for machines.

boto3 and Airflow are imported lazily, inside functions: building messages needs neither.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from pipeline_alerts.validation import CheckResult, ValidationReport

log = logging.getLogger(__name__)

ALERT_TOPIC_ENV = "MLOPS_ALERT_TOPIC_ARN"
"""Environment variable with the alert topic's ARN (set by the platform on Airflow's pods)."""
ALERT_TOPIC_VARIABLE = "mlops_alert_topic_arn"
"""Airflow Variable consulted when the environment variable is not set."""
ENVIRONMENT_ENV = "MLOPS_ENVIRONMENT"
"""Optional: the platform environment (dev, prod...) shown in the subject."""

SUBJECT_MAX = 99
"""SNS Publish documents subjects as UTF-8 "with no line breaks or control characters, and less than 100
characters long" (moto, getmoto/moto#1503, accepts 100); subjects here are printable ASCII, at most 99."""
MAX_LISTED_CHECKS = 20
"""Failed checks listed in a message (the count is always complete)."""
MAX_REASON_CHARS = 500
MAX_MESSAGE_BYTES = 256 * 1024
"""SNS message size limit (the whole ``MessageStructure`` JSON)."""

EVENT_VALIDATION_FAILED = "pipeline.validation_failed"
EVENT_TASK_FAILED = "pipeline.task_failed"

SENSITIVE_KEY_PARTS = (
    "access_token",
    "api_key",
    "apikey",
    "authorization",
    "credential",
    "passphrase",
    "passwd",
    "password",
    "private_key",
    "secret",
    "token",
    "keyfile_dict",
    "service_account",
)
"""A context key containing one of these (case-insensitive) holds a secret. The list is Airflow's
``DEFAULT_SENSITIVE_FIELDS`` (task SDK secrets masker) plus ``credential``."""
MIN_SECRET_CHARS = 4
"""Shorter values are not redacted (they would blank out ordinary words)."""
REDACTED = "***"

_TOPIC_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_MAX_WALK_DEPTH = 6


@dataclass(frozen=True)
class TaskFailure:
    """What an alert says about one failed task instance: whitelisted, secret-free fields only."""

    dag_id: str
    task_id: str
    run_id: str
    try_number: int | None = None
    map_index: int | None = None
    log_url: str | None = None
    reason: str = ""
    """One line: the report's summary, the exception's type and message, or why there is no exception."""
    in_task_process: bool = True
    """False when the DAG processor ran the callback (the task died outside its own process)."""
    source: str | None = None
    rows: int | None = None
    failed_checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def event_type(self) -> str:
        return EVENT_VALIDATION_FAILED if self.failed_checks else EVENT_TASK_FAILED


@dataclass(frozen=True)
class SnsAlert:
    """The arguments of one ``sns:Publish`` call."""

    subject: str
    message: str
    """``MessageStructure="json"`` document: ``default`` (chat / machines) and ``email`` (plain text)."""
    attributes: dict[str, dict[str, str]]

    def publish_kwargs(self, topic_arn: str) -> dict[str, Any]:
        return {
            "TopicArn": topic_arn,
            "Subject": self.subject,
            "Message": self.message,
            "MessageStructure": "json",
            "MessageAttributes": self.attributes,
        }


# --- reading the context ---------------------------------------------------------------------------------


def find_report(error: BaseException | None) -> ValidationReport | None:
    """The validation report carried by ``error`` or by an exception it was raised from."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        report = getattr(error, "report", None)
        if isinstance(report, ValidationReport):
            return report
        error = error.__cause__ or error.__context__
    return None


def secret_values(context: Mapping[str, Any]) -> set[str]:
    """String values found under secret-looking keys of the context's plain data.

    Walked: the context itself, plain ``dict``/``list``/``tuple``/``set`` values, the ``params`` mapping and
    the trigger conf (``dag_run.conf``). Nothing else: the task SDK's ``conn``, ``var``, ``macros``,
    ``inlet_events`` and ``triggering_asset_events`` are lazy accessors that fetch connections, variables or
    asset events from the API server when read or iterated, so the alert never touches them.
    """
    found: set[str] = set()

    def walk(value: Any, sensitive: bool, depth: int) -> None:
        if depth > _MAX_WALK_DEPTH:
            return
        if isinstance(value, str):
            if sensitive and len(value) >= MIN_SECRET_CHARS:
                found.add(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, sensitive or is_sensitive_key(str(key)), depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item, sensitive, depth + 1)

    for key, value in context.items():
        if key == "params" and isinstance(value, Mapping):
            value = dict(value.items())  # ParamsDict: a Mapping of plain param values
        walk(value, is_sensitive_key(str(key)), 1)
    conf = getattr(context.get("dag_run"), "conf", None)
    if isinstance(conf, dict):
        walk(conf, False, 1)
    return found


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SENSITIVE_KEY_PARTS)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of a secret (longest first) replaced by ``***``."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def failure_from_context(context: Mapping[str, Any], *, environ: Mapping[str, str] | None = None) -> TaskFailure:
    """The whitelisted facts of a failure callback's context, with secret-looking values redacted."""
    env = os.environ if environ is None else environ
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    dag_id = _text(getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None) or "unknown-dag")
    task_id = _text(getattr(ti, "task_id", None) or "unknown-task")
    run_id = _text(context.get("run_id") or getattr(ti, "run_id", None) or "unknown-run")
    try_number = _int(getattr(ti, "try_number", None))
    map_index = _int(getattr(ti, "map_index", None))
    log_url = _text(getattr(ti, "log_url", None) or "") or fallback_log_url(
        env.get("AIRFLOW__API__BASE_URL") or _airflow_base_url(), dag_id, run_id, task_id, map_index, try_number
    )

    error = context.get("exception")
    error = error if isinstance(error, BaseException) else None
    report = find_report(error)
    in_task_process = error is not None
    if report is not None:
        reason = report.summary()
    elif error is not None:
        reason = f"{type(error).__name__}: {error}"
    else:
        reason = _text(context.get("reason") or "") or (
            "the task failed outside its own process (pod killed or evicted, heartbeat timeout, or state "
            "changed by the executor); the DAG processor ran this callback"
        )

    secrets = secret_values(context)
    failure = TaskFailure(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        try_number=try_number,
        map_index=map_index if map_index is not None and map_index >= 0 else None,
        log_url=log_url,
        reason=_one_line(_airflow_redacted(reason), MAX_REASON_CHARS),
        in_task_process=in_task_process,
        source=report.source if report else None,
        rows=report.rows if report else None,
        failed_checks=report.failed if report else (),
    )
    return redact_failure(failure, secrets)


def redact_failure(failure: TaskFailure, secrets: Iterable[str]) -> TaskFailure:
    """Every free-text field of ``failure`` with ``secrets`` removed."""
    values = set(secrets)
    if not values:
        return failure
    checks = tuple(
        replace(c, detail=redact(c.detail, values), column=redact(c.column, values) if c.column else None)
        for c in failure.failed_checks
    )
    return replace(
        failure,
        dag_id=redact(failure.dag_id, values),
        task_id=redact(failure.task_id, values),
        run_id=redact(failure.run_id, values),
        log_url=redact(failure.log_url, values) if failure.log_url else None,
        reason=redact(failure.reason, values),
        source=redact(failure.source, values) if failure.source else None,
        failed_checks=checks,
    )


def fallback_log_url(
    base_url: str | None, dag_id: str, run_id: str, task_id: str, map_index: int | None, try_number: int | None
) -> str | None:
    """The task's log page, built as the task SDK builds ``ti.log_url`` (``[api] base_url``), for callbacks
    the DAG processor runs (their task instance has no log URL)."""
    if not base_url:
        return None
    mapped = f"/mapped/{map_index}" if map_index is not None and map_index >= 0 else ""
    attempt = f"?try_number={try_number}" if try_number else ""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}dags/{quote(dag_id)}/runs/{quote(run_id)}/tasks/{quote(task_id)}{mapped}{attempt}"


# --- building the message ----------------------------------------------------------------------------------


def subject_line(failure: TaskFailure, environment: str | None = None) -> str:
    """At most :data:`SUBJECT_MAX` printable ASCII characters, starting with ``[`` or a letter."""
    what = "validation failed" if failure.failed_checks else "task failed"
    prefix = f"[{environment}] " if environment else ""
    text = f"{prefix}Airflow {what}: {failure.dag_id}.{failure.task_id}"
    text = re.sub(r"[^\x20-\x7e]", "?", re.sub(r"\s+", " ", text)).strip()
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3].rstrip() + "..."


def check_lines(failure: TaskFailure) -> list[str]:
    lines = []
    for check in failure.failed_checks[:MAX_LISTED_CHECKS]:
        rows = f" (lines {', '.join(map(str, check.sample_rows))})" if check.sample_rows else ""
        lines.append(f"{check.name}: {check.detail}{rows}")
    hidden = len(failure.failed_checks) - MAX_LISTED_CHECKS
    if hidden > 0:
        lines.append(f"... and {hidden} more failed checks")
    return lines


def email_text(failure: TaskFailure, environment: str | None = None) -> str:
    lines = [
        f"Airflow task {failure.dag_id}.{failure.task_id} failed" + (f" in {environment}" if environment else "") + ".",
        "",
        f"DAG:      {failure.dag_id}",
        f"Task:     {failure.task_id}" + (f" [map index {failure.map_index}]" if failure.map_index is not None else ""),
        f"Run:      {failure.run_id}",
        f"Try:      {failure.try_number if failure.try_number is not None else 'unknown'}",
        f"Log:      {failure.log_url or 'not available (set [api] base_url)'}",
        f"Reason:   {failure.reason}",
    ]
    if failure.source:
        lines.append(f"Batch:    {failure.source} ({failure.rows} rows)")
    if failure.failed_checks:
        lines += ["", f"Failed checks ({len(failure.failed_checks)}):"] + [
            f"  - {line}" for line in check_lines(failure)
        ]
    lines += ["", "Runbook: docs/operations-pipeline-alerts.md, 'Pipeline validation failed'."]
    return "\n".join(lines)


def chat_notification(failure: TaskFailure, subject: str) -> dict[str, Any]:
    """Custom notification of Amazon Q Developer in chat applications (version 1.0, source custom)."""
    description = [f"*Run* `{failure.run_id}`, try {failure.try_number if failure.try_number is not None else '?'}"]
    if failure.source:
        description.append(f"*Batch* `{failure.source}` ({failure.rows} rows)")
    if failure.failed_checks:
        description += [f"• `{line}`" for line in check_lines(failure)]
    else:
        description.append(f"*Reason* {failure.reason}")
    if failure.log_url:
        description.append(f"Task log: {failure.log_url}")
    context = {
        "dag_id": failure.dag_id,
        "task_id": failure.task_id,
        "run_id": failure.run_id,
        "try_number": "" if failure.try_number is None else str(failure.try_number),
        "map_index": "" if failure.map_index is None else str(failure.map_index),
        "log_url": failure.log_url or "",
        "reason": failure.reason,
        "source": failure.source or "",
        "failed_checks": ", ".join(c.name for c in failure.failed_checks),
        "callback_in_task_process": str(failure.in_task_process).lower(),
    }
    return {
        "version": "1.0",
        "source": "custom",
        "id": _alert_id(failure),
        "content": {
            "textType": "client-markdown",
            "title": subject,
            "description": "\n".join(description),
            "nextSteps": [
                "Open the task log and the failed checks",
                "Fix the batch in the raw zone or the producer, then clear the task",
            ],
            "keywords": [failure.dag_id, failure.event_type],
        },
        "metadata": {
            "threadId": f"{failure.dag_id}/{failure.run_id}",
            "summary": subject,
            "eventType": failure.event_type,
            "relatedResources": [failure.source] if failure.source else [],
            "additionalContext": context,
        },
    }


def build_alert(failure: TaskFailure, *, environment: str | None = None) -> SnsAlert:
    """The SNS message of a failure: subject, per-protocol bodies, filterable attributes."""
    subject = subject_line(failure, environment)
    body = {
        "default": json.dumps(chat_notification(failure, subject), sort_keys=True),
        "email": email_text(failure, environment),
    }
    message = json.dumps(body, sort_keys=True)
    if len(message.encode()) > MAX_MESSAGE_BYTES:  # only with absurdly long fields: keep the essentials
        if len(failure.failed_checks) <= 1 and len(failure.reason) <= 100:
            raise ValueError(f"alert for {failure.dag_id}.{failure.task_id} exceeds {MAX_MESSAGE_BYTES} bytes")
        shorter = replace(failure, failed_checks=failure.failed_checks[:1], reason=failure.reason[:100])
        return build_alert(shorter, environment=environment)
    attributes = {
        name: {"DataType": "String", "StringValue": value[:256]}
        for name, value in (
            ("event_type", failure.event_type),
            ("dag_id", failure.dag_id),
            ("task_id", failure.task_id),
            ("environment", environment or ""),
        )
        if value
    }
    return SnsAlert(subject=subject, message=message, attributes=attributes)


# --- publishing --------------------------------------------------------------------------------------------


def parse_topic_arn(topic_arn: str) -> tuple[str, str, str, str]:
    """(partition, region, account, name) of a standard SNS topic ARN; ValueError otherwise."""
    match = _TOPIC_ARN.match(topic_arn)
    if not match:
        raise ValueError(f"{topic_arn!r} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)")
    partition, region, account, name = match.groups()
    return partition, region, account, name


def regional_endpoint(region: str) -> str:
    """SNS's regional endpoint; with the ``sns`` interface endpoint's private DNS on, it resolves in the VPC."""
    if not _REGION.match(region):
        raise ValueError(f"{region!r} is not an AWS region name")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://sns.{region}.{suffix}"


def sns_client(region: str, session: Any = None) -> Any:
    """A boto3 SNS client pinned to the regional endpoint (never FIPS or dual-stack names the private DNS of
    the interface endpoint does not cover), with short timeouts so a callback cannot hang a worker."""
    import boto3  # lazy: building messages does not need boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    factory = session or boto3.session.Session()
    return factory.client("sns", region_name=region, endpoint_url=regional_endpoint(region), config=config)


def publish_alert(client: Any, topic_arn: str, alert: SnsAlert) -> str:
    """Publish ``alert`` to ``topic_arn``; returns the SNS message id."""
    parse_topic_arn(topic_arn)
    response = client.publish(**alert.publish_kwargs(topic_arn))
    return str(response["MessageId"])


def setting(env_name: str, variable_name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """A deployment setting: the environment variable, else the Airflow Variable (when Airflow is there)."""
    env = os.environ if environ is None else environ
    value = env.get(env_name, "").strip()
    if value:
        return value
    try:
        from airflow.sdk import Variable  # lazy: tests and tools run without Airflow
    except ImportError:
        return None
    try:
        found = Variable.get(variable_name, default=None)
    except Exception:  # no API server / supervisor to ask (e.g. outside a task)
        log.debug("Airflow Variable %s not readable", variable_name, exc_info=True)
        return None
    if found is None:
        return None
    return str(found).strip() or None


def on_failure_alert(
    context: Mapping[str, Any],
    *,
    client: Any = None,
    topic_arn: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """``on_failure_callback``: publish the failure to the alert topic; returns the SNS message id.

    The topic ARN comes from ``topic_arn``, else ``$MLOPS_ALERT_TOPIC_ARN``, else the Airflow Variable
    ``mlops_alert_topic_arn``; without one the callback logs an error and publishes nothing. A publish
    error propagates: Airflow logs it ("Failed to run task callback") and the task stays failed.
    """
    env = os.environ if environ is None else environ
    arn = topic_arn or setting(ALERT_TOPIC_ENV, ALERT_TOPIC_VARIABLE, environ=env)
    if not arn:
        log.error("no alert topic: set %s (or the Airflow Variable %s)", ALERT_TOPIC_ENV, ALERT_TOPIC_VARIABLE)
        return None
    _, region, _, _ = parse_topic_arn(arn)
    failure = failure_from_context(context, environ=env)
    alert = build_alert(failure, environment=env.get(ENVIRONMENT_ENV) or None)
    message_id = publish_alert(client if client is not None else sns_client(region), arn, alert)
    log.info(
        "published %s for %s.%s to %s (message %s)",
        failure.event_type,
        failure.dag_id,
        failure.task_id,
        arn,
        message_id,
    )
    return message_id


# --- helpers -----------------------------------------------------------------------------------------------


def _airflow_redacted(text: str) -> str:
    """``text`` through Airflow's secrets masker when it is there: it also knows the secrets of connections and
    variables this process has read (which this module never reads itself)."""
    try:
        from airflow.sdk.execution_time.secrets_masker import redact as airflow_redact
    except ImportError:
        return text
    try:
        return str(airflow_redact(text))
    except Exception:  # a masker that cannot run must not stop the alert
        return text


def _airflow_base_url() -> str | None:
    """``[api] base_url`` from Airflow's configuration, when Airflow is there and it is set."""
    try:
        from airflow.configuration import conf
    except ImportError:
        return None
    try:
        value = conf.get("api", "base_url", fallback=None)
    except Exception:
        return None
    return str(value) if value else None


def _alert_id(failure: TaskFailure) -> str:
    key = f"{failure.dag_id}|{failure.run_id}|{failure.task_id}|{failure.map_index}|{failure.try_number}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _one_line(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
