"""Elastic Load Balancing v2 type tokens (both the ``lb`` and the ``alb`` module spellings) and the joins rules need:
a listener to its load balancer, a listener rule to its listener, a load balancer to its access-log bucket.

The reliable link is the property dependency of the reference input on the referenced resource's URN
(``load_balancer_arn=lb.arn``); a literal ARN or name is matched as a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.mlops.props import as_list, as_map, get, is_false, known
from policies.mlops.rule import StackInput, StackResource

LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito")
HTTP_PROTOCOLS = ("HTTP", "HTTPS")


def is_application(props: Mapping[str, Any]) -> bool:
    """An Application Load Balancer (``loadBalancerType`` defaults to application)."""
    kind = known(props, "loadBalancerType")
    return kind in (None, "", "application")


def is_internet_facing(props: Mapping[str, Any]) -> bool:
    """``internal`` explicitly false or absent: AWS defaults a load balancer to internet-facing."""
    value = known(props, "internal")
    return value is None or is_false(value)


def refers_to(resource: StackResource, prop: str, target: StackResource, *literal_keys: str) -> bool:
    """True when ``resource``'s input ``prop`` was computed from ``target`` (or names it literally)."""
    if resource.property_dependencies.get(prop):
        return resource.depends_through(prop, target.urn)
    value = known(resource.props, prop)
    names = [known(target.props, key) for key in literal_keys]
    return isinstance(value, str) and bool(value) and value in names


def listener_of(stack: StackInput, rule: StackResource) -> StackResource | None:
    """The listener a listener rule belongs to, when it is in the stack."""
    for listener in stack.of_type(*LISTENERS):
        if refers_to(rule, "listenerArn", listener):
            return listener
    return None


def load_balancer_of(stack: StackInput, listener: StackResource) -> StackResource | None:
    """The load balancer a listener belongs to, when it is in the stack."""
    for balancer in stack.of_type(*LOAD_BALANCERS):
        if refers_to(listener, "loadBalancerArn", balancer):
            return balancer
    return None


def ordered(actions: Any) -> list[Mapping[str, Any]]:
    """Actions in evaluation order (``order``, else their position)."""
    items = [as_map(action) for action in as_list(actions)]
    keyed = []
    for index, action in enumerate(items):
        order = get(action, "order")
        keyed.append((order if isinstance(order, int | float) else index + 1, index, action))
    return [action for _order, _index, action in sorted(keyed, key=lambda t: (t[0], t[1]))]


def forwards_without_authentication(actions: Sequence[Mapping[str, Any]]) -> bool:
    """True when a forward comes before any authenticate action (or there is none)."""
    authenticated = False
    for action in actions:
        kind = action.get("type")
        if kind in AUTHENTICATE:
            authenticated = True
        elif kind == "forward" and not authenticated:
            return True
    return False
