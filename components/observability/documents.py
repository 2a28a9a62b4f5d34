"""Policy documents of the observability component: the alert topic's key and access policies, the Container
Insights logs key, and the agent role's region fence. Pure JSON builders (tested directly).

Why each statement is there:

- alert key: CloudWatch alarms and AWS Budgets publish to the encrypted topic as their service principals,
  and SNS generates the message's data key on behalf of the publisher, so the key policy must let
  ``cloudwatch.amazonaws.com`` and ``budgets.amazonaws.com`` use ``kms:GenerateDataKey*`` and ``kms:Decrypt``
  (SNS developer guide, "Enable compatibility between event sources from AWS services and encrypted
  topics"). Both grants are limited to this topic by the encryption context SNS puts on every request for a
  topic's data key, ``aws:sns:topicArn``. Workloads (Airflow) use the key through their IAM policies
  (``components.observability.publishers``), which the account-administration statement delegates to IAM.
- topic policy: CloudWatch alarms of this account and region, and Budgets of this account, may publish
  (confused-deputy conditions as documented: Cost Management user guide, "Creating an Amazon SNS topic for
  budget notifications"); nothing may publish without TLS.
- logs key: CloudWatch Logs may use it for this cluster's Container Insights log groups only
  (encryption-context condition, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.iam import Statement, key_administration, logs_use_key, partition_of

PUBLISHING_SERVICES = ("budgets.amazonaws.com", "cloudwatch.amazonaws.com")
"""AWS services that publish to the alert topic (alarm actions, budget notifications)."""

SNS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


def alert_key_policy(*, account: str, region: str, topic_arn: str) -> str:
    """Key policy of the alert topic's key: the account administers it; alarms and budgets publish with it."""
    statements: list[Statement] = [key_administration(account, partition=partition_of(region))]
    for service in PUBLISHING_SERVICES:
        statements.append(
            {
                "Sid": f"{_sid(service)}PublishToAlertTopic",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": list(SNS_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
            }
        )
    return _document(statements)


def alert_topic_policy(*, account: str, region: str, topic_arn: str) -> str:
    """Access policy of the alert topic: this account's alarms and budgets publish; TLS only.

    Principals of the account publish through their IAM policies (same-account access needs no grant here).
    """
    partition = partition_of(region)
    return _document(
        [
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
                },
            },
            {
                "Sid": "BudgetsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "budgets.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:budgets::{account}:*"},
                },
            },
            {
                "Sid": "DenyPublishWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def logs_key_policy(*, account: str, region: str, log_group_prefixes: Sequence[str]) -> str:
    """Key policy of the logs key: the account administers it; CloudWatch Logs uses it for these groups only.

    ``log_group_prefixes`` are log group name prefixes (``/aws/containerinsights/<cluster>/``): each becomes
    an ``ArnLike`` encryption-context condition on ``<prefix>*``.
    """
    if not log_group_prefixes:
        raise ValueError("logs_key_policy: no log group prefix (the key would serve no log group)")
    statements: list[Statement] = [key_administration(account, partition=partition_of(region))]
    for index, prefix in enumerate(sorted(set(log_group_prefixes))):
        if not prefix.endswith("/"):
            raise ValueError(f"log group prefix {prefix!r} must end with '/'")
        statements.append(logs_use_key(account, region, f"{prefix}*", sid=f"LogGroups{index}"))
    return _document(statements)


def _sid(service: str) -> str:
    return service.split(".", 1)[0].capitalize()


def _document(statements: Sequence[Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)
