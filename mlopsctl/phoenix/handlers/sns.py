"""SNS topics (the alert topic): deleting a topic deletes its subscriptions with it.

Subscriptions, e-mail ones pending confirmation included, cannot outlive their topic
(https://docs.aws.amazon.com/sns/latest/dg/sns-delete-subscription-topic.html), so they are not a kind of their
own. Topics go before the KMS keys that encrypt them.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def collect_topics(scope: AwsScope) -> Iterator[Found]:
    sns = scope.client("sns")
    for topic in pages(sns, "list_topics", "Topics"):
        arn = topic["TopicArn"]
        tags = tag_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        yield Found(kind="sns:topic", id=arn, region=scope.region, tags=tags, name=arn.rsplit(":", 1)[-1])


def delete_topic(scope: AwsScope, found: Found) -> None:
    scope.client("sns").delete_topic(TopicArn=found.id)


TOPICS = Handler("sns:topic", collect_topics, delete_topic)
