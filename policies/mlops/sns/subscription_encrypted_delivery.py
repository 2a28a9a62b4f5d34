"""sns-subscription-encrypted-delivery: SNS never delivers to a plain-HTTP endpoint.

An ``http`` subscription sends every message (alerts carry run ids, log links, resource names) unencrypted over
the network; ``https`` endpoints must be ``https://`` URLs.
"""

from __future__ import annotations

from policies.mlops.props import known
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule
from policies.mlops.sns._types import SUBSCRIPTION


def _check(resource: ResourceInput, report: Report) -> None:
    protocol = known(resource.props, "protocol")
    endpoint = known(resource.props, "endpoint")
    if protocol == "http":
        report("protocol is 'http': messages are delivered unencrypted (use https)")
    elif protocol == "https" and isinstance(endpoint, str) and not endpoint.startswith("https://"):
        report(f"endpoint {endpoint!r} of an https subscription is not an https:// URL")


RULE = resource_rule(
    name="sns-subscription-encrypted-delivery",
    description="SNS subscriptions deliver over encrypted transport (no plain-HTTP endpoints).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Subscribe with protocol 'https' and an https:// endpoint (or email, SQS, Lambda).",
    resource_types=(SUBSCRIPTION,),
    check=_check,
)
