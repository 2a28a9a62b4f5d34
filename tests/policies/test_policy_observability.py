"""Observability rules: encrypted topics and deliveries, log groups with a retention and a key, alarms that
notify, metric filters that are watched, budgets that warn, and every database with its alarms."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, UNKNOWN, messages, mutate, reg, run, urn, violations

from policies.mlops.budgets import budget_alerts
from policies.mlops.cloudwatch import (
    alarm_notifies,
    log_group_customer_key,
    log_group_retention,
    metric_filter_alarmed,
)
from policies.mlops.rds import instance_alarms
from policies.mlops.sns import subscription_encrypted_delivery, topic_customer_key

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:mlops-dev-alerts"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
BUDGET = "aws:budgets/budget:Budget"
INSTANCE = "aws:rds/instance:Instance"

TOPIC_INPUTS: dict[str, Any] = {"name": "mlops-dev-alerts", "kmsMasterKeyId": KEY}
LOG_GROUP_INPUTS: dict[str, Any] = {"name": "/aws/containerinsights/mlops-dev/application", "retentionInDays": 30, "kmsKeyId": KEY}  # fmt: skip


def alarm(metric: str = "CPUUtilization", identifier: str = "dev-tracking-db", **extra: Any) -> dict[str, Any]:
    return {
        "name": f"mlops-dev-{identifier}-{metric}",
        "namespace": "AWS/RDS",
        "metricName": metric,
        "dimensions": {"DBInstanceIdentifier": identifier},
        "statistic": "Average",
        "period": 300,
        "evaluationPeriods": 3,
        "threshold": 80,
        "comparisonOperator": "GreaterThanThreshold",
        "alarmActions": [TOPIC_ARN],
        **extra,
    }


# --- sns-topic-customer-key ---------------------------------------------------------------------------


def test_topic_with_a_customer_key_complies() -> None:
    assert violations(topic_customer_key.RULE, reg(TOPIC, "alerts", TOPIC_INPUTS)) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DELETE, "kmsMasterKeyId is not set: messages are stored unencrypted"),
        ("", "kmsMasterKeyId is not set: messages are stored unencrypted"),
        ("alias/aws/sns", "kmsMasterKeyId is the AWS managed key 'alias/aws/sns'"),
        ("arn:aws:kms:eu-west-1:123456789012:alias/aws/sns", "AWS managed key"),
    ],
)
def test_topic_without_a_customer_key_is_reported(value: Any, expected: str) -> None:
    found = messages(topic_customer_key.RULE, reg(TOPIC, "alerts", mutate(TOPIC_INPUTS, "kmsMasterKeyId", value)))
    assert len(found) == 1 and expected in found[0]


def test_topic_key_unknown_during_preview_is_not_a_violation() -> None:
    assert (
        violations(topic_customer_key.RULE, reg(TOPIC, "alerts", mutate(TOPIC_INPUTS, "kmsMasterKeyId", UNKNOWN))) == []
    )


# --- sns-subscription-encrypted-delivery --------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "endpoint", "expected"),
    [
        ("email", "oncall@example.com", []),
        ("https", "https://hooks.example.com/alerts", []),
        ("sqs", "arn:aws:sqs:eu-west-1:123456789012:alerts", []),
        ("http", "http://hooks.example.com/alerts", ["protocol is 'http': messages are delivered unencrypted (use https)"]),
        ("https", "http://hooks.example.com/alerts", ["endpoint 'http://hooks.example.com/alerts' of an https subscription is not an https:// URL"]),
        ("https", UNKNOWN, []),
    ],
)  # fmt: skip
def test_subscription_transport(protocol: str, endpoint: str, expected: list[str]) -> None:
    inputs = {"topic": TOPIC_ARN, "protocol": protocol, "endpoint": endpoint}
    assert messages(subscription_encrypted_delivery.RULE, reg(SUBSCRIPTION, "sub", inputs)) == expected


# --- cloudwatch-log-group-retention / -customer-key ----------------------------------------------------


def test_log_group_with_retention_and_key_complies() -> None:
    group = reg(LOG_GROUP, "logs", LOG_GROUP_INPUTS)
    assert violations(log_group_retention.RULE, group) == violations(log_group_customer_key.RULE, group) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DELETE, ["retentionInDays is not set: events are kept forever"]),
        (0, ["retentionInDays 0 is not a CloudWatch retention period (0 keeps events forever)"]),
        (10, ["retentionInDays 10 is not a CloudWatch retention period (0 keeps events forever)"]),
        (UNKNOWN, []),
    ],
)
def test_log_group_retention(value: Any, expected: list[str]) -> None:
    group = reg(LOG_GROUP, "logs", mutate(LOG_GROUP_INPUTS, "retentionInDays", value))
    assert messages(log_group_retention.RULE, group) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(DELETE, ["kmsKeyId is not set: events are encrypted only with CloudWatch Logs' own key"]), (UNKNOWN, [])],
)
def test_log_group_customer_key(value: Any, expected: list[str]) -> None:
    group = reg(LOG_GROUP, "logs", mutate(LOG_GROUP_INPUTS, "kmsKeyId", value))
    assert messages(log_group_customer_key.RULE, group) == expected


# --- cloudwatch-alarm-notifies ------------------------------------------------------------------------


def test_alarm_notifying_a_topic_of_the_stack_complies() -> None:
    topic = reg(TOPIC, "alerts", TOPIC_INPUTS)
    wired = reg(ALARM, "cpu", alarm(alarmActions=[UNKNOWN]), deps={"alarmActions": [topic.urn]})
    literal = reg(ALARM, "literal", alarm())
    assert violations(alarm_notifies.RULE, topic, wired, literal) == []


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (alarm(alarmActions=[]), "alarmActions is empty: the alarm notifies nobody"),
        (mutate(alarm(), "alarmActions", DELETE), "alarmActions is empty: the alarm notifies nobody"),
        (alarm(actionsEnabled=False), "actionsEnabled is false: the alarm notifies nobody"),
        (
            alarm(alarmActions=["arn:aws:automate:eu-west-1:ec2:stop"]),
            "no alarm action is an SNS topic: the alert channel never hears of it",
        ),
    ],
)
def test_alarm_that_notifies_nobody_is_reported(inputs: dict[str, Any], expected: str) -> None:
    assert messages(alarm_notifies.RULE, reg(ALARM, "cpu", inputs)) == [expected]


# --- cloudwatch-metric-filter-alarmed (advisory) ------------------------------------------------------


def metric_filter(name: str = "AirflowTaskFailures") -> dict[str, Any]:
    return {
        "name": "airflow-task-failures",
        "logGroupName": "/aws/containerinsights/mlops-dev/application",
        "pattern": '"TaskInstance Finished"',
        "metricTransformation": {"name": name, "namespace": "MLOps/dev", "value": "1"},
    }


def test_filter_watched_by_a_plain_or_a_metric_math_alarm_complies() -> None:
    plain = alarm(metric="AirflowTaskFailures", namespace="MLOps/dev")
    math = mutate(alarm(), "metricName", DELETE)
    math["metricQueries"] = [
        {"id": "requests", "metric": {"namespace": "MLOps/dev", "metricName": "KServeRequests", "stat": "Sum", "period": 300}},
        {"id": "e1", "expression": "requests", "returnData": True},
    ]  # fmt: skip
    resources = (
        reg(FILTER, "tasks", metric_filter()),
        reg(FILTER, "requests", metric_filter("KServeRequests")),
        reg(ALARM, "tasks-alarm", plain),
        reg(ALARM, "requests-alarm", math),
    )
    assert violations(metric_filter_alarmed.RULE, *resources) == []


def test_filter_nobody_watches_is_reported() -> None:
    found = messages(metric_filter_alarmed.RULE, reg(FILTER, "tasks", metric_filter()), reg(ALARM, "cpu", alarm()))
    assert found == ["no alarm watches the metric MLOps/dev/AirflowTaskFailures this filter produces"]


# --- budgets-budget-alerts ----------------------------------------------------------------------------


def budget(*kinds: str) -> dict[str, Any]:
    return {
        "name": "mlops-dev-monthly",
        "budgetType": "COST",
        "timeUnit": "MONTHLY",
        "limitAmount": "1000.00",
        "limitUnit": "USD",
        "notifications": [
            {
                "comparisonOperator": "GREATER_THAN",
                "notificationType": kind,
                "threshold": 100,
                "thresholdType": "PERCENTAGE",
                "subscriberSnsTopicArns": [TOPIC_ARN],
            }
            for kind in kinds
        ],
    }


def test_budget_with_actual_and_forecast_notifications_complies() -> None:
    assert violations(budget_alerts.RULE, reg(BUDGET, "budget", budget("ACTUAL", "FORECASTED"))) == []
    by_email = mutate(budget("ACTUAL", "FORECASTED"), "notifications[1].subscriberSnsTopicArns", DELETE)
    by_email["notifications"][1]["subscriberEmailAddresses"] = ["finops@example.com"]
    assert violations(budget_alerts.RULE, reg(BUDGET, "budget", by_email)) == []


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (budget("ACTUAL"), ["no FORECASTED notification with a subscriber"]),
        (budget(), ["no ACTUAL notification with a subscriber", "no FORECASTED notification with a subscriber"]),
        (
            mutate(budget("ACTUAL", "FORECASTED"), "notifications[1].subscriberSnsTopicArns", []),
            ["notifications[1] (FORECASTED) has no subscriber", "no FORECASTED notification with a subscriber"],
        ),
    ],
)
def test_budget_that_warns_nobody_or_too_late_is_reported(inputs: dict[str, Any], expected: list[str]) -> None:
    assert sorted(messages(budget_alerts.RULE, reg(BUDGET, "budget", inputs))) == sorted(expected)


# --- rds-instance-alarms ------------------------------------------------------------------------------

DB: dict[str, Any] = {"identifier": "dev-tracking-db", "engine": "postgres", "instanceClass": "db.t4g.medium"}
THREE = ("CPUUtilization", "FreeStorageSpace", "DatabaseConnections")


def test_database_with_its_three_alarms_complies() -> None:
    alarms = [reg(ALARM, f"a-{m}", alarm(metric=m)) for m in THREE]
    assert violations(instance_alarms.RULE, reg(INSTANCE, "db", DB), *alarms) == []


def test_database_missing_alarms_is_reported_with_what_is_missing() -> None:
    cpu_only = reg(ALARM, "cpu", alarm())
    found = violations(instance_alarms.RULE, reg(INSTANCE, "db", DB), cpu_only)
    assert [(v.urn, v.message) for v in found] == [
        (urn(INSTANCE, "db"), "dev-tracking-db: no alarm with an action on FreeStorageSpace, DatabaseConnections")
    ]


def test_alarms_of_another_database_or_without_actions_do_not_count() -> None:
    other = [reg(ALARM, f"o-{m}", alarm(metric=m, identifier="dev-orchestrator-db")) for m in THREE]
    silent = [reg(ALARM, f"s-{m}", alarm(metric=m, alarmActions=[])) for m in THREE]
    found = messages(instance_alarms.RULE, reg(INSTANCE, "db", DB), *other, *silent)
    assert found == [
        "dev-tracking-db: no alarm with an action on CPUUtilization, FreeStorageSpace, DatabaseConnections"
    ]


def test_database_without_a_fixed_identifier_is_reported_and_an_unknown_one_skipped() -> None:
    assert messages(instance_alarms.RULE, reg(INSTANCE, "db", mutate(DB, "identifier", DELETE))) == [
        "the instance has no fixed identifier, so no alarm can name it"
    ]
    assert violations(instance_alarms.RULE, reg(INSTANCE, "db", mutate(DB, "identifier", UNKNOWN))) == []


def test_rules_ignore_other_types() -> None:
    other = reg("aws:s3/bucket:Bucket", "bucket", {"bucket": "b"})
    for rule in (topic_customer_key.RULE, log_group_retention.RULE, budget_alerts.RULE, instance_alarms.RULE):
        report = run(rule, other)
        assert not report.violations and not report.not_applicable
