"""Who may publish to the alert topic: the IAM statements for publishers (Airflow's workers and DAG processor).

Moved here from ``examples/pipeline_alerts/iam.py`` so the platform that creates the topic also owns the
permission to use it (the example bundle keeps only what runs inside Airflow). Pure functions.

Scope: ``sns:Publish`` on the one topic ARN; with the topic's customer managed key, ``kms:GenerateDataKey*``
and ``kms:Decrypt`` on that key only when the request comes through SNS in the topic's region
(``kms:ViaService``). SNS encrypts each message with a data key generated as the publisher
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). No ``sns:*``, no ``*`` resource, nothing
to subscribe, read or delete.
"""

from __future__ import annotations

import json
import re
from typing import Any

Statement = dict[str, Any]

PUBLISH_ACTIONS = ("sns:Publish",)
KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
"""What a publisher needs on an SSE-KMS topic's key (SNS encrypts with a data key)."""

# Commercial and GovCloud only: the kms:ViaService name of SNS is not verified for aws-cn.
_TOPIC = re.compile(r"^arn:(aws|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$")
_KEY = re.compile(r"^arn:(aws|aws-us-gov):kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key/[A-Za-z0-9-]+$")


def topic_arn(*, partition: str, region: str, account: str, name: str) -> str:
    """The ARN SNS gives a standard topic (``arn:<partition>:sns:<region>:<account>:<name>``)."""
    return f"arn:{partition}:sns:{region}:{account}:{name}"


def alert_publisher_statements(
    topic_arn: str, topic_key_arn: str | None, *, sid: str = "PipelineAlerts"
) -> list[Statement]:
    """Statements letting a role publish to ``topic_arn`` (and use ``topic_key_arn`` through SNS).

    ``topic_key_arn`` is the topic's customer managed key (``kmsMasterKeyId`` of the topic), as a key ARN,
    not an alias; None for a topic without SSE or with the AWS managed ``alias/aws/sns``. The key must be in
    the topic's partition and region. Raises ``ValueError`` for malformed or mismatched ARNs.
    """
    topic = _TOPIC.match(topic_arn)
    if not topic:
        raise ValueError(f"{topic_arn!r} is not an SNS topic ARN in the aws or aws-us-gov partition")
    partition, region = topic.group(1), topic.group(2)
    statements: list[Statement] = [
        {"Sid": f"{sid}Publish", "Effect": "Allow", "Action": list(PUBLISH_ACTIONS), "Resource": [topic_arn]}
    ]
    if topic_key_arn is None:
        return statements
    key = _KEY.match(topic_key_arn)
    if not key:
        raise ValueError(f"{topic_key_arn!r} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)")
    if (key.group(1), key.group(2)) != (partition, region):
        raise ValueError(f"the topic's key must be in the topic's partition and region ({partition}, {region})")
    statements.append(
        {
            "Sid": f"{sid}TopicKey",
            "Effect": "Allow",
            "Action": list(KEY_ACTIONS),
            "Resource": [topic_key_arn],
            "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}},
        }
    )
    return statements


def alert_publisher_policy(topic_arn: str, topic_key_arn: str | None) -> str:
    """The statements as a policy document (JSON text, keys sorted like ``components.iam.document``)."""
    document = {"Version": "2012-10-17", "Statement": alert_publisher_statements(topic_arn, topic_key_arn)}
    return json.dumps(document, sort_keys=True)


ALERT_TOPIC_ENV = "MLOPS_ALERT_TOPIC_ARN"
"""Environment variable the pipeline-alerts callback reads the topic from (examples/pipeline_alerts/alerts.py)."""
ENVIRONMENT_ENV = "MLOPS_ENVIRONMENT"
"""Environment variable naming the environment in alert subjects and attributes."""


def alert_env(topic_arn: str, environment: str) -> list[dict[str, str]]:
    """Chart ``env`` entries that point Airflow's pods at the alert topic (the chart copies ``env`` into the
    KubernetesExecutor's pod template, so task pods get them too)."""
    if not topic_arn.startswith("arn:") or ":sns:" not in topic_arn:
        raise ValueError(f"{topic_arn!r} is not an SNS topic ARN")
    return [{"name": ALERT_TOPIC_ENV, "value": topic_arn}, {"name": ENVIRONMENT_ENV, "value": environment}]
