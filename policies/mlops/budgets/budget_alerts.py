"""budgets-budget-alerts: a budget warns on actual and on forecast spend, to someone.

Actual-spend notifications fire once money is spent; only a forecast notification can warn before the month
overruns. A notification without a subscriber (SNS topic or e-mail) alerts nobody.
"""

from __future__ import annotations

from policies.mlops.props import as_list, as_map
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

BUDGET = "aws:budgets/budget:Budget"


def _check(resource: ResourceInput, report: Report) -> None:
    kinds: set[str] = set()
    for index, raw in enumerate(as_list(resource.props.get("notifications"))):
        notification = as_map(raw)
        kind = str(notification.get("notificationType") or "")
        subscribers = as_list(notification.get("subscriberSnsTopicArns")) + as_list(
            notification.get("subscriberEmailAddresses")
        )
        if not subscribers:
            report(f"notifications[{index}] ({kind or 'no type'}) has no subscriber")
            continue
        kinds.add(kind)
    for kind in ("ACTUAL", "FORECASTED"):
        if kind not in kinds:
            report(f"no {kind} notification with a subscriber")


RULE = resource_rule(
    name="budgets-budget-alerts",
    description="AWS Budgets notify a subscriber on actual and on forecast spend.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Give aws.budgets.Budget notifications of type ACTUAL and FORECASTED with subscriber_sns_topic_arns "
        "(the alert topic) or subscriber_email_addresses."
    ),
    resource_types=(BUDGET,),
    check=_check,
)
