"""AWS Verified Access of phoenix stacks: endpoints, then groups, then instances (their trust providers detached
first), then trust providers. Endpoints hold network interfaces in the stack's subnets with its security group and
point at a load balancer, so they go before the load balancers and the network kinds; deleting one is
asynchronous (settle waits for it).

All four are EC2 resources carrying their tags in the describe responses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

_GONE_STATES = ("deleted",)


def _ec2(scope: AwsScope) -> Any:
    return scope.client("ec2")


def collect_endpoints(scope: AwsScope) -> Iterator[Found]:
    for item in pages(_ec2(scope), "describe_verified_access_endpoints", "VerifiedAccessEndpoints"):
        if (item.get("Status") or {}).get("Code") in _GONE_STATES:
            continue
        yield Found(
            kind="ec2:verified-access-endpoint",
            id=item["VerifiedAccessEndpointId"],
            region=scope.region,
            tags=tag_dict(item.get("Tags")),
            name=item.get("ApplicationDomain", item["VerifiedAccessEndpointId"]),
        )


def delete_endpoint(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_verified_access_endpoint(VerifiedAccessEndpointId=found.id)


def settle_endpoints(scope: AwsScope, done: Sequence[Found]) -> None:
    """Wait until the deleted endpoints are gone (their groups cannot go before), within the scope's waiter bounds."""
    ids = {f.id for f in done}
    for _ in range(max(scope.waiter_attempts, 1)):
        remaining = [
            e
            for e in pages(_ec2(scope), "describe_verified_access_endpoints", "VerifiedAccessEndpoints")
            if e["VerifiedAccessEndpointId"] in ids and (e.get("Status") or {}).get("Code") not in _GONE_STATES
        ]
        if not remaining:
            return
        time.sleep(scope.waiter_delay)


def collect_groups(scope: AwsScope) -> Iterator[Found]:
    for item in pages(_ec2(scope), "describe_verified_access_groups", "VerifiedAccessGroups"):
        yield Found(
            kind="ec2:verified-access-group",
            id=item["VerifiedAccessGroupId"],
            region=scope.region,
            tags=tag_dict(item.get("Tags")),
            name=item.get("Description") or item["VerifiedAccessGroupId"],
        )


def delete_group(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_verified_access_group(VerifiedAccessGroupId=found.id)


def collect_instances(scope: AwsScope) -> Iterator[Found]:
    for item in pages(_ec2(scope), "describe_verified_access_instances", "VerifiedAccessInstances"):
        providers = [p["VerifiedAccessTrustProviderId"] for p in item.get("VerifiedAccessTrustProviders") or []]
        yield Found(
            kind="ec2:verified-access-instance",
            id=item["VerifiedAccessInstanceId"],
            region=scope.region,
            tags=tag_dict(item.get("Tags")),
            name=item.get("Description") or item["VerifiedAccessInstanceId"],
            context={"trust_providers": providers},
        )


def delete_instance(scope: AwsScope, found: Found) -> None:
    ec2 = _ec2(scope)
    # An instance with an attached trust provider cannot be deleted; the provider itself is its own kind.
    for provider in found.context.get("trust_providers", ()):
        ignore_missing(
            ec2.detach_verified_access_trust_provider,
            VerifiedAccessInstanceId=found.id,
            VerifiedAccessTrustProviderId=provider,
        )
    ec2.delete_verified_access_instance(VerifiedAccessInstanceId=found.id)


def collect_trust_providers(scope: AwsScope) -> Iterator[Found]:
    for item in pages(_ec2(scope), "describe_verified_access_trust_providers", "VerifiedAccessTrustProviders"):
        yield Found(
            kind="ec2:verified-access-trust-provider",
            id=item["VerifiedAccessTrustProviderId"],
            region=scope.region,
            tags=tag_dict(item.get("Tags")),
            name=item.get("Description") or item["VerifiedAccessTrustProviderId"],
        )


def delete_trust_provider(scope: AwsScope, found: Found) -> None:
    _ec2(scope).delete_verified_access_trust_provider(VerifiedAccessTrustProviderId=found.id)


ENDPOINTS = Handler("ec2:verified-access-endpoint", collect_endpoints, delete_endpoint, settle=settle_endpoints)
GROUPS = Handler("ec2:verified-access-group", collect_groups, delete_group)
INSTANCES = Handler("ec2:verified-access-instance", collect_instances, delete_instance)
TRUST_PROVIDERS = Handler("ec2:verified-access-trust-provider", collect_trust_providers, delete_trust_provider)
"""In this order, all before ``elbv2:load-balancer`` and the network kinds."""
