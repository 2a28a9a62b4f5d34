"""Key and topic policies of the alert channel, the logs key, and the publisher statements (moved from
examples/pipeline_alerts/iam.py with their tests)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.observability import documents
from components.observability.publishers import alert_publisher_policy, alert_publisher_statements, topic_arn

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-dev-alerts"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ROOT = {
    "Sid": "AccountAdministersKey",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def parsed(text: str) -> dict[str, Any]:
    document = json.loads(text)
    assert document["Version"] == "2012-10-17"
    return document


def test_alert_key_lets_alarms_and_budgets_encrypt_for_this_topic_only() -> None:
    statements = parsed(documents.alert_key_policy(account=ACCOUNT, region=REGION, topic_arn=TOPIC))["Statement"]
    assert statements == [
        ROOT,
        {
            "Sid": "BudgetsPublishToAlertTopic",
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": TOPIC}},
        },
        {
            "Sid": "CloudwatchPublishToAlertTopic",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": TOPIC}},
        },
    ]


def test_alert_key_in_govcloud_names_the_partition_of_its_root() -> None:
    arn = topic_arn(partition="aws-us-gov", region="us-gov-west-1", account=ACCOUNT, name="mlops-dev-alerts")
    document = parsed(documents.alert_key_policy(account=ACCOUNT, region="us-gov-west-1", topic_arn=arn))
    assert document["Statement"][0]["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"}


def test_topic_policy_admits_this_accounts_alarms_and_budgets_and_refuses_plain_http() -> None:
    statements = parsed(documents.alert_topic_policy(account=ACCOUNT, region=REGION, topic_arn=TOPIC))["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"CloudWatchAlarmsPublish", "BudgetsPublish", "DenyPublishWithoutTls"}
    assert by_sid["CloudWatchAlarmsPublish"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
    }
    # As AWS documents it (Cost Management user guide, "Creating an Amazon SNS topic for budget notifications").
    assert by_sid["BudgetsPublish"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:*"},
    }
    deny = by_sid["DenyPublishWithoutTls"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "sns:Publish")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert all(s["Action"] == "sns:Publish" and s["Resource"] == TOPIC for s in allows)
    assert all("Service" in s["Principal"] for s in allows)  # nothing public


def test_logs_key_serves_only_the_clusters_container_insights_groups() -> None:
    statements = parsed(
        documents.logs_key_policy(
            account=ACCOUNT, region=REGION, log_group_prefixes=["/aws/containerinsights/mlops-dev/"]
        )
    )["Statement"]
    assert statements[0] == ROOT
    assert statements[1]["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert statements[1]["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/containerinsights/mlops-dev/*"
        }
    }


@pytest.mark.parametrize(
    ("prefixes", "message"),
    [([], "no log group prefix"), (["/aws/containerinsights/mlops-dev"], "must end with '/'")],
)
def test_logs_key_refuses_bad_prefixes(prefixes: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        documents.logs_key_policy(account=ACCOUNT, region=REGION, log_group_prefixes=prefixes)


# --- publishers (from examples/pipeline_alerts/iam.py) ------------------------------------------------


def test_publisher_policy_is_exactly_publish_on_the_topic_and_the_key_through_sns() -> None:
    assert json.loads(alert_publisher_policy(TOPIC, KEY)) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "PipelineAlertsPublish", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [TOPIC]},
            {
                "Sid": "PipelineAlertsTopicKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": [KEY],
                "Condition": {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}},
            },
        ],
    }


def test_publisher_scope_has_no_wildcards_and_only_allows() -> None:
    statements = alert_publisher_statements(TOPIC, KEY)
    assert [a for s in statements for a in s["Action"] if a.startswith("sns:")] == ["sns:Publish"]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "*" not in statement["Resource"] and len(statement["Resource"]) == 1
        assert not any(a == "*" or a.endswith(":*") for a in statement["Action"])


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
        ("arn:aws:sns:eu-west-1:123456789012:topic/alerts", KEY, "not an SNS topic ARN"),
        ("arn:aws-cn:sns:cn-north-1:123456789012:alerts", None, "not an SNS topic ARN"),
        (TOPIC, "arn:aws:kms:eu-west-1:123456789012:alias/aws/sns", "not a KMS key ARN"),
        (TOPIC, "arn:aws:kms:us-east-1:123456789012:key/abcd", "partition and region"),
    ],
)
def test_malformed_or_mismatched_arns_are_refused(topic: str, key: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        alert_publisher_statements(topic, key)


def test_topic_arn_is_what_sns_returns_for_a_standard_topic() -> None:
    assert topic_arn(partition="aws", region=REGION, account=ACCOUNT, name="mlops-dev-alerts") == TOPIC
