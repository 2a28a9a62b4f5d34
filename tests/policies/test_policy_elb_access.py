"""The way in's rules: HTTPS only, modern TLS, authenticate before forward, access logs to an SSE-S3 bucket,
production deletion protection, invalid headers dropped, WAF on a public entry, Verified Access group policies.
A compliant fixture per rule; each test changes one field (pass, fail, missing property, not applicable)."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, not_applicable, reg, urn

from policies.mlops.elb import (
    listener_forward_authenticated,
    listener_https_only,
    listener_tls_policy_modern,
    load_balancer_access_logs,
    load_balancer_deletion_protection,
    load_balancer_drop_invalid_headers,
    load_balancer_public_waf,
)
from policies.mlops.s3._joins import BUCKET, SSE
from policies.mlops.verifiedaccess import group_policy

LB = "aws:lb/loadBalancer:LoadBalancer"
ALB = "aws:alb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
VA_GROUP = "aws:verifiedaccess/group:Group"
LB_URN = urn(LB, "people")
LISTENER_URN = urn(LISTENER, "https")
BUCKET_URN = urn(BUCKET, "logs")

BALANCER: dict[str, Any] = {
    "internal": True,
    "loadBalancerType": "application",
    "dropInvalidHeaderFields": True,
    "enableDeletionProtection": True,
    "accessLogs": {"bucket": "dev-access", "enabled": True, "prefix": "logs/people"},
}
HTTPS: dict[str, Any] = {
    "port": 443,
    "protocol": "HTTPS",
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/x",
    "defaultActions": [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain", "statusCode": "404"}}],
}
REDIRECT: dict[str, Any] = {
    "port": 80,
    "protocol": "HTTP",
    "defaultActions": [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ],
}
AUTHENTICATE = {
    "type": "authenticate-cognito",
    "order": 1,
    "authenticateCognito": {"userPoolArn": "arn:pool", "userPoolClientId": "c", "userPoolDomain": "d"},
}
FORWARD = {"type": "forward", "order": 2, "targetGroupArn": "arn:tg"}
UI_RULE: dict[str, Any] = {
    "priority": 10,
    "conditions": [{"hostHeader": {"values": ["mlflow.ml.example.com"]}}],
    "actions": [AUTHENTICATE, FORWARD],
}


def balancer(inputs: dict[str, Any] = BALANCER, type_: str = LB, name: str = "people") -> Any:
    return reg(type_, name, inputs)


def listener(inputs: dict[str, Any], name: str = "https") -> Any:
    return reg(LISTENER, name, inputs, deps={"loadBalancerArn": [LB_URN]})


def rule(inputs: dict[str, Any], listener_name: str = "https", name: str = "mlflow") -> Any:
    return reg(RULE, name, inputs, deps={"listenerArn": [urn(LISTENER, listener_name)]})


# --- elb-listener-https-only -------------------------------------------------------------------------------------


def test_https_and_a_redirecting_http_listener_pass() -> None:
    assert messages(listener_https_only.RULE, balancer(), listener(HTTPS), listener(REDIRECT, "http")) == []


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            mutate(REDIRECT, "defaultActions", [FORWARD]),
            "HTTP listener default action 'forward': an HTTP listener may only redirect to HTTPS",
        ),
        (
            mutate(REDIRECT, "defaultActions[0].redirect.protocol", "HTTP"),
            "HTTP listener default action 'redirect': an HTTP listener may only redirect to HTTPS",
        ),
        (mutate(REDIRECT, "defaultActions", DELETE), "HTTP listener without default actions"),
    ],
)
def test_an_http_listener_that_serves_fails(inputs: dict[str, Any], expected: str) -> None:
    assert messages(listener_https_only.RULE, listener(inputs, "http")) == [expected]


def test_a_rule_on_an_http_listener_fails_and_nlb_listeners_are_left_alone() -> None:
    found = messages(listener_https_only.RULE, listener(REDIRECT, "http"), rule(UI_RULE, "http"))
    assert found == [
        "rule on an HTTP listener with action 'authenticate-cognito': HTTP only redirects",
        "rule on an HTTP listener with action 'forward': HTTP only redirects",
    ]
    assert messages(listener_https_only.RULE, listener({"port": 5432, "protocol": "TCP"}, "tcp")) == []


# --- elb-listener-tls-policy-modern ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    ],
)
def test_modern_tls_policies_pass(policy: str) -> None:
    assert messages(listener_tls_policy_modern.RULE, listener(mutate(HTTPS, "sslPolicy", policy))) == []


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("ELBSecurityPolicy-2016-08", "sslPolicy 'ELBSecurityPolicy-2016-08' is not a modern TLS 1.2+ policy"),
        ("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "sslPolicy 'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06' is not"),
        ("ELBSecurityPolicy-TLS-1-2-2017-01", "sslPolicy 'ELBSecurityPolicy-TLS-1-2-2017-01' is not"),
        (DELETE, "sslPolicy is not set: the API default ELBSecurityPolicy-2016-08 accepts TLS 1.0"),
    ],
)
def test_old_or_missing_tls_policies_fail(policy: Any, expected: str) -> None:
    (found,) = messages(listener_tls_policy_modern.RULE, listener(mutate(HTTPS, "sslPolicy", policy)))
    assert found.startswith(expected)


def test_tls_policy_is_not_applicable_to_plain_listeners_and_configurable() -> None:
    assert not_applicable(listener_tls_policy_modern.RULE, listener(REDIRECT, "http")) == ["HTTP listener: no TLS"]
    legacy = listener(mutate(HTTPS, "sslPolicy", "ELBSecurityPolicy-TLS-1-2-2017-01"))
    config = {"elb-listener-tls-policy-modern": {"allowed": ["ELBSecurityPolicy-TLS-1-2-2017-01"]}}
    from policy_testkit import TODAY, graph

    from mlopsctl.policy import evaluate

    report = evaluate(graph(legacy), today=TODAY, rules=[listener_tls_policy_modern.RULE], policy_config=config)
    assert report.violations == ()


# --- elb-listener-forward-authenticated -------------------------------------------------------------------------


def test_authenticate_then_forward_passes() -> None:
    assert messages(listener_forward_authenticated.RULE, balancer(), listener(HTTPS), rule(UI_RULE)) == []


@pytest.mark.parametrize(
    "actions",
    [
        [FORWARD],
        [{**FORWARD, "order": 1}, {**AUTHENTICATE, "order": 2}],
        [{"type": "forward", "targetGroupArn": "arn:tg"}, {"type": "authenticate-oidc"}],
    ],
)
def test_a_forward_without_authentication_before_it_fails(actions: list[dict[str, Any]]) -> None:
    found = messages(
        listener_forward_authenticated.RULE, balancer(), listener(HTTPS), rule(mutate(UI_RULE, "actions", actions))
    )
    assert found == [
        "forwards without an authenticate-oidc/authenticate-cognito action before it (and the listener does not "
        "verify client certificates)"
    ]


def test_a_forwarding_default_action_fails_and_mutual_tls_verify_counts_as_authentication() -> None:
    forwarding = mutate(HTTPS, "defaultActions", [FORWARD])
    assert messages(listener_forward_authenticated.RULE, balancer(), listener(forwarding)) == [
        "a default action forwards without an authenticate action before it"
    ]
    mtls = mutate(forwarding, "mutualAuthentication", {"mode": "verify", "trustStoreArn": "arn:ts"})
    machine = mutate(UI_RULE, "actions", [{**FORWARD, "order": 1}])
    assert messages(listener_forward_authenticated.RULE, balancer(), listener(mtls), rule(machine)) == []
    passthrough = mutate(mtls, "mutualAuthentication.mode", "passthrough")
    assert len(messages(listener_forward_authenticated.RULE, balancer(), listener(passthrough), rule(machine))) == 2


def test_network_load_balancers_are_left_alone() -> None:
    nlb = balancer(mutate(BALANCER, "loadBalancerType", "network"))
    tcp = listener({"port": 443, "protocol": "TLS", "defaultActions": [FORWARD]})
    assert messages(listener_forward_authenticated.RULE, nlb, tcp) == []


# --- elb-load-balancer-access-logs ------------------------------------------------------------------------------


def _log_bucket(algorithm: Any = "AES256") -> list[Any]:
    bucket = reg(BUCKET, "logs", {"bucket": "dev-access"})
    if algorithm is None:
        return [bucket]
    sse = reg(
        SSE,
        "logs-sse",
        {"bucket": "dev-access", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]},
        deps={"bucket": [BUCKET_URN]},
    )
    return [bucket, sse]


def _logged_balancer(inputs: dict[str, Any] = BALANCER) -> Any:
    return reg(LB, "people", inputs, deps={"accessLogs": [BUCKET_URN]})


def test_access_logs_to_an_sse_s3_bucket_pass() -> None:
    assert messages(load_balancer_access_logs.RULE, _logged_balancer(), *_log_bucket()) == []
    # A bucket outside the stack (literal name) cannot be checked here; S3 encrypts new objects by default.
    assert messages(load_balancer_access_logs.RULE, balancer(mutate(BALANCER, "accessLogs.bucket", "central"))) == []


@pytest.mark.parametrize(
    ("inputs", "bucket", "expected"),
    [
        (
            mutate(BALANCER, "accessLogs", DELETE),
            "AES256",
            "access logs are not enabled (accessLogs {bucket, enabled: true})",
        ),
        (mutate(BALANCER, "accessLogs.enabled", False), "AES256", "access logs are not enabled"),
        (
            BALANCER,
            "aws:kms",
            "access-log bucket encrypts with 'aws:kms': ELB log delivery supports SSE-S3 (AES256) only",
        ),
        (BALANCER, None, "access-log bucket 'dev-access' has no default encryption"),
    ],
)
def test_missing_logs_or_a_wrong_bucket_fail(inputs: dict[str, Any], bucket: Any, expected: str) -> None:
    (found,) = messages(load_balancer_access_logs.RULE, _logged_balancer(inputs), *_log_bucket(bucket))
    assert found.startswith(expected)


# --- elb-load-balancer-deletion-protection ----------------------------------------------------------------------


def test_deletion_protection_in_production() -> None:
    assert messages(load_balancer_deletion_protection.RULE, balancer(), stack="prod") == []
    off = balancer(mutate(BALANCER, "enableDeletionProtection", False))
    assert messages(load_balancer_deletion_protection.RULE, off, stack="prod") == [
        "enableDeletionProtection is not true in the production tier"
    ]
    missing = balancer(mutate(BALANCER, "enableDeletionProtection", DELETE))
    assert messages(load_balancer_deletion_protection.RULE, missing, config={"mlops:tier": "production"}) == [
        "enableDeletionProtection is not true in the production tier"
    ]
    assert not_applicable(load_balancer_deletion_protection.RULE, off, stack="dev") == [
        "tier 'development' is not one of ['production']"
    ]


# --- elb-load-balancer-drop-invalid-headers ---------------------------------------------------------------------


def test_invalid_headers_are_dropped_on_application_load_balancers() -> None:
    assert messages(load_balancer_drop_invalid_headers.RULE, balancer()) == []
    assert messages(
        load_balancer_drop_invalid_headers.RULE, balancer(mutate(BALANCER, "dropInvalidHeaderFields", DELETE))
    ) == ["dropInvalidHeaderFields is not true"]
    assert messages(load_balancer_drop_invalid_headers.RULE, balancer(BALANCER, type_=ALB)) == []
    nlb = balancer(mutate(BALANCER, "loadBalancerType", "network"))
    assert not_applicable(load_balancer_drop_invalid_headers.RULE, nlb) == ["not an application load balancer"]


# --- elb-load-balancer-public-waf --------------------------------------------------------------------------------


def test_internet_facing_load_balancers_need_waf() -> None:
    public = mutate(BALANCER, "internal", False)
    assert messages(load_balancer_public_waf.RULE, balancer(public)) == [
        "internet-facing load balancer without a WAF web ACL association"
    ]
    # Without `internal`, AWS creates an internet-facing load balancer.
    assert len(messages(load_balancer_public_waf.RULE, balancer(mutate(BALANCER, "internal", DELETE)))) == 1
    association = reg(ASSOCIATION, "waf", {"webAclArn": "arn:acl"}, deps={"resourceArn": [LB_URN]})
    assert messages(load_balancer_public_waf.RULE, balancer(public), association) == []
    assert messages(load_balancer_public_waf.RULE, balancer()) == []


# --- verifiedaccess-group-policy ---------------------------------------------------------------------------------

POLICY = 'permit(principal, action, resource)\nwhen { context.idp.groups has "g" && context.idp.user.email.verified == true };'


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (POLICY, []),
        (DELETE, ["the group has no policy document: every request is denied"]),
        ("  ", ["the group has no policy document: every request is denied"]),
        ("permit(principal, action, resource);", ["the policy permits every request without a condition on the user"]),
        (
            "permit(principal, action, resource) when { true };",
            ["the policy permits every request without a condition on the user"],
        ),
    ],
)
def test_verified_access_groups_condition_access_on_the_user(document: Any, expected: list[str]) -> None:
    inputs = mutate({"verifiedaccessInstanceId": "vai-1", "policyDocument": POLICY}, "policyDocument", document)
    assert messages(group_policy.RULE, reg(VA_GROUP, "people", inputs)) == expected
