"""AWS WAF in front of the internet-facing people entry (``mlops:access.public``): AWS managed rule groups and a
per-IP rate limit."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
"""AWS managed rule groups on the internet-facing people entry (AWS WAF developer guide, "Baseline rule groups")."""


def people_waf(
    name: str, *, environment: str, rate_limit: int, lb: aws.lb.LoadBalancer, parent: pulumi.Resource
) -> aws.wafv2.WebAcl:
    """``<name>-people-waf`` and its association with the people load balancer."""
    acl = aws.wafv2.WebAcl(
        f"{name}-people-waf",
        name=f"mlops-{environment}-people",
        scope="REGIONAL",
        default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
        rules=waf_rules(rate_limit, environment),
        visibility_config=_visibility(f"mlops-{environment}-people"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.wafv2.WebAclAssociation(
        f"{name}-people-waf-association",
        resource_arn=lb.arn,
        web_acl_arn=acl.arn,
        opts=pulumi.ResourceOptions(parent=acl),
    )
    return acl


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
    return aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def waf_rules(rate_limit: int, environment: str) -> list[aws.wafv2.WebAclRuleArgs]:
    """The managed rule groups (their own actions) and a per-IP rate limit."""
    rules = [
        aws.wafv2.WebAclRuleArgs(
            name=group,
            priority=index,
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    name=group, vendor_name="AWS"
                )
            ),
            visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{environment}-{group}", sampled_requests_enabled=True
            ),
        )
        for index, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append(
        aws.wafv2.WebAclRuleArgs(
            name="rate-limit-per-ip",
            priority=len(MANAGED_RULE_GROUPS),
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate_limit, aggregate_key_type="IP"
                )
            ),
            visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{environment}-rate-limit", sampled_requests_enabled=True
            ),
        )
    )
    return rules


__all__ = ["MANAGED_RULE_GROUPS", "people_waf", "waf_rules"]
