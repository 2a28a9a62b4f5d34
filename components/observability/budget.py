"""The environment's AWS Budget: monthly cost, actual and forecast notifications to the alert topic.

AWS Budgets publishes to the topic as ``budgets.amazonaws.com``; the topic and key policies admit it
(``components.observability.documents``). A budget evaluates spend a few times a day (billing data lags by
hours), so this is a cost guard, not a real-time alarm. ``scope: environment`` filters on the
``environment`` tag, which counts only once that tag is activated as a cost allocation tag in Billing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.observability.config import BudgetConfig


@dataclass(frozen=True)
class BudgetNotification:
    """One notification: a share of the budget, on actual or forecast spend."""

    kind: str
    """``ACTUAL`` or ``FORECASTED`` (AWS Budgets NotificationType)."""
    percent: float


def budget_name(environment: str) -> str:
    """The budget's name (unique per account)."""
    return f"mlops-{environment}-monthly"


def notifications(config: BudgetConfig) -> list[BudgetNotification]:
    """Every notification of the budget, actual ones first, in ascending thresholds."""
    return [BudgetNotification("ACTUAL", p) for p in sorted(config.actual_threshold_percents)] + [
        BudgetNotification("FORECASTED", p) for p in sorted(config.forecast_threshold_percents)
    ]


def cost_filters(config: BudgetConfig, environment: str) -> list[tuple[str, list[str]]]:
    """(name, values) cost filters: none for the account, the environment tag otherwise (``user:<key>$<value>``)."""
    if config.scope == "account":
        return []
    return [("TagKeyValue", [f"user:environment${environment}"])]


def create_budget(
    name: str, environment: str, config: BudgetConfig, topic: aws.sns.Topic, *, parent: pulumi.Resource
) -> aws.budgets.Budget:
    """The Budget resource, notifying ``topic``."""
    return aws.budgets.Budget(
        name,
        name=budget_name(environment),
        budget_type="COST",
        time_unit="MONTHLY",
        limit_amount=f"{config.monthly_usd:.2f}",
        limit_unit="USD",
        cost_filters=[
            aws.budgets.BudgetCostFilterArgs(name=filter_name, values=values)
            for filter_name, values in cost_filters(config, environment)
        ]
        or None,
        notifications=[
            aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                notification_type=n.kind,
                threshold=n.percent,
                threshold_type="PERCENTAGE",
                subscriber_sns_topic_arns=[topic.arn],
            )
            for n in notifications(config)
        ],
        # The topic policy must admit Budgets before the notifications are created.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[topic]),
    )
