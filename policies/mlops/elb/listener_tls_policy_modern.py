"""elb-listener-tls-policy-modern: HTTPS and TLS listeners negotiate TLS 1.2 or newer with modern ciphers.

Modern means the TLS13 policy families (TLS 1.3 plus TLS 1.2, or TLS 1.3 only), not their ``Ext`` variants that
add legacy CBC/SHA-1 ciphers for old clients (ELB user guide, "Security policies for your Application Load
Balancer"). Without ``sslPolicy`` the API uses ELBSecurityPolicy-2016-08, which still accepts TLS 1.0. The
accepted names can be changed with policy config (``{"elb-listener-tls-policy-modern": {"allowed": [...]}}``).
"""

from __future__ import annotations

import re

import pulumi_policy

from policies.mlops.elb._lb import LISTENERS
from policies.mlops.props import as_strs, known
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

MODERN = re.compile(r"^ELBSecurityPolicy-TLS13-1-[23]-(?!.*Ext)[A-Za-z0-9-]+$")
"""ELBSecurityPolicy-TLS13-1-2-2021-06, -TLS13-1-2-Res-2021-06, -TLS13-1-2-Res-PQ-2025-09, -TLS13-1-3-2021-06,
their FIPS and PQ variants; not -TLS13-1-2-Ext1/Ext2 (legacy ciphers)."""


def _check(resource: ResourceInput, report: Report) -> None:
    protocol = known(resource.props, "protocol")
    if protocol not in ("HTTPS", "TLS"):
        resource.not_applicable(f"{protocol} listener: no TLS")
    policy = resource.props.get("sslPolicy")
    allowed = as_strs(resource.policy_config.get("allowed"))
    if not policy:
        report("sslPolicy is not set: the API default ELBSecurityPolicy-2016-08 accepts TLS 1.0")
    elif not (policy in allowed if allowed else MODERN.match(str(policy))):
        report(f"sslPolicy {policy!r} is not a modern TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*)")


RULE = resource_rule(
    name="elb-listener-tls-policy-modern",
    description="HTTPS/TLS listeners use a TLS 1.2+ security policy of the TLS13 families without legacy ciphers.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09' (AWS's recommendation) on the listener.",
    resource_types=LISTENERS,
    check=_check,
    config_schema=pulumi_policy.PolicyConfigSchema(
        properties={"allowed": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
)
