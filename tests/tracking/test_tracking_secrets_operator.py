"""External Secrets Operator pieces: chart values, store policy, ExternalSecret / PushSecret / generator specs."""

from __future__ import annotations

import pytest
from document_checks import statements, wildcard_problems

from components.cluster.secrets_operator import (
    RemoteValue,
    external_secret_spec,
    operator_values,
    password_generator_spec,
    push_secret_spec,
    secret_store_spec,
    store_policy,
)

SECRET_A = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-a-AbCdEf"
SECRET_B = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dev/mlflow/admin-password-x-AbCdEf"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/db"


def test_operator_values_disable_cluster_scoped_features() -> None:
    values = operator_values()
    assert values["installCRDs"] is True
    assert values["crds"] == {
        "createClusterExternalSecret": False,
        "createClusterSecretStore": False,
        "createClusterGenerator": False,
        "createClusterPushSecret": False,
    }
    for key in (
        "processClusterExternalSecret",
        "processClusterStore",
        "processClusterGenerator",
        "processClusterPushSecret",
    ):
        assert values[key] is False
    assert values["serviceAccount"]["annotations"] == {}  # the controller itself has no AWS role


def test_operator_pods_are_restricted() -> None:
    values = operator_values(replicas=2)
    assert values["leaderElect"] is True and values["replicaCount"] == 2
    for component in (values, values["webhook"], values["certController"]):
        context = component["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_store_authenticates_as_its_own_service_account() -> None:
    assert secret_store_spec("eu-west-1") == {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": "eu-west-1",
                "auth": {"jwt": {"serviceAccountRef": {"name": "secrets-sync"}}},
            }
        }
    }


def test_store_policy_is_scoped() -> None:
    policy = store_policy([SECRET_A, SECRET_B], [SECRET_B], [KEY])
    assert wildcard_problems(policy) == []
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["ReadSyncedSecrets"]["Resource"] == sorted([SECRET_A, SECRET_B])
    assert by_sid["WriteGeneratedSecrets"]["Resource"] == [SECRET_B]
    assert "secretsmanager:CreateSecret" not in by_sid["WriteGeneratedSecrets"]["Action"]
    assert by_sid["SecretsKey0"]["Resource"] == [KEY]
    assert "kms:GenerateDataKey*" in by_sid["SecretsKey0"]["Action"]


def test_read_only_store_cannot_encrypt() -> None:
    by_sid = {s["Sid"]: s for s in statements(store_policy([SECRET_A], [], [KEY]))}
    assert "WriteGeneratedSecrets" not in by_sid
    assert by_sid["SecretsKey0"]["Action"] == ["kms:Decrypt", "kms:DescribeKey"]


def test_store_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        store_policy([], [], [KEY])
    with pytest.raises(ValueError, match="written but not read"):
        store_policy([SECRET_A], [SECRET_B], [KEY])


def test_external_secret_renders_only_templated_keys() -> None:
    body = external_secret_spec(
        target="creds",
        values=[RemoteValue("username", SECRET_A, "username"), RemoteValue("admin", SECRET_B)],
        template={"login": "{{ .username }}"},
    )
    assert body["target"]["template"]["mergePolicy"] == "Replace"
    assert body["target"]["template"]["engineVersion"] == "v2"
    assert body["target"]["creationPolicy"] == "Owner"
    assert body["data"] == [
        {"secretKey": "username", "remoteRef": {"key": SECRET_A, "property": "username"}},
        {"secretKey": "admin", "remoteRef": {"key": SECRET_B}},
    ]


def test_push_secret_writes_once_and_keeps_tags() -> None:
    body = push_secret_spec(generator="gen", remote_key=SECRET_B, kms_key_arn=KEY, tags={"owner": "t"})
    assert body["updatePolicy"] == "IfNotExists"
    assert body["deletionPolicy"] == "None"
    assert body["selector"]["generatorRef"]["kind"] == "Password"
    metadata = body["data"][0]["metadata"]["spec"]
    assert metadata == {"secretPushFormat": "string", "kmsKeyID": KEY, "tags": {"owner": "t"}}
    with pytest.raises(ValueError, match="managed-by"):
        push_secret_spec(generator="g", remote_key=SECRET_B, kms_key_arn=KEY, tags={"managed-by": "x"})


def test_generated_passwords_are_long_and_need_no_escaping() -> None:
    body = password_generator_spec(40)
    assert body["length"] == 40 and body["symbols"] == 0
    with pytest.raises(ValueError, match="at least 24"):
        password_generator_spec(12)
