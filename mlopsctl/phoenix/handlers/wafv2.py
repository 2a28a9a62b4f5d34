"""AWS WAF web ACLs of phoenix stacks (the internet-facing people entry's ACL, REGIONAL scope).

Deleting a web ACL needs its lock token and fails while a resource is associated (WAFAssociatedItemException,
retried); the load balancer normally went first, and any association left is removed before the delete.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, tag_dict
from mlopsctl.phoenix.handlers.access_errors import translated
from mlopsctl.phoenix.handlers.base import Found, Handler

SCOPE = "REGIONAL"
RESOURCE_TYPES = ("APPLICATION_LOAD_BALANCER",)


def _waf(scope: AwsScope) -> Any:
    return scope.client("wafv2")


def _web_acls(scope: AwsScope) -> Iterator[dict[str, Any]]:
    """Every web ACL (ListWebACLs has no botocore paginator: NextMarker by hand)."""
    kwargs: dict[str, Any] = {"Scope": SCOPE, "Limit": 100}
    while True:
        page = _waf(scope).list_web_acls(**kwargs)
        yield from page.get("WebACLs") or []
        marker = page.get("NextMarker")
        if not marker or not page.get("WebACLs"):
            return
        kwargs["NextMarker"] = marker


def collect_web_acls(scope: AwsScope) -> Iterator[Found]:
    for acl in _web_acls(scope):
        tags = _waf(scope).list_tags_for_resource(ResourceARN=acl["ARN"]).get("TagInfoForResource", {})
        yield Found(
            kind="wafv2:web-acl",
            id=acl["Id"],
            region=scope.region,
            tags=tag_dict(tags.get("TagList")),
            name=acl["Name"],
            context={"arn": acl["ARN"]},
        )


def delete_web_acl(scope: AwsScope, found: Found) -> None:
    waf = _waf(scope)
    arn = str(found.context["arn"])
    for resource_type in RESOURCE_TYPES:
        for resource in (
            waf.list_resources_for_web_acl(WebACLArn=arn, ResourceType=resource_type).get("ResourceArns") or []
        ):
            ignore_missing(waf.disassociate_web_acl, ResourceArn=resource)
    # The lock token changes with every update: read it just before the delete.
    token = waf.get_web_acl(Name=found.name, Scope=SCOPE, Id=found.id)["LockToken"]
    translated(waf.delete_web_acl, Name=found.name, Scope=SCOPE, Id=found.id, LockToken=token)


WEB_ACLS = Handler("wafv2:web-acl", collect_web_acls, delete_web_acl)
"""After ``elbv2:load-balancer``."""
