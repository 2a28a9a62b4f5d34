"""The failure callback end to end against moto: batch in S3 -> validation fails -> alert on SNS -> SQS."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pipeline_alerts.alerts import (
    ALERT_TOPIC_ENV,
    EVENT_TASK_FAILED,
    EVENT_VALIDATION_FAILED,
    SUBJECT_MAX,
    TaskFailure,
    build_alert,
    failure_from_context,
    on_failure_alert,
    regional_endpoint,
    sns_client,
    subject_line,
)
from pipeline_alerts.lake import BatchTooLarge, promote_batch, read_csv_batch
from pipeline_alerts.validation import ValidationFailed, validate_csv
from pipeline_alerts_testkit import FakeTaskInstance, fixture_text, load_dag_module, task_context

DAG = load_dag_module()


class AirflowFailException(Exception):
    """Stand-in for ``airflow.exceptions.AirflowFailException`` (Airflow is not installed here)."""


@pytest.fixture(scope="module")
def world(aws_env: str) -> Iterator[dict[str, Any]]:
    """moto, once per module: a raw and a curated bucket, the alert topic and an SQS queue subscribed to it."""
    with mock_aws():
        region = aws_env
        s3 = boto3.client("s3", region_name=region)
        for bucket in ("mlops-dev-raw", "mlops-dev-curated"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        sns = boto3.client("sns", region_name=region)
        topic_arn = sns.create_topic(Name="mlops-dev-pipeline-alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=region)
        queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        yield {
            "region": region,
            "s3": s3,
            "sqs": sqs,
            "sns": sns_client(region),  # the callback's own client (regional endpoint)
            "queue_url": queue_url,
            "topic_arn": topic_arn,
        }


@pytest.fixture
def aws(world: dict[str, Any]) -> dict[str, Any]:
    """The moto world with an empty inbox."""
    received(world)
    return world


def received(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message in the inbox (SNS envelopes), deleted once read."""
    sqs, url = aws["sqs"], aws["queue_url"]
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    return bodies


def fail_validation(aws: dict[str, Any], fixture: str) -> AirflowFailException:
    """What the DAG's validate_batch does, minus Airflow: read from the raw zone, validate, raise."""
    key = f"orders/2026-12-07/{fixture}"
    aws["s3"].put_object(Bucket="mlops-dev-raw", Key=key, Body=fixture_text(fixture).encode())
    bucket, key = DAG.resolve_batch({"key": key}, {DAG.RAW_BUCKET_ENV: "mlops-dev-raw"})
    report = validate_csv(read_csv_batch(aws["s3"], bucket, key), DAG.ORDERS_SCHEMA, source=f"s3://{bucket}/{key}")
    assert not report.ok
    try:
        failure = ValidationFailed(report)
        raise AirflowFailException(str(failure)) from failure
    except AirflowFailException as error:
        return error


def test_validation_failure_is_published_with_the_failed_checks(aws: dict[str, Any]) -> None:
    error = fail_validation(aws, "orders_nulls.csv")
    environ = {ALERT_TOPIC_ENV: aws["topic_arn"], "MLOPS_ENVIRONMENT": "dev"}

    message_id = on_failure_alert(task_context(error), environ=environ)

    [envelope] = received(aws)
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == aws["topic_arn"]
    assert envelope["Subject"] == "[dev] Airflow validation failed: validated_ingest.validate_batch"
    attributes = {name: item["Value"] for name, item in envelope["MessageAttributes"].items()}
    assert attributes == {
        "event_type": EVENT_VALIDATION_FAILED,
        "dag_id": "validated_ingest",
        "task_id": "validate_batch",
        "environment": "dev",
    }
    # SQS gets the "default" rendering: a chat-applications custom notification that machines can read too.
    body = json.loads(envelope["Message"])
    assert (body["version"], body["source"], body["content"]["textType"]) == (
        "1.0",
        "custom",
        "client-markdown",
    )
    assert body["metadata"]["eventType"] == EVENT_VALIDATION_FAILED
    assert body["metadata"]["threadId"] == "validated_ingest/manual__2026-12-07T10:00:00+00:00"
    source = "s3://mlops-dev-raw/orders/2026-12-07/orders_nulls.csv"
    assert body["metadata"]["relatedResources"] == [source]
    ti = FakeTaskInstance()
    assert body["metadata"]["additionalContext"] == {
        "dag_id": "validated_ingest",
        "task_id": "validate_batch",
        "run_id": ti.run_id,
        "try_number": "1",
        "map_index": "",
        "log_url": ti.log_url,
        "reason": f"{source}: 2 of 16 checks failed (4 rows): not_null:customer_id, not_null:order_ts",
        "source": source,
        "failed_checks": "not_null:customer_id, not_null:order_ts",
        "callback_in_task_process": "true",
    }
    description = body["content"]["description"]
    assert "`not_null:customer_id: 2 rows missing (lines 3, 4)`" in description
    assert "`not_null:order_ts: 1 row missing (lines 5)`" in description
    assert f"Task log: {ti.log_url}" in description
    assert len(body["content"]["title"]) <= SUBJECT_MAX


