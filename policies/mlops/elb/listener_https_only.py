"""elb-listener-https-only: load balancers take requests over HTTPS; an HTTP listener only redirects to HTTPS."""

from __future__ import annotations

from policies.mlops.elb._lb import HTTP_PROTOCOLS, LISTENER_RULES, LISTENERS, listener_of, ordered
from policies.mlops.props import get, known
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _check(stack: StackInput, report: StackReport) -> None:
    plain: list[str] = []
    for listener in stack.of_type(*LISTENERS):
        with stack.item():
            protocol = known(listener.props, "protocol")
            if protocol not in HTTP_PROTOCOLS or protocol == "HTTPS":
                continue  # HTTPS, or an NLB's TCP/TLS/UDP listener (no HTTP semantics)
            plain.append(listener.urn)
            actions = ordered(listener.props.get("defaultActions"))
            if not actions:
                report("HTTP listener without default actions", listener.urn)
            for action in actions:
                if action.get("type") != "redirect" or get(action, "redirect", "protocol") != "HTTPS":
                    report(
                        f"HTTP listener default action {action.get('type')!r}: an HTTP listener may only redirect "
                        "to HTTPS",
                        listener.urn,
                    )
    for rule in stack.of_type(*LISTENER_RULES):
        with stack.item():
            owner = listener_of(stack, rule)
            if owner is None or owner.urn not in plain:
                continue
            for action in ordered(rule.props.get("actions")):
                if action.get("type") != "redirect" or get(action, "redirect", "protocol") != "HTTPS":
                    report(
                        f"rule on an HTTP listener with action {action.get('type')!r}: HTTP only redirects", rule.urn
                    )


RULE = stack_rule(
    name="elb-listener-https-only",
    description="Application load balancer listeners are HTTPS; an HTTP listener only redirects to HTTPS.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Serve on an HTTPS listener with a certificate; give an HTTP listener a single default action "
        "{type: redirect, redirect: {protocol: HTTPS, port: '443', status_code: HTTP_301}} and no rules."
    ),
    resource_types=(*LISTENERS, *LISTENER_RULES),
    check=_check,
)
