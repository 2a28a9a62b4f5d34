"""IRSA permission for pipeline alerts: publish to one SNS topic, use its key only through SNS.

The platform wires these statements into the IRSA role of the Airflow workers (the task process runs
``on_failure_callback``) and of the DAG processor (it runs the callback when a task dies outside its own
process: pod killed, heartbeat timeout) in ``components/orchestration``, next to the log, DAG and lake-zone
statements of ``component_policies``. Kept here, pure and tested, until the lead moves it there.

Scope: ``sns:Publish`` on the one topic ARN; with a customer managed key on the topic,
``kms:GenerateDataKey*`` and ``kms:Decrypt`` on that key only when the request comes through SNS in the
topic's region (``kms:ViaService``). No ``sns:*``, no ``*`` resource, nothing to subscribe, read or delete.
"""

from __future__ import annotations

import json
import re
from typing import Any

Statement = dict[str, Any]

PUBLISH_ACTIONS = ("sns:Publish",)
KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")
"""What a publisher needs on an SSE-KMS topic's key (SNS encrypts with a data key)."""

_TOPIC = re.compile(r"^arn:(aws|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256})$")
_KEY = re.compile(r"^arn:(aws|aws-us-gov):kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):key/[A-Za-z0-9-]+$")


def alert_publisher_statements(
    topic_arn: str, topic_key_arn: str | None, *, sid: str = "PipelineAlerts"
) -> list[Statement]:
    """Statements letting a role publish to ``topic_arn`` (and use ``topic_key_arn`` through SNS).

    ``topic_key_arn`` is the topic's customer managed key (``kmsMasterKeyId`` of the topic), as a key ARN,
    not an alias; None for a topic without SSE or with the AWS managed ``alias/aws/sns`` (its key policy
    already lets the account's principals use it through SNS). The key must be in the topic's region.
    Commercial and GovCloud partitions only: the ``kms:ViaService`` name is not verified for ``aws-cn``.
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
