"""validated_ingest: validate a CSV batch from the lake's raw zone; alert on SNS when it fails.

Trigger with the batch's key (``{"key": "orders/2026-12-07/batch-001.csv"}``); the raw bucket comes from the
``bucket`` param, else ``$MLOPS_LAKE_RAW_BUCKET`` / Variable ``mlops_lake_raw_bucket``.

- ``validate_batch`` reads the object (IRSA role of the workers, through the S3 interface endpoint) and
  checks it against :data:`ORDERS_SCHEMA`. On a failed check it raises ``AirflowFailException`` (no retry:
  the same bytes fail the same way; a read error is retried once) from
  :class:`~pipeline_alerts.validation.ValidationFailed`, so the task fails and the report travels with the
  exception.
- Every task's ``on_failure_callback`` is :func:`~pipeline_alerts.alerts.on_failure_alert`: it publishes the
  failure, with the failed checks, to the topic in ``$MLOPS_ALERT_TOPIC_ARN`` (Variable
  ``mlops_alert_topic_arn``) through the SNS interface endpoint.
- ``promote_validated`` runs only after a passing validation and copies the batch to the curated zone
  (``$MLOPS_LAKE_CURATED_BUCKET``; skipped when unset).

Airflow 3 API (task SDK): ``airflow.sdk.dag``, ``task``, ``Param``, ``get_current_context``;
``AirflowFailException`` from ``airflow.exceptions``. The Airflow imports are guarded so that the schema and
the pure helpers import without Airflow (tests, tooling); the DAG itself is only defined under Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pipeline_alerts.alerts import on_failure_alert, setting
from pipeline_alerts.lake import promote_batch, read_csv_batch, s3_uri
from pipeline_alerts.validation import BatchSchema, ColumnSpec, ValidationFailed, validate_csv

DAG_ID = "validated_ingest"
RAW_BUCKET_ENV, RAW_BUCKET_VARIABLE = "MLOPS_LAKE_RAW_BUCKET", "mlops_lake_raw_bucket"
CURATED_BUCKET_ENV, CURATED_BUCKET_VARIABLE = "MLOPS_LAKE_CURATED_BUCKET", "mlops_lake_curated_bucket"

ORDERS_SCHEMA = BatchSchema(
    columns=(
        ColumnSpec("order_id", "str"),
        ColumnSpec("customer_id", "str"),
        ColumnSpec("order_ts", "timestamp"),
        ColumnSpec("quantity", "int", minimum=1, maximum=1_000),
        ColumnSpec("amount", "float", minimum=0.0, maximum=100_000.0),
        ColumnSpec("coupon_code", "str", nullable=True),
    ),
    min_rows=1,
    max_rows=1_000_000,
)
"""The contract of an orders batch in the raw zone."""

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ml-platform-team",
    "on_failure_callback": on_failure_alert,
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
}
"""Every task alerts when it finally fails (``on_failure_callback`` is not called for a try that will be
retried: that one calls ``on_retry_callback``)."""


def resolve_batch(params: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(bucket, key) of the batch: the ``bucket`` param, else the raw-zone setting; the ``key`` param."""
    key = str(params.get("key") or "").strip()
    if not key:
        raise ValueError("the DAG run needs a 'key' param: the batch's object key in the raw zone")
    bucket = str(params.get("bucket") or "").strip() or setting(RAW_BUCKET_ENV, RAW_BUCKET_VARIABLE, environ=environ)
    if not bucket:
        raise ValueError(f"no raw bucket: pass the 'bucket' param or set {RAW_BUCKET_ENV}")
    return bucket, key


def s3_client() -> Any:
    """S3 client of the task's IRSA role in ``$AWS_REGION`` (regional names: the interface endpoint's DNS)."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 5, "mode": "standard"})
    )


try:  # Airflow 3 task SDK; absent where only the pure parts are used
    from airflow.exceptions import AirflowFailException
    from airflow.sdk import Param, dag, get_current_context, task
except ImportError:  # pragma: no cover - exercised where Airflow is not installed
    dag = None

if dag is not None:

    @dag(
        dag_id=DAG_ID,
        schedule=None,  # triggered per batch (API, an asset event or an upstream DAG)
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=8,
        default_args=DEFAULT_ARGS,
        params={
            "key": Param(type="string", minLength=1, description="Object key of the CSV batch in the raw zone"),
            "bucket": Param("", type="string", description=f"Raw-zone bucket; empty: ${RAW_BUCKET_ENV}"),
        },
        tags=["example", "data-validation", "alerts"],
        doc_md=__doc__,
    )
    def validated_ingest() -> None:
        @task  # a read error is retried (default_args); a failed check fails at once (AirflowFailException)
        def validate_batch() -> dict[str, Any]:
            context = get_current_context()
            bucket, key = resolve_batch(context["params"])
            report = validate_csv(read_csv_batch(s3_client(), bucket, key), ORDERS_SCHEMA, source=s3_uri(bucket, key))
            if not report.ok:
                failure = ValidationFailed(report)
                raise AirflowFailException(str(failure)) from failure
            return {"bucket": bucket, "key": key, "rows": report.rows}

        @task
        def promote_validated(batch: dict[str, Any]) -> str | None:
            target = setting(CURATED_BUCKET_ENV, CURATED_BUCKET_VARIABLE, environ=os.environ)
            if not target:
                return None
            return promote_batch(s3_client(), batch["bucket"], batch["key"], target)

        promote_validated(validate_batch())

    validated_ingest()
