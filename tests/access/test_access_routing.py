"""Pure routing: names within ELB limits, model paths that never catch another model's requests, stable rule
priorities, the TargetGroupBinding manifest and the load balancer -> pod flows."""

from __future__ import annotations

import fnmatch

import pytest
from access_testkit import MLFLOW, MLFLOW_API

from components.access import routing
from components.cluster.component import PREDICTORS
from contracts.flows import AwsSource


def test_names_fit_elb_limits_and_keep_the_environment_prefix() -> None:
    assert routing.resource_name("dev", "people") == "dev-people"
    long = routing.resource_name("a-very-long-env-name1", routing.model_role("sentiment-classifier-v2"))
    assert len(long) == 32 and long.startswith(routing.target_group_prefix("a-very-long-env-name1"))
    assert routing.resource_name("a-very-long-env-name1", "m-x" * 20) != long
    with pytest.raises(ValueError, match="is not an ELB name"):
        routing.resource_name("dev", "bad_name")


def test_hosts() -> None:
    assert [routing.host(k, "ml.example.com") for k in ("mlflow", "airflow", "models", "mlflow-api")] == [
        "mlflow.ml.example.com",
        "airflow.ml.example.com",
        "models.ml.example.com",
        "mlflow-api.ml.example.com",
    ]


@pytest.mark.parametrize(
    "path",
    ["/v1/models/churn", "/v1/models/churn:predict", "/v1/models/churn:explain", "/v2/models/churn",
     "/v2/models/churn/ready", "/v2/models/churn/infer", "/v2/models/churn/versions/3/infer"],
)  # fmt: skip
def test_a_model_route_matches_its_protocol_paths(path: str) -> None:
    assert any(fnmatch.fnmatchcase(path, pattern) for pattern in routing.model_paths("churn"))


@pytest.mark.parametrize(
    "path", ["/v1/models/churn-v2:predict", "/v2/models/churn2/infer", "/v1/models", "/v2/health/ready", "/"]
)
def test_a_model_route_never_catches_another_models_requests(path: str) -> None:
    assert not any(fnmatch.fnmatchcase(path, pattern) for pattern in routing.model_paths("churn"))


def test_rule_limits_hold() -> None:
    patterns = routing.model_paths("a" * 45)
    assert len(patterns) <= 5 and sum(p.count("*") for p in patterns) <= 5 and max(map(len, patterns)) <= 128


def test_priorities_are_stable_under_additions_and_collisions_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    first = routing.model_priorities(["churn", "fraud"])
    assert routing.model_priorities(["aardvark", "churn", "fraud"])["churn"] == first["churn"]
    assert all(1000 <= p < 41000 for p in first.values()) and len(set(first.values())) == 2
    monkeypatch.setattr(routing, "MODEL_PRIORITY_SPAN", 1)
    with pytest.raises(ValueError, match="'churn' and 'fraud' get the same listener-rule priority"):
        routing.model_priorities(["churn", "fraud"])


def test_the_binding_is_ip_mode_without_networking() -> None:
    manifest = routing.target_group_binding(
        name="mlflow", namespace="mlflow", service="mlflow", port=5000, target_group_arn="arn:tg", vpc_id="vpc-1"
    )
    assert manifest == {
        "metadata": {"name": "mlflow", "namespace": "mlflow", "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        "spec": {
            "targetGroupARN": "arn:tg",
            "targetType": "ip",
            "serviceRef": {"name": "mlflow", "port": 5000},
            "vpcID": "vpc-1",
        },
    }
    assert "networking" not in manifest["spec"]


def test_flows_from_the_load_balancers_carry_their_subnets() -> None:
    people = AwsSource("alb/people", "sg-people", cidrs=("10.40.200.0/27",))
    (flow,) = routing.people_flows(people, [MLFLOW])
    assert (flow.source, flow.destination, flow.port) == (people, MLFLOW.workload, 5000)
    models = AwsSource("alb/models", "sg-models", cidrs=("10.40.200.0/27",))
    flows = routing.machine_flows(models, predictors=PREDICTORS, predictor_port=8080, mlflow_api=MLFLOW_API)
    assert [(f.destination.name, f.port) for f in flows] == [
        ("serving/predictor", 8080),
        ("mlflow/tracking-server", 5000),
    ]
    assert routing.machine_flows(models, predictors=None, predictor_port=8080, mlflow_api=None) == []
