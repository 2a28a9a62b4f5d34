"""The reaper and the observability kinds: CloudWatch alarms, SNS topics (with their subscriptions) and AWS
Budgets, swept only when expired, in an order that lets each go. Against in-process moto; moto keeps no
Budgets tags (ListTagsForResource is not implemented), so the budget tests read tags from a recorded map."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from phoenix_testkit import DECOYS, EXPIRED, MARKED_DECOYS, NOW, REGION, kv

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.handlers import budgets, cloudwatch, sns
from mlopsctl.phoenix.handlers.base import Handler
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.sweep import ResourceResult, SweepOptions, sweep

ACCOUNT = "123456789012"


class Spy:
    """A boto3 client whose listed operations are recorded and, where given, replaced by a fake."""

    def __init__(self, client: Any, calls: list[tuple[str, dict[str, Any]]], fakes: dict[str, Callable[..., Any]]):
        self._client, self._calls, self._fakes = client, calls, fakes

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self._fakes and not name.startswith("delete"):
            return attr

        def call(**kwargs: Any) -> Any:
            self._calls.append((name, kwargs))
            return self._fakes[name](attr, **kwargs) if name in self._fakes else attr(**kwargs)

        return call


def run(
    session: Any, handlers: tuple[Handler, ...], wrap: Callable[[str, Any], Any] | None = None, *, execute: bool = True
) -> list[ResourceResult]:
    scope = AwsScope(session=session, region=REGION, account=ACCOUNT, wrap=wrap, waiter_delay=0)
    options = SweepOptions(
        now=parse_timestamp(NOW),
        execute=execute,
        policy=RetryPolicy(max_attempts=2),
        sleep=lambda _s: None,
        handlers=handlers,
    )
    return sweep([scope], options)


def statuses(results: list[ResourceResult]) -> dict[str, str]:
    return {r.name: r.status for r in results}


def marked_kept() -> dict[str, str]:
    return {f"decoy-{label}": "kept" for label in MARKED_DECOYS}


# --- CloudWatch alarms --------------------------------------------------------------------------------


def put_alarm(session: Any, name: str, tags: dict[str, str]) -> None:
    session.client("cloudwatch", region_name=REGION).put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "pr-7-tracking-db"}],
        Statistic="Average",
        Period=300,
        EvaluationPeriods=3,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-pr-7-alerts"],
        **({"Tags": kv(tags)} if tags else {}),
    )


def alarm_names(session: Any) -> set[str]:
    found = session.client("cloudwatch", region_name=REGION).describe_alarms()["MetricAlarms"]
    return {a["AlarmName"] for a in found}


def test_expired_alarms_go_and_every_decoy_stays(moto_session: Any) -> None:
    put_alarm(moto_session, "mlops-pr-7-rds-cpu", EXPIRED)
    for label, tags in DECOYS.items():
        put_alarm(moto_session, f"decoy-{label}", tags)

    dry = run(moto_session, (cloudwatch.ALARMS,), execute=False)
    assert statuses(dry) == {"mlops-pr-7-rds-cpu": "would-delete", **marked_kept()}
    assert "mlops-pr-7-rds-cpu" in alarm_names(moto_session)

    results = run(moto_session, (cloudwatch.ALARMS,))
    assert statuses(results) == {"mlops-pr-7-rds-cpu": "deleted", **marked_kept()}
    assert alarm_names(moto_session) == {f"decoy-{label}" for label in DECOYS}
    assert statuses(run(moto_session, (cloudwatch.ALARMS,))).get("mlops-pr-7-rds-cpu") is None


def test_an_alarm_deleted_meanwhile_counts_as_gone(moto_session: Any) -> None:
    put_alarm(moto_session, "mlops-pr-7-rds-cpu", EXPIRED)

    def gone(_real: Callable[..., Any], **_kw: Any) -> Any:
        raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": "no alarm"}}, "DeleteAlarms")

    results = run(
        moto_session, (cloudwatch.ALARMS,), lambda s, c: Spy(c, [], {"delete_alarms": gone}) if s == "cloudwatch" else c
    )
    assert [(r.status, r.reason) for r in results] == [("deleted", "already gone")]


# --- SNS topics ---------------------------------------------------------------------------------------


def create_topic(session: Any, name: str, tags: dict[str, str]) -> str:
    client = session.client("sns", region_name=REGION)
    arn = str(client.create_topic(Name=name, Attributes={"KmsMasterKeyId": "alias/mlops-pr-7-alerts"}, **({"Tags": kv(tags)} if tags else {}))["TopicArn"])  # fmt: skip
    client.subscribe(TopicArn=arn, Protocol="email", Endpoint="oncall@example.com")
    return arn


def topic_names(session: Any) -> set[str]:
    return {t["TopicArn"].rsplit(":", 1)[-1] for t in session.client("sns", region_name=REGION).list_topics()["Topics"]}


def test_expired_topics_go_with_their_subscriptions_and_decoys_stay(moto_session: Any) -> None:
    arn = create_topic(moto_session, "mlops-pr-7-alerts", EXPIRED)
    for label, tags in DECOYS.items():
        create_topic(moto_session, f"decoy-{label}", tags)
    calls: list[tuple[str, dict[str, Any]]] = []

    results = run(moto_session, (sns.TOPICS,), lambda s, c: Spy(c, calls, {}) if s == "sns" else c)
    assert statuses(results) == {"mlops-pr-7-alerts": "deleted", **marked_kept()}
    assert calls == [("delete_topic", {"TopicArn": arn})]  # one call: the subscriptions go with the topic
    assert topic_names(moto_session) == {f"decoy-{label}" for label in DECOYS}
    client = moto_session.client("sns", region_name=REGION)
    assert [s for s in client.list_subscriptions()["Subscriptions"] if s["TopicArn"] == arn] == []


# --- Budgets ------------------------------------------------------------------------------------------


def create_budget(session: Any, name: str) -> None:
    session.client("budgets", region_name=REGION).create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": name,
            "BudgetLimit": {"Amount": "100", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )


def budget_names(session: Any) -> set[str]:
    found = session.client("budgets", region_name=REGION).describe_budgets(AccountId=ACCOUNT).get("Budgets", [])
    return {b["BudgetName"] for b in found}


def tagged(tags_by_arn: dict[str, dict[str, str]]) -> Callable[..., Any]:
    """ListTagsForResource as AWS answers it (moto does not implement it for Budgets)."""
    return lambda _real, **kw: {"ResourceTags": kv(tags_by_arn.get(kw["ResourceARN"], {}))}


def test_expired_budgets_go_once_for_the_account_and_decoys_stay(moto_session: Any) -> None:
    tags_by_arn = {f"arn:aws:budgets::{ACCOUNT}:budget/mlops-pr-7-monthly": EXPIRED}
    create_budget(moto_session, "mlops-pr-7-monthly")
    for label, tags in DECOYS.items():
        create_budget(moto_session, f"decoy-{label}")
        tags_by_arn[f"arn:aws:budgets::{ACCOUNT}:budget/decoy-{label}"] = tags
    calls: list[tuple[str, dict[str, Any]]] = []
    fakes = {"list_tags_for_resource": tagged(tags_by_arn)}

    def wrap(service: str, client: Any) -> Any:
        return Spy(client, calls, fakes) if service == "budgets" else client

    dry = run(moto_session, (budgets.BUDGETS,), wrap, execute=False)
    assert statuses(dry) == {"mlops-pr-7-monthly": "would-delete", **marked_kept()}
    assert {r.region for r in dry} == {"global"}

    results = run(moto_session, (budgets.BUDGETS,), wrap)
    assert statuses(results) == {"mlops-pr-7-monthly": "deleted", **marked_kept()}
    assert [kw for name, kw in calls if name == "delete_budget"] == [
        {"AccountId": ACCOUNT, "BudgetName": "mlops-pr-7-monthly"}
    ]
    assert budget_names(moto_session) == {f"decoy-{label}" for label in DECOYS}


def test_a_budget_deleted_meanwhile_counts_as_gone_not_failed(moto_session: Any) -> None:
    create_budget(moto_session, "mlops-pr-7-monthly")
    fakes: dict[str, Callable[..., Any]] = {
        "list_tags_for_resource": tagged({f"arn:aws:budgets::{ACCOUNT}:budget/mlops-pr-7-monthly": EXPIRED}),
        "delete_budget": lambda _real, **_kw: (_ for _ in ()).throw(
            ClientError({"Error": {"Code": "NotFoundException", "Message": "gone"}}, "DeleteBudget")
        ),
    }
    results = run(moto_session, (budgets.BUDGETS,), lambda s, c: Spy(c, [], fakes) if s == "budgets" else c)
    assert [(r.status, r.reason) for r in results] == [("deleted", "already gone")]


def test_other_budget_errors_still_fail_the_item() -> None:
    def denied(**_kw: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DeleteBudget")

    try:
        budgets._gone_as_not_found(denied)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDeniedException"
    else:  # pragma: no cover - the call must raise
        raise AssertionError("AccessDeniedException was swallowed")
