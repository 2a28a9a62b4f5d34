"""Observability under the offline engine: the alert channel, the agents and their log groups, the alarms and the
budget, with concrete inputs; one test per validation rule; zero policy violations."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.cluster.identity import OidcIssuer
from components.observability import documents
from components.observability.alarms import DatabaseTarget, WorkloadTarget
from components.observability.component import ClusterTarget, Observability, ObservabilityArgs, WarehouseTarget
from components.observability.config import BudgetConfig, ObservabilityConfig
from components.observability.publishers import alert_publisher_statements
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:mlops-dev-alerts"
OIDC = OidcIssuer(
    provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE",
    issuer_url=f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE",
)
TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}
DATABASES = (
    DatabaseTarget(identifier="dev-tracking-db", instance_class="db.t4g.medium", allocated_storage_gib=20),
    DatabaseTarget(identifier="dev-orchestrator-db", instance_class="db.t4g.medium", allocated_storage_gib=20),
)
CLUSTER = ClusterTarget(name="mlops-dev", oidc=OIDC, ready=[], gpu_instance_types=["g5.xlarge"])
WORKLOADS = (
    WorkloadTarget(name="mlflow", namespace="mlflow", deployment="mlflow"),
    WorkloadTarget(name="airflow-scheduler", namespace="airflow", deployment="airflow-scheduler"),
)


def args(**overrides: Any) -> ObservabilityArgs:
    base = ObservabilityArgs(
        config=ObservabilityConfig(alert_emails=["ml-oncall@example.com", "data-oncall@example.com"]),
        budget=BudgetConfig(monthly_usd=1000),
        environment="dev",
        region=REGION,
        account_id=ACCOUNT,
        cluster=CLUSTER,
        databases=DATABASES,
        warehouse=WarehouseTarget(workgroup_name="dev-warehouse", max_rpu_hours_per_day=64),
        workloads=WORKLOADS,
        airflow_on_cluster=True,
        serving_namespace="serving",
        watched_log_groups={"control-plane": "/aws/eks/mlops-dev/cluster"},
    )
    return replace(base, **overrides)


def graph_of(build: Any, *, gpu: tuple[str, ...] = ("g5.xlarge",), with_cluster: bool = True) -> Graph:
    """Run ``build(cluster)`` (returning ObservabilityArgs) with a provider and a node group to wait for."""

    def program() -> None:
        provider = aws.Provider("aws", region=REGION, default_tags=aws.ProviderDefaultTagsArgs(tags=TAGS))
        opts = pulumi.ResourceOptions(provider=provider)
        node_group = aws.eks.NodeGroup(
            "system-nodes",
            cluster_name="mlops-dev",
            node_role_arn=f"arn:aws:iam::{ACCOUNT}:role/nodes",
            subnet_ids=["subnet-0a", "subnet-0b"],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id="lt-0123", version="1"),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(desired_size=2, max_size=4, min_size=2),
            opts=opts,
        )
        cluster = ClusterTarget(name="mlops-dev", oidc=OIDC, ready=[node_group], gpu_instance_types=gpu)
        built: ObservabilityArgs = build(cluster if with_cluster else None)
        observability = Observability("observability", built, opts=pulumi.ResourceOptions(providers=[provider]))
        pulumi.export("topicArn", observability.topic_arn)
        pulumi.export("keyArn", observability.topic_key_arn)
        pulumi.export("statements", observability.publisher_statements)
        pulumi.export("alarmNames", observability.alarm_names)
        pulumi.export("logGroups", observability.log_group_names)

    return run_program(program, config={"aws:region": REGION})


@pytest.fixture(scope="module")
def full() -> Graph:
    return graph_of(lambda cluster: args(cluster=cluster))


def named(graph: Graph, name: str) -> Registration:
    (match,) = [r for r in graph.resources if r.name == name]
    return match


def of_type(graph: Graph, type_: str) -> list[Registration]:
    return [r for r in graph.resources if r.type == type_]


def test_resource_set(full: Graph) -> None:
    counts = Counter(r.type for r in full.resources if not r.type.startswith("pulumi:"))
    assert counts == {
        "mlops:observability:Observability": 1,
        "aws:kms/key:Key": 2,
        "aws:kms/alias:Alias": 2,
        "aws:sns/topic:Topic": 1,
        "aws:sns/topicSubscription:TopicSubscription": 2,
        "aws:cloudwatch/logGroup:LogGroup": 4,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:eks/addon:Addon": 2,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": 5,
        # 6 RDS + 1 warehouse + 3 cluster + 2 workloads + 2 ingestion + 2 Airflow + 2 KServe + 1 control plane
        "aws:cloudwatch/metricAlarm:MetricAlarm": 19,
        "aws:budgets/budget:Budget": 1,
        "aws:eks/nodeGroup:NodeGroup": 1,
    }


def test_topic_is_encrypted_with_its_own_key_that_alarms_and_budgets_may_use(full: Graph) -> None:
    key, topic = named(full, "observability-alert-key").inputs, named(full, "observability-alerts").inputs
    assert topic["name"] == "mlops-dev-alerts"
    assert topic["kmsMasterKeyId"] == full.outputs["keyArn"]
    assert json.loads(key["policy"]) == json.loads(
        documents.alert_key_policy(account=ACCOUNT, region=REGION, topic_arn=TOPIC)
    )
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    assert json.loads(topic["policy"]) == json.loads(
        documents.alert_topic_policy(account=ACCOUNT, region=REGION, topic_arn=TOPIC)
    )
    assert named(full, "observability-alert-key-alias").inputs["name"] == "alias/mlops-dev-alerts"


def test_email_subscriptions_are_named_by_digest_so_addresses_stay_out_of_urns(full: Graph) -> None:
    subscriptions = of_type(full, "aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == ["data-oncall@example.com", "ml-oncall@example.com"]
    for subscription in subscriptions:
        digest = hashlib.sha256(subscription.inputs["endpoint"].encode()).hexdigest()[:10]
        assert subscription.name == f"observability-alerts-email-{digest}"
        assert "@" not in subscription.urn and subscription.inputs["protocol"] == "email"
        assert subscription.inputs["topic"] == full.outputs["topicArn"]


def test_publisher_statements_scope_the_deterministic_topic_arn_and_its_key(full: Graph) -> None:
    assert full.outputs["statements"] == alert_publisher_statements(TOPIC, full.outputs["keyArn"])


def test_container_insights_log_groups_exist_first_with_retention_and_key(full: Graph) -> None:
    key = named(full, "observability-logs-key")
    assert json.loads(key.inputs["policy"]) == json.loads(
        documents.logs_key_policy(
            account=ACCOUNT, region=REGION, log_group_prefixes=["/aws/containerinsights/mlops-dev/"]
        )
    )
    groups = {g.inputs["name"]: g for g in of_type(full, "aws:cloudwatch/logGroup:LogGroup")}
    assert sorted(groups) == [
        f"/aws/containerinsights/mlops-dev/{s}" for s in ("application", "dataplane", "host", "performance")
    ]
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 30
        assert key.urn in group.property_dependencies["kmsKeyId"]
    addon = named(full, "observability-cloudwatch-addon")
    assert {g.urn for g in groups.values()} <= set(addon.dependencies)


def test_cloudwatch_addon_is_pinned_configured_and_uses_a_scoped_irsa_role(full: Graph) -> None:
    addon = named(full, "observability-cloudwatch-addon")
    assert addon.inputs["addonName"] == "amazon-cloudwatch-observability"
    assert addon.inputs["addonVersion"] == "v4.10.3-eksbuild.1"
    assert json.loads(addon.inputs["configurationValues"]) == {
        "agent": {
            "config": {
                "logs": {
                    "metrics_collected": {
                        "kubernetes": {"enhanced_container_insights": True, "accelerated_compute_metrics": True}
                    }
                }
            }
        }
    }
    role = named(full, "observability-cloudwatch-agent-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert (
        trust[f"oidc.eks.{REGION}.amazonaws.com/id/EXAMPLE:sub"]
        == "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent"
    )
    assert role.urn in addon.property_dependencies["serviceAccountRoleArn"]
    attachment = named(full, "observability-cloudwatch-agent-managed")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    assert attachment.urn in addon.dependencies
    fence = json.loads(named(full, "observability-cloudwatch-agent-policy").inputs["policy"])["Statement"]
    assert fence == [
        {
            "Sid": "StayInClusterRegion",
            "Effect": "Deny",
            "Action": ["cloudwatch:*", "ec2:*", "logs:*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGION}},
        }
    ]


def test_both_addons_wait_for_the_node_groups(full: Graph) -> None:
    nodes = named(full, "system-nodes").urn
    assert nodes in named(full, "observability-cloudwatch-addon").dependencies
    metrics_server = named(full, "observability-metrics-server")
    assert nodes in metrics_server.dependencies
    assert (metrics_server.inputs["addonName"], metrics_server.inputs["addonVersion"]) == (
        "metrics-server",
        "v0.8.1-eksbuild.5",
    )


def test_without_a_gpu_pool_the_agent_does_not_scrape_dcgm() -> None:
    graph = graph_of(lambda cluster: args(cluster=cluster), gpu=())
    config = json.loads(named(graph, "observability-cloudwatch-addon").inputs["configurationValues"])
    assert config["agent"]["config"]["logs"]["metrics_collected"]["kubernetes"]["accelerated_compute_metrics"] is False


def test_every_alarm_notifies_the_topic_and_links_its_runbook(full: Graph) -> None:
    alarms = of_type(full, "aws:cloudwatch/metricAlarm:MetricAlarm")
    assert sorted(a.inputs["name"] for a in alarms) == sorted(full.outputs["alarmNames"])
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [full.outputs["topicArn"]] == alarm.inputs["okActions"]
        assert alarm.inputs["actionsEnabled"] is True
        assert alarm.inputs["name"].startswith("mlops-dev-")
        assert "Runbook: docs/operations.md#" in alarm.inputs["alarmDescription"]
    by_name = {a.inputs["name"]: a.inputs for a in alarms}
    cpu = by_name["mlops-dev-rds-dev-tracking-db-cpu"]
    assert (cpu["namespace"], cpu["metricName"], cpu["dimensions"]) == (
        "AWS/RDS",
        "CPUUtilization",
        {"DBInstanceIdentifier": "dev-tracking-db"},
    )
    error_rate = by_name["mlops-dev-kserve-error-rate"]
    assert "metricName" not in error_rate
    queries = {q["id"]: q for q in error_rate["metricQueries"]}
    assert queries["e1"]["expression"] == "IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)"
    assert queries["e1"]["returnData"] is True and queries["requests"]["returnData"] is False
    assert queries["errors"]["metric"] == {
        "namespace": "MLOps/dev", "metricName": "KServeServerErrors", "stat": "Sum", "period": 300
    }  # fmt: skip
    assert by_name["mlops-dev-logs-control-plane-ingestion"]["dimensions"] == {
        "LogGroupName": "/aws/eks/mlops-dev/cluster"
    }


def test_metric_filters_read_the_application_log_group_into_the_environment_namespace(full: Graph) -> None:
    application = named(full, "observability-logs-application")
    filters = of_type(full, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert sorted(f.inputs["metricTransformation"]["name"] for f in filters) == [
        "AirflowDagRunFailures", "AirflowTaskFailures", "KServeRequests", "KServeServerErrors", "KServeSlowPredictions"
    ]  # fmt: skip
    for metric_filter in filters:
        assert metric_filter.inputs["logGroupName"] == "/aws/containerinsights/mlops-dev/application"
        assert application.urn in metric_filter.property_dependencies["logGroupName"]
        assert metric_filter.inputs["metricTransformation"]["namespace"] == "MLOps/dev"


def test_budget_alerts_the_topic_on_actual_and_forecast_spend(full: Graph) -> None:
    budget = named(full, "observability-budget")
    inputs = budget.inputs
    assert (inputs["name"], inputs["budgetType"], inputs["timeUnit"]) == ("mlops-dev-monthly", "COST", "MONTHLY")
    assert (inputs["limitAmount"], inputs["limitUnit"]) == ("1000.00", "USD")
    assert "costFilters" not in inputs
    assert [(n["notificationType"], n["threshold"]) for n in inputs["notifications"]] == [
        ("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)
    ]  # fmt: skip
    for notification in inputs["notifications"]:
        assert notification["subscriberSnsTopicArns"] == [full.outputs["topicArn"]]
        assert (notification["comparisonOperator"], notification["thresholdType"]) == ("GREATER_THAN", "PERCENTAGE")
    assert named(full, "observability-alerts").urn in budget.dependencies


def test_environment_scoped_budget_filters_on_the_environment_tag() -> None:
    budget = BudgetConfig(monthly_usd=500, scope="environment")
    graph = graph_of(lambda cluster: args(cluster=cluster, budget=budget))
    assert named(graph, "observability-budget").inputs["costFilters"] == [
        {"name": "TagKeyValue", "values": ["user:environment$dev"]}
    ]


def test_without_a_cluster_or_budget_only_the_channel_and_the_aws_alarms_remain() -> None:
    graph = graph_of(
        lambda _cluster: args(
            cluster=None, budget=None, workloads=(), airflow_on_cluster=False, serving_namespace=None
        ),
        with_cluster=False,
    )
    types = Counter(r.type for r in graph.resources)
    assert types["aws:eks/addon:Addon"] == types["aws:cloudwatch/logGroup:LogGroup"] == 0
    assert types["aws:budgets/budget:Budget"] == 0
    assert types["aws:cloudwatch/metricAlarm:MetricAlarm"] == 6 + 1 + 1  # databases, warehouse, control plane
    assert graph.outputs["logGroups"] == {}


def test_phoenix_keys_can_go_within_the_shortest_window() -> None:
    graph = graph_of(lambda cluster: args(cluster=cluster, environment="pr-42"))
    assert named(graph, "observability-alert-key").inputs["deletionWindowInDays"] == 7
    assert named(graph, "observability-logs-key").inputs["deletionWindowInDays"] == 7


def test_the_policy_pack_finds_nothing(full: Graph) -> None:
    report = evaluate(full, today=datetime.date(2026, 12, 7))
    assert [(v.policy, v.message) for v in report.violations] == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"config": ObservabilityConfig(enabled=False)}, "mlops:observability.enabled is false"),
        ({"environment": "Dev"}, "environment 'Dev' must match"),
        ({"region": "europe"}, "is not an AWS region"),
        ({"account_id": "12345"}, "not a 12-digit AWS account id"),
        ({"databases": (DATABASES[0], DATABASES[0])}, "identifiers repeat"),
        ({"cluster": None}, "need the cluster"),
        ({"watched_log_groups": {"x": "aws/eks"}}, "is not a log group name"),
    ],
)
def test_invalid_args_are_refused_before_anything_exists(overrides: dict[str, Any], message: str) -> None:
    from components.observability.component import validate_args

    with pytest.raises(ValueError, match=message):
        validate_args(args(**overrides))


def test_gpu_types_without_a_dcgm_exporter_are_refused() -> None:
    from components.observability.component import validate_args

    cluster = ClusterTarget(name="mlops-dev", oidc=OIDC, ready=[], gpu_instance_types=["g7.xlarge"])
    with pytest.raises(ValueError, match=r"GPU instance types \['g7.xlarge'\]"):
        validate_args(args(cluster=cluster))
