"""What moto cannot emulate for the sweep's access kinds, and how the fleet-wide tests step around it.

moto (the pinned version) implements neither ELBv2 trust stores nor EC2 Verified Access: their listing calls raise
``NotImplementedError`` ("The describe_trust_stores action has not been implemented"), which the sweep reports
as a listing failure, so a fleet-wide reap over moto would exit 1. :func:`register` answers those listing calls
with empty pages on a boto3 session, before they reach moto (botocore's ``before-call`` event: a handler that
returns ``(http, parsed)`` short-circuits the request). The handlers of those kinds are tested request by
request with botocore's Stubber in ``test_phoenix_access.py``, on a session of their own.

:data:`NOT_IN_FLEET`: the access kinds (ACM, Route 53, Cognito, WAF, trust stores, Verified Access) are not built
by ``FleetBuilder``; ``test_phoenix_access.py`` covers each against moto where moto has the service.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

EMPTY_LISTINGS: dict[tuple[str, str], dict[str, Any]] = {
    ("elastic-load-balancing-v2", "DescribeTrustStores"): {"TrustStores": []},
    ("ec2", "DescribeVerifiedAccessEndpoints"): {"VerifiedAccessEndpoints": []},
    ("ec2", "DescribeVerifiedAccessGroups"): {"VerifiedAccessGroups": []},
    ("ec2", "DescribeVerifiedAccessInstances"): {"VerifiedAccessInstances": []},
    ("ec2", "DescribeVerifiedAccessTrustProviders"): {"VerifiedAccessTrustProviders": []},
}
"""(botocore service id, operation) -> the empty page answered instead of moto's NotImplementedError."""

NOT_IN_FLEET = frozenset(
    {
        "acm:certificate",
        "cognito-idp:user-pool",
        "route53:hosted-zone",
        "wafv2:web-acl",
        "elbv2:trust-store",
        "ec2:verified-access-endpoint",
        "ec2:verified-access-group",
        "ec2:verified-access-instance",
        "ec2:verified-access-trust-provider",
    }
)
"""Sweep kinds the shared fleet does not build (``test_phoenix_access.py`` covers them)."""

_REGISTERED = "_mlops_moto_gaps"


def _empty(page: dict[str, Any]) -> Any:
    def answer(**_kwargs: Any) -> tuple[SimpleNamespace, dict[str, Any]]:
        http = SimpleNamespace(status_code=200, headers={})
        return http, {**page, "ResponseMetadata": {"HTTPStatusCode": 200}}

    return answer


def register(session: Any) -> Any:
    """Answer :data:`EMPTY_LISTINGS` with empty pages on every client ``session`` makes afterwards (idempotent)."""
    if getattr(session, _REGISTERED, False):
        return session
    for (service, operation), page in EMPTY_LISTINGS.items():
        session.events.register(f"before-call.{service}.{operation}", _empty(page))
    setattr(session, _REGISTERED, True)
    return session


__all__ = ["EMPTY_LISTINGS", "NOT_IN_FLEET", "register"]
