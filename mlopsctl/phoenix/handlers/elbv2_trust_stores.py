"""ELB trust stores (the models entry's mutual-TLS trust store): deleted after the load balancers, whose listeners
use them (a trust store in use by a listener cannot be deleted: TrustStoreInUse, retried)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.access_errors import translated
from mlopsctl.phoenix.handlers.base import Found, Handler

_TAG_BATCH = 20  # DescribeTags takes at most 20 ARNs per call (trust stores included)


def _tags(scope: AwsScope, arns: Sequence[str]) -> dict[str, dict[str, str]]:
    client = scope.client("elbv2")
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), _TAG_BATCH):
        for description in client.describe_tags(ResourceArns=list(arns[start : start + _TAG_BATCH])).get(
            "TagDescriptions", []
        ):
            tags[description["ResourceArn"]] = tag_dict(description.get("Tags"))
    return tags


def collect_trust_stores(scope: AwsScope) -> Iterator[Found]:
    stores = list(pages(scope.client("elbv2"), "describe_trust_stores", "TrustStores"))
    tags = _tags(scope, [s["TrustStoreArn"] for s in stores])
    for store in stores:
        arn = store["TrustStoreArn"]
        yield Found(
            kind="elbv2:trust-store", id=arn, region=scope.region, tags=tags.get(arn, {}), name=store.get("Name", arn)
        )


def delete_trust_store(scope: AwsScope, found: Found) -> None:
    translated(scope.client("elbv2").delete_trust_store, TrustStoreArn=found.id)


TRUST_STORES = Handler("elbv2:trust-store", collect_trust_stores, delete_trust_store)
"""After ``elbv2:load-balancer`` (listeners go with their load balancer)."""
