"""Secret rules: literal credentials in Helm values, container env and configuration stores."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import messages, mutate, reg, secret, violations

from policies.mlops.kube import CONFIG_MAP, HELM_RELEASE
from policies.mlops.secrets import config_no_plaintext, container_env_no_plaintext, helm_values_no_plaintext
from policies.mlops.secrets._match import is_sensitive_key

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = {
    "chart": "airflow",
    "version": "1.15.0",
    "values": {
        "webserverSecretKeySecretName": "airflow-webserver",
        "fernetKeySecretName": "airflow-fernet",
        "data": {"metadataSecretName": "airflow-db"},
        "postgresql": {
            "enabled": False,
            "auth": {"existingSecret": "airflow-db", "secretKeys": {"userPasswordKey": "pw"}},
        },
        "config": {"core": {"load_examples": "False"}},
    },
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("values.webserverSecretKey", "s3cr3t-value", "'webserverSecretKey' holds a literal credential"),
        ("values.fernetKey", "ZmVybmV0", "'fernetKey' holds a literal credential"),
        ("values.postgresql.auth.password", secret("hunter2"), "'password' holds a literal credential"),
        ("values.data.metadataConnection", {"pass": "x"}, None),
        (
            "values.extraEnv",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql://airflow:hunter2@db:5432/airflow",
            "URL with an embedded password",
        ),
        ("values.api.token", "{{ .Values.tokenFromEnv }}", None),
        ("values.aws.secretArn", "arn:aws:secretsmanager:eu-west-1:1:secret:x", None),
        ("values.auth.passwordSecretName", "db", None),
    ],
)
def test_helm_values(field: str, value: Any, expected: str | None) -> None:
    assert violations(helm_values_no_plaintext.RULE, reg(HELM_RELEASE, "r", RELEASE)) == []
    found = messages(helm_values_no_plaintext.RULE, reg(HELM_RELEASE, "r", mutate(RELEASE, field, value)))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


POD = {
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "mlflow",
                        "image": "mlflow:2.17.2",
                        "env": [
                            {"name": "MLFLOW_S3_ENDPOINT_URL", "value": "https://s3.eu-west-1.amazonaws.com"},
                            {
                                "name": "DB_PASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": "mlflow-db", "key": "password"}},
                            },
                        ],
                    }
                ]
            }
        }
    }
}
ENV = "spec.template.spec.containers[0].env"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": "DB_PASSWORD", "value": "hunter2"}, "env 'DB_PASSWORD' holds a literal credential"),
        ({"name": "API_TOKEN", "value": "abc"}, "env 'API_TOKEN' holds a literal credential"),
        ({"name": "BACKEND_STORE_URI", "value": "postgresql://mlflow:pw@db/mlflow"}, "embedded password"),
        ({"name": "BACKEND_STORE_URI", "value": "postgresql://mlflow:$(DB_PASSWORD)@db/mlflow"}, None),
        ({"name": "TOKEN_PATH", "value": "/var/run/secrets/token"}, None),
        ({"name": "DB_PASSWORD", "value": ""}, None),
    ],
)
def test_container_env(value: dict[str, Any], expected: str | None) -> None:
    assert violations(container_env_no_plaintext.RULE, reg(DEPLOYMENT, "d", POD)) == []
    found = messages(container_env_no_plaintext.RULE, reg(DEPLOYMENT, "d", mutate(POD, f"{ENV}[1]", value)))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_lambda_environment() -> None:
    fn = "aws:lambda/function:Function"
    clean = {"environment": {"variables": {"BUCKET": "lake", "SECRET_ARN": "arn:aws:secretsmanager:x"}}}
    assert violations(container_env_no_plaintext.RULE, reg(fn, "f", clean)) == []
    leaky = mutate(clean, "environment.variables.SLACK_TOKEN", "xoxb-1")
    assert messages(container_env_no_plaintext.RULE, reg(fn, "f", leaky)) == [
        "environment variable 'SLACK_TOKEN' holds a literal credential"
    ]


def test_config_stores() -> None:
    rule = config_no_plaintext.RULE
    cm = {"metadata": {"namespace": "mlflow"}, "data": {"MLFLOW_TRACKING_URI": "http://mlflow:5000"}}
    assert violations(rule, reg(CONFIG_MAP, "c", cm)) == []
    assert messages(rule, reg(CONFIG_MAP, "c", mutate(cm, "data.aws_secret_access_key", "AKIA..."))) == [
        "data 'aws_secret_access_key' holds a literal credential"
    ]
    mwaa = "aws:mwaa/environment:Environment"
    options = {"airflowConfigurationOptions": {"core.load_examples": "False"}}
    assert violations(rule, reg(mwaa, "m", options)) == []
    leaky = {"airflowConfigurationOptions": {"core.load_examples": "False", "smtp.smtp_password": "pw"}}
    assert messages(rule, reg(mwaa, "m", leaky)) == [
        "airflowConfigurationOptions 'smtp.smtp_password' holds a literal credential"
    ]
    ssm = "aws:ssm/parameter:Parameter"
    assert violations(rule, reg(ssm, "p", {"name": "/mlops/db-password", "type": "SecureString", "value": "x"})) == []
    assert messages(rule, reg(ssm, "p", {"name": "/mlops/db-password", "type": "String", "value": "x"})) == [
        "parameter '/mlops/db-password' looks like a credential but is not a SecureString"
    ]


@pytest.mark.parametrize(
    ("key", "sensitive"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("apiKey", True),
        ("secretKey", True),
        ("clientSecret", True),
        ("existingSecret", False),
        ("passwordSecretName", False),
        ("userPasswordKey", False),
        ("tokenPath", False),
        ("kmsKeyId", False),
        ("secretKeyRef", False),
        ("username", False),
    ],
)
def test_sensitive_key_names(key: str, sensitive: bool) -> None:
    assert is_sensitive_key(key) is sensitive
