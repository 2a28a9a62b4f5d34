"""Secrets are only ever shown as "[secret] changed", in every format and from every input."""

from __future__ import annotations

from pathlib import Path

import pytest
from diff_helpers import plan, resource

from mlopsctl.diff import ChangeKind, diff_files, diff_plans, parse_plan, render
from mlopsctl.diff.secrets import SECRET_SIG, SIG_KEY, is_secret_key, mask

FIXTURE = Path(__file__).parent / "fixtures" / "preview-dev.json"
PLAINTEXT = ["Sup3r-s3cret-Passw0rd", "Pl4intext-Leak"]
FORMATS = ("markdown", "json", "text")


def test_masked_secrets_in_plans_show_only_as_changed() -> None:
    rds = "aws:rds/instance:Instance"
    old = resource(rds, "db", {"password": "[secret]", "engine": "postgres", "masterUserPassword": "old-pw-1"})
    new = resource(
        rds,
        "db",
        {"password": "hunter2-now-plain", "engine": "postgres", "masterUserPassword": "new-pw-2", "apiToken": "tok-3"},
    )
    diff = diff_plans(parse_plan(plan([old]), "b"), parse_plan(plan([new]), "h"))
    change = diff.changes[0]
    assert change.kind is ChangeKind.UPDATE
    # Both sides of a masked secret read "[secret]": a plan cannot tell whether the value changed, so
    # only the secret that appears is listed, and without a value.
    assert [(p.path, p.op.value, p.secret, p.before, p.after) for p in change.properties] == [
        ("apiToken", "add", True, None, None),
    ]
    for fmt in FORMATS:
        out = render(diff, fmt)
        for value in ("hunter2-now-plain", "old-pw-1", "new-pw-2", "tok-3"):
            assert value not in out, (fmt, value)
        assert ('"secret": true' if fmt == "json" else "[secret] changed") in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_preview_secrets_never_printed(fmt: str) -> None:
    out = render(diff_files(FIXTURE), fmt)
    for value in PLAINTEXT:
        assert value not in out
    # The RDS password and the secret string, each reported as a changed secret.
    assert out.count('"secret": true' if fmt == "json" else "[secret] changed") == 2


def test_mask_handles_signature_objects_unknowns_and_credential_keys() -> None:
    sig = {SIG_KEY: SECRET_SIG, "plaintext": '"x"'}
    masked = mask(
        {
            "a": sig,
            "b": [sig],
            "c": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            "env": [{"name": "DB_PASSWORD", "value": "literal"}],
            "dbPassword": "p",
            "secretArn": "arn:aws:secretsmanager:us-east-1:1:secret:x",
            "kmsKeyId": "k",
        }
    )
    assert masked["a"] == "[secret]" and masked["b"] == ["[secret]"]
    assert masked["c"] == "[unknown]"
    assert masked["dbPassword"] == "[secret]"
    assert masked["secretArn"].startswith("arn:") and masked["kmsKeyId"] == "k"
    # A name/value pair is not a credential key by itself; plans mask such values upstream.
    assert masked["env"][0]["value"] == "literal"
    assert is_secret_key("master_password") and is_secret_key("privateKeyPem") and not is_secret_key("tokenTtl")


@pytest.mark.parametrize(
    "key", ["fernetKey", "passwd", "webserverSecretKey", "dbPassword", "clientSecret", "apiKey", "privateKeyPem"]
)
def test_the_diff_masks_every_key_the_policy_pack_calls_a_credential(key: str) -> None:
    # One definition (contracts.secrets): a value the pack flags is never shown in a public PR comment.
    from policies.mlops.secrets._match import is_sensitive_key

    assert is_sensitive_key(key)
    assert mask({key: "hunter2-but-longer"}) == {key: "[secret]"}


@pytest.mark.parametrize("key", ["existingSecret", "passwordSecretName", "secretKeyRef", "masterUserSecretArn"])
def test_references_to_credentials_are_not_credentials_on_either_side(key: str) -> None:
    from policies.mlops.secrets._match import is_sensitive_key

    assert not is_sensitive_key(key)
    assert mask({key: "mlflow-db"}) == {key: "mlflow-db"}
