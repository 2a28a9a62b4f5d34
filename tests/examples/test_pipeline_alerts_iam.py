"""The IRSA permission of alert publishers is exactly one action on one topic, plus the topic key via SNS."""

from __future__ import annotations

import json

import pipeline_alerts_testkit  # noqa: F401  (the example bundle on sys.path)
import pytest
from pipeline_alerts.iam import alert_publisher_policy, alert_publisher_statements

TOPIC = "arn:aws:sns:eu-west-1:123456789012:mlops-dev-pipeline-alerts"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_policy_is_exactly_publish_on_the_topic_and_the_key_through_sns() -> None:
    assert json.loads(alert_publisher_policy(TOPIC, KEY)) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PipelineAlertsPublish",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": [TOPIC],
            },
            {
                "Sid": "PipelineAlertsTopicKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": [KEY],
                "Condition": {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}},
            },
        ],
    }


def test_scope_has_no_wildcards_and_only_allows() -> None:
    statements = alert_publisher_statements(TOPIC, KEY)
    sns_actions = [a for s in statements for a in s["Action"] if a.startswith("sns:")]
    assert sns_actions == ["sns:Publish"]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "*" not in statement["Resource"] and len(statement["Resource"]) == 1
        assert not any(a == "*" or a.endswith(":*") for a in statement["Action"])
    [key_statement] = [s for s in statements if s["Resource"] == [KEY]]
    assert key_statement["Condition"] == {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}}


def test_topic_without_a_customer_key_needs_only_publish() -> None:
    assert alert_publisher_statements(TOPIC, None, sid="Alerts") == [
        {"Sid": "AlertsPublish", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [TOPIC]}
    ]


def test_govcloud_topic_gets_its_region_in_the_condition() -> None:
    topic = "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts"
    key = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/abcd-1234"
    [_, key_statement] = alert_publisher_statements(topic, key)
    assert key_statement["Condition"]["StringEquals"]["kms:ViaService"] == "sns.us-gov-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("topic", "key", "message"),
    [
        ("arn:aws:sns:eu-west-1:123456789012:*", KEY, "not an SNS topic ARN"),
        ("arn:aws:sqs:eu-west-1:123456789012:alerts", KEY, "not an SNS topic ARN"),
        ("arn:aws-cn:sns:cn-north-1:123456789012:alerts", None, "not an SNS topic ARN"),
        (TOPIC, "arn:aws:kms:eu-west-1:123456789012:alias/aws/sns", "not a KMS key ARN"),
        (TOPIC, "arn:aws:kms:us-east-1:123456789012:key/abcd", "partition and region"),
    ],
)
def test_malformed_or_mismatched_arns_are_refused(topic: str, key: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        alert_publisher_statements(topic, key)
