"""Exemptions from stack config and code: valid ones suppress and are listed, bad ones are violations."""

from __future__ import annotations

from datetime import date
from typing import Any

from policy_testkit import TODAY, graph, reg, urn

from mlopsctl.policy import evaluate
from policies.mlops.exemption import exemption, from_stack_config
from policies.mlops.kms import key_rotation
from policies.mlops.policy import exemption_valid

KEY = "aws:kms/key:Key"
BAD_KEY = reg(KEY, "legacy-key", {"enableKeyRotation": False})
RULES = [key_rotation.RULE, exemption_valid.RULE]


def entry(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "EX-1",
        "policy": "kms-key-rotation",
        "resource": "legacy-key",
        "reason": "Imported key shared with the legacy pipeline; rotation breaks its clients.",
        "expires": "2026-12-31",
    }
    return {**base, **overrides}


def evaluate_with(*entries: dict[str, Any], code: tuple = ()) -> Any:
    config = {"mlops:policy": {"exemptions": list(entries)}}
    return evaluate(graph(BAD_KEY, config=config), today=TODAY, rules=RULES, code_exemptions=code)


def test_valid_exemption_suppresses_and_is_listed() -> None:
    report = evaluate_with(entry())
    assert report.violations == ()
    assert report.to_json()["exemptions"] == [
        {
            "id": "EX-1",
            "policy": "kms-key-rotation",
            "resource": "legacy-key",
            "reason": entry()["reason"],
            "expires": "2026-12-31",
            "source": "stack config mlops:policy",
            "status": "active",
            "suppressed": [urn(KEY, "legacy-key")],
        }
    ]


def test_exemption_by_full_urn_and_last_day_inclusive() -> None:
    report = evaluate_with(entry(resource=urn(KEY, "legacy-key"), expires=TODAY.isoformat()))
    assert report.violations == ()


def test_expired_exemption_stops_applying_and_is_a_violation() -> None:
    report = evaluate_with(entry(expires="2026-11-22"))
    assert sorted(v.policy for v in report.violations) == ["kms-key-rotation", "policy-exemption-valid"]
    problem = next(v for v in report.violations if v.policy == "policy-exemption-valid")
    assert problem.message == "exemption EX-1 (stack config mlops:policy) expired on 2026-11-22"
    assert problem.level == "mandatory" and problem.urn == urn(KEY, "legacy-key")
    assert report.to_json()["exemptions"][0]["status"] == "expired"


def test_reasonless_exemption_is_a_violation() -> None:
    for reasonless in (entry(reason=""), entry(reason="   "), {k: v for k, v in entry().items() if k != "reason"}):
        report = evaluate_with(reasonless)
        assert [v.message for v in report.violations if v.policy == "policy-exemption-valid"] == [
            "exemption EX-1 (stack config mlops:policy) has no reason"
        ]
        assert [v.policy for v in report.violations if v.policy == "kms-key-rotation"] == ["kms-key-rotation"]
        assert report.to_json()["exemptions"][0]["status"] == "invalid"


def test_malformed_exemptions_name_the_offending_key() -> None:
    report = evaluate_with(entry(expires="next year"), {"id": "EX-2", "policy": "kms-key-rotation"}, "junk")
    found = sorted(v.message for v in report.violations if v.policy == "policy-exemption-valid")
    assert found == [
        "exemption <stack config mlops:policy.exemptions[2]> (stack config mlops:policy) "
        "stack config mlops:policy.exemptions[2] must be an object with keys id, policy, resource, reason, expires",
        "exemption EX-1 (stack config mlops:policy) stack config mlops:policy.exemptions[0]: "
        "expires 'next year' is not a date (YYYY-MM-DD)",
        "exemption EX-2 (stack config mlops:policy) has no reason",
        "exemption EX-2 (stack config mlops:policy) stack config mlops:policy.exemptions[1]: missing key 'expires'",
        "exemption EX-2 (stack config mlops:policy) stack config mlops:policy.exemptions[1]: missing key 'resource'",
    ]


def test_unknown_policy_and_unexemptable_rule() -> None:
    report = evaluate_with(entry(policy="no-such-rule"), entry(id="EX-3", policy="policy-exemption-valid"))
    found = sorted(v.message for v in report.violations if v.policy == "policy-exemption-valid")
    assert found == [
        "exemption EX-1 (stack config mlops:policy) names unknown policy 'no-such-rule'",
        "exemption EX-3 (stack config mlops:policy) policy-exemption-valid cannot be exempted",
    ]


def test_code_exemptions_apply_and_are_listed() -> None:
    code = (
        exemption(
            id="EX-C", policy="kms-key-rotation", resource="legacy-key", reason="Shared key.", expires="2027-01-31"
        ),
    )
    report = evaluate(graph(BAD_KEY), today=TODAY, rules=RULES, code_exemptions=code)
    assert report.violations == ()
    assert [(e["id"], e["source"], e["status"]) for e in report.exemptions] == [("EX-C", "code", "active")]
    expired = evaluate(graph(BAD_KEY), today=date(2027, 2, 1), rules=RULES, code_exemptions=code)
    assert sorted(v.policy for v in expired.violations) == ["kms-key-rotation", "policy-exemption-valid"]


def test_exemption_for_other_resource_does_not_apply() -> None:
    report = evaluate_with(entry(resource="another-key"))
    assert [v.policy for v in report.violations] == ["kms-key-rotation"]
    assert report.exemptions[0]["suppressed"] == []


def test_bad_config_shapes_never_raise() -> None:
    assert from_stack_config({}) == ()
    assert from_stack_config({"mlops:policy": "{not json"})[0].problems == ("mlops:policy is not a JSON/YAML object",)
    assert from_stack_config({"mlops:policy": {"exemptions": {}}})[0].problems == (
        "mlops:policy.exemptions must be a list",
    )
    assert from_stack_config({"mlops:policy": '{"exemptions": []}'}) == ()
