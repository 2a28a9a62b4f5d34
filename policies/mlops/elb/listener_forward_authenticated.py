"""elb-listener-forward-authenticated: no unauthenticated request reaches a target.

On an application load balancer, every forward (listener default actions and listener rules) comes after an
authenticate-oidc or authenticate-cognito action, unless the listener authenticates clients itself with mutual TLS
in ``verify`` mode (the machine path: the client's certificate is checked against a trust store before any rule
runs). ``passthrough`` mutual TLS checks nothing and counts as unauthenticated.
"""

from __future__ import annotations

from policies.mlops.elb._lb import (
    LISTENER_RULES,
    LISTENERS,
    forwards_without_authentication,
    is_application,
    listener_of,
    load_balancer_of,
    ordered,
)
from policies.mlops.props import get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule


def _verifies_clients(listener: StackResource) -> bool:
    return bool(get(listener.props, "mutualAuthentication", "mode") == "verify")


def _applies(stack: StackInput, listener: StackResource) -> bool:
    if known(listener.props, "protocol") not in ("HTTP", "HTTPS"):
        return False  # NLB/GWLB listeners cannot authenticate users
    balancer = load_balancer_of(stack, listener)
    return balancer is None or is_application(balancer.props)


def _check(stack: StackInput, report: StackReport) -> None:
    for listener in stack.of_type(*LISTENERS):
        with stack.item():
            if not _applies(stack, listener) or _verifies_clients(listener):
                continue
            if forwards_without_authentication(ordered(listener.props.get("defaultActions"))):
                report("a default action forwards without an authenticate action before it", listener.urn)
    for rule in stack.of_type(*LISTENER_RULES):
        with stack.item():
            owner = listener_of(stack, rule)
            if owner is not None and (not _applies(stack, owner) or _verifies_clients(owner)):
                continue
            if forwards_without_authentication(ordered(rule.props.get("actions"))):
                report(
                    "forwards without an authenticate-oidc/authenticate-cognito action before it (and the listener "
                    "does not verify client certificates)",
                    rule.urn,
                )


RULE = stack_rule(
    name="elb-listener-forward-authenticated",
    description=(
        "Every forward of an application load balancer follows an authenticate action, or its listener verifies "
        "client certificates (mutual TLS, verify mode)."
    ),
    level=Level.MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Put an authenticate-cognito or authenticate-oidc action (order 1) before the forward (order 2), or serve "
        "machine clients from a listener with mutual_authentication {mode: verify, trust_store_arn}."
    ),
    resource_types=(*LISTENERS, *LISTENER_RULES),
    check=_check,
)