def test_email_rendering_is_plain_text_with_every_field(aws: dict[str, Any]) -> None:
    error = fail_validation(aws, "orders_out_of_range.csv")
    alert = build_alert(failure_from_context(task_context(error), environ={}))
    kwargs = alert.publish_kwargs(aws["topic_arn"])
    assert kwargs["MessageStructure"] == "json"
    email = json.loads(kwargs["Message"])["email"]
    ti = FakeTaskInstance()
    for expected in (
        "DAG:      validated_ingest",
        "Task:     validate_batch",
        f"Run:      {ti.run_id}",
        "Try:      1",
        f"Log:      {ti.log_url}",
        "Failed checks (2):",
        "  - range:quantity: 2 rows outside [1, 1000] (lines 3, 5)",
        "  - range:amount: 2 rows outside [0.0, 100000.0] (lines 4, 5)",
    ):
        assert expected in email.splitlines()


def test_any_other_failure_is_published_as_a_task_failure(aws: dict[str, Any]) -> None:
    error = ConnectionError("could not connect to endpoint")
    on_failure_alert(task_context(error), client=aws["sns"], environ={ALERT_TOPIC_ENV: aws["topic_arn"]})
    [envelope] = received(aws)
    assert envelope["Subject"] == "Airflow task failed: validated_ingest.validate_batch"
    body = json.loads(envelope["Message"])
    assert body["metadata"]["eventType"] == EVENT_TASK_FAILED
    assert body["metadata"]["additionalContext"]["reason"] == "ConnectionError: could not connect to endpoint"


def test_callback_run_by_the_dag_processor_still_alerts(aws: dict[str, Any]) -> None:
    """Pod killed / heartbeat timeout: no exception and no log URL in the context (Airflow 3.0)."""
    context = task_context(None)
    context["ti"].log_url = None
    environ = {ALERT_TOPIC_ENV: aws["topic_arn"], "AIRFLOW__API__BASE_URL": "https://airflow.dev.internal"}
    on_failure_alert(context, client=aws["sns"], environ=environ)
    [envelope] = received(aws)
    extra = json.loads(envelope["Message"])["metadata"]["additionalContext"]
    assert extra["callback_in_task_process"] == "false"
    assert "outside its own process" in extra["reason"]
    assert extra["log_url"] == (
        "https://airflow.dev.internal/dags/validated_ingest/runs/"
        "manual__2026-12-07T10%3A00%3A00%2B00%3A00/tasks/validate_batch?try_number=1"
    )


def test_without_a_topic_nothing_is_published(aws: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="pipeline_alerts.alerts"):
        assert on_failure_alert(task_context(RuntimeError("x")), environ={}) is None
    assert ALERT_TOPIC_ENV in caplog.text
    assert received(aws) == []


def test_client_uses_the_regional_endpoint(aws_env: str) -> None:
    client = sns_client(aws_env)
    assert client.meta.endpoint_url == "https://sns.eu-west-1.amazonaws.com"
    assert client.meta.region_name == "eu-west-1"
    assert regional_endpoint("cn-north-1") == "https://sns.cn-north-1.amazonaws.com.cn"
    with pytest.raises(ValueError):
        regional_endpoint("https://evil.example.com/#")


def test_a_malformed_topic_arn_is_refused(aws: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not an SNS topic ARN"):
        on_failure_alert(task_context(RuntimeError("x")), environ={ALERT_TOPIC_ENV: "alerts"})


def test_subject_fits_sns_limits() -> None:
    failure = TaskFailure(dag_id="d" * 250, task_id="ingest_\u00e9t\u00e9\nbatch", run_id="r")
    subject = subject_line(failure, "prod")
    assert len(subject) == SUBJECT_MAX and subject.endswith("...")
    assert subject.isascii() and subject.isprintable()
    short = subject_line(TaskFailure(dag_id="dag", task_id="t\u00e9\tx", run_id="r"))
    assert short == "Airflow task failed: dag.t? x"


def test_lake_reads_and_promotes_with_moto(aws: dict[str, Any]) -> None:
    aws["s3"].put_object(Bucket="mlops-dev-raw", Key="orders/ok.csv", Body=b"\xef\xbb\xbf" + b"order_id\no-1\n")
    assert read_csv_batch(aws["s3"], "mlops-dev-raw", "orders/ok.csv") == "order_id\no-1\n"
    with pytest.raises(BatchTooLarge):
        read_csv_batch(aws["s3"], "mlops-dev-raw", "orders/ok.csv", max_bytes=4)
    with pytest.raises(ValueError, match="not an object key"):
        read_csv_batch(aws["s3"], "mlops-dev-raw", "s3://mlops-dev-raw/orders/ok.csv")
    uri = promote_batch(aws["s3"], "mlops-dev-raw", "orders/ok.csv", "mlops-dev-curated")
    assert uri == "s3://mlops-dev-curated/orders/ok.csv"
    assert aws["s3"].get_object(Bucket="mlops-dev-curated", Key="orders/ok.csv")["Body"].read().endswith(b"o-1\n")
