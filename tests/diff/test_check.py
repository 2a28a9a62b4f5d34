"""`mlopsctl check PLAN.json` and `mlopsctl diff` of plan files: both re-evaluate a plan's resources and never
believe the `policy` section the document carries (issue #21, "Bad input never hurts").

Plans come from the shipped stacks through the session's planned graphs (tests/conftest.py); each test edits
one thing in the JSON, as a person or a script could.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.wire import SECRET_SIG, SIG_KEY
from mlopsctl.cli import app
from mlopsctl.engine import Graph
from mlopsctl.plan import build_plan
from mlopsctl.plan_check import check_plan, graph_from_plan
from mlopsctl.report import PlanReport

Doc = dict[str, Any]
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.fixture(scope="module")
def dev_doc(dev_graph: Graph) -> Doc:
    """The dev stack's plan document exactly as `mlopsctl plan --format json` writes it (JSON round trip)."""
    return json.loads(json.dumps(PlanReport.evaluate(dev_graph).plan_document()))


@pytest.fixture(scope="module")
def baseline(dev_doc: Doc, tmp_path_factory: pytest.TempPathFactory) -> Doc:
    """`mlopsctl check --format json` of the untouched dev plan: each weakening is judged against it."""
    return _check_json(_write(tmp_path_factory.mktemp("baseline"), dev_doc))[1]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def _write(tmp_path: Path, doc: Any, name: str = "plan.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _check_json(path: Path, *extra: str) -> tuple[int, Doc]:
    code, out, err = _run("check", str(path), "--format", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


def _mandatory(report: Doc) -> list[Doc]:
    return [v for v in report["policy"]["violations"] if v["level"] == "mandatory"]


def _unexpected(report: Doc) -> set[tuple[str, str]]:
    return {(r["source"], r["destination"]) for r in report["connectivity"]["rows"] if r["status"] == "unexpected"}


# --- the round trip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_a_plan_document_checks_exactly_like_the_graph_it_was_written_from(
    stack: str, graph_of: Callable[[str], Graph]
) -> None:
    graph = graph_of(stack)
    planned = PlanReport.evaluate(graph)
    doc = json.loads(json.dumps(planned.plan_document()))
    checked = check_plan(doc, f"{stack}.json")
    assert checked.policy.violations == planned.policy.violations
    assert checked.policy.not_applicable == planned.policy.not_applicable  # unknowns and secrets read the same
    assert len(planned.policy.not_applicable) > 0
    assert checked.connectivity == planned.connectivity
    assert checked.deploy == planned.deploy
    assert checked.cost == planned.cost
    rebuilt = graph_from_plan(doc, f"{stack}.json")
    assert build_plan(rebuilt) == build_plan(graph)
    assert {key: json.loads(value) if value[:1] in "{[" else value for key, value in rebuilt.config.items()} == {
        key: json.loads(value) if value[:1] in "{[" else value for key, value in graph.config.items()
    }


def test_markers_go_back_to_the_wire_form_the_analyzer_reads(dev_doc: Doc) -> None:
    graph = graph_from_plan(dev_doc, "dev.json")
    provider = next(r for r in graph.resources if r.type == "pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.wire_json["kubeconfig"] == {SIG_KEY: SECRET_SIG, "value": "[secret]"}
    bucket = next(r for r in graph.resources if r.type == "aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False and bucket.wire_json["forceDestroy"] is False
    retention = next(r for r in graph.resources if "retentionInDays" in r.inputs)
    assert isinstance(retention.inputs["retentionInDays"], int)
    assert isinstance(retention.wire_json["retentionInDays"], float)  # wire numbers are doubles


# --- check: hand-edited weakenings are reported ---------------------------------------------------------


def _first(doc: Doc, type_: str, where: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    """The first resource of a type whose inputs match: chosen by meaning, not by a name the program may change."""
    return next(r for r in doc["resources"] if r["type"] == type_ and where(r["inputs"]))


def _db_ingress_from_world(doc: Doc) -> str:
    rule = _first(doc, INGRESS_RULE, lambda i: i.get("fromPort") == 5432 and "referencedSecurityGroupId" in i)
    rule["inputs"].pop("referencedSecurityGroupId")
    rule["propertyDependencies"].pop("referencedSecurityGroupId", None)
    rule["inputs"]["cidrIpv4"] = "0.0.0.0/0"
    return str(rule["urn"])


def _sse_kms_without_key(doc: Doc) -> str:
    config = _first(
        doc, SSE, lambda i: i["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    )
    config["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"] = {"sseAlgorithm": "aws:kms"}
    return str(config["urn"])


def _kms_policy_open_to_everyone(doc: Doc) -> str:
    key = _first(doc, "aws:kms/key:Key", lambda i: "policy" in i)
    policy = json.loads(key["inputs"]["policy"])
    policy["Statement"].append({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
    key["inputs"]["policy"] = json.dumps(policy)
    return str(key["urn"])


def _log_retention_removed(doc: Doc) -> str:
    group = _first(doc, "aws:cloudwatch/logGroup:LogGroup", lambda i: "retentionInDays" in i)
    group["inputs"].pop("retentionInDays")
    return str(group["urn"])


def _default_deny_removed(doc: Doc) -> str:
    deny = _first(doc, NETWORK_POLICY, lambda i: i["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    doc["resources"].remove(deny)
    return str(deny["inputs"]["metadata"]["namespace"])


@pytest.mark.parametrize(
    ("weaken", "policy"),
    [
        (_db_ingress_from_world, "ec2-security-group-no-public-ingress"),
        (_sse_kms_without_key, "s3-bucket-sse-kms"),
        (_kms_policy_open_to_everyone, "kms-key-policy-no-public-access"),
        (_log_retention_removed, "cloudwatch-log-group-retention"),
        (_default_deny_removed, "k8s-namespace-default-deny"),
    ],
    ids=["db-sg-from-world", "sse-kms-without-key", "kms-policy-public", "log-retention", "default-deny-removed"],
)
def test_check_reports_a_hand_edited_weakening(
    dev_doc: Doc, baseline: Doc, tmp_path: Path, weaken: Callable[[Doc], str], policy: str
) -> None:
    assert policy not in {v["policy"] for v in _mandatory(baseline)}
    doc = copy.deepcopy(dev_doc)
    culprit = weaken(doc)
    code, report = _check_json(_write(tmp_path, doc))
    assert code == 1 and report["ok"] is False
    found = [v for v in _mandatory(report) if v["policy"] == policy]
    assert found, report["policy"]["violations"]
    if culprit.startswith("urn:"):
        assert culprit in {v["urn"] for v in found}
    else:  # the namespace left without a default deny is named
        assert any(culprit in v["message"] for v in found), found


def test_check_reports_a_network_policy_opened_to_the_internet(dev_doc: Doc, baseline: Doc, tmp_path: Path) -> None:
    doc = copy.deepcopy(dev_doc)
    policy = _first(
        doc, NETWORK_POLICY, lambda i: bool(i["spec"].get("egress")) and i["metadata"]["namespace"] == "serving"
    )
    policy["inputs"]["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
    code, report = _check_json(_write(tmp_path, doc))
    assert code == 1  # connectivity alone is a finding (a rule on wide egress may report it too)
    new = _unexpected(report) - _unexpected(baseline)
    assert new and all(source.startswith("serving/") and destination == "internet" for source, destination in new)
    assert "connectivity differs" in report["verdict"]


def test_check_never_believes_the_plans_own_policy_section(dev_doc: Doc, baseline: Doc, tmp_path: Path) -> None:
    weakened = copy.deepcopy(dev_doc)
    culprit = _sse_kms_without_key(weakened)
    weakened["policy"] = {"pack": "mlops-platform", "violations": [], "exemptions": []}  # "all clean"
    code, report = _check_json(_write(tmp_path, weakened))
    assert code == 1 and ("s3-bucket-sse-kms", culprit) in {(v["policy"], v["urn"]) for v in _mandatory(report)}
    found = len(_mandatory(baseline)) + 1
    assert report["notes"] == [
        f"the plan's own policy section lists 0 mandatory violation(s); re-evaluated from its resources: {found} "
        "(the section is stale or was edited)"
    ]
    accused = copy.deepcopy(dev_doc)
    accused["policy"]["violations"] = [
        {"policy": "s3-bucket-sse-kms", "level": "mandatory", "severity": "high", "urn": culprit, "message": "made up"}
    ]
    code, report = _check_json(_write(tmp_path, accused))
    assert (code, report["policy"]["violations"]) == (int(not baseline["ok"]), baseline["policy"]["violations"])
    assert len(report["notes"]) == 1


def test_policy_pack_config_sets_levels_as_in_plan(dev_doc: Doc, baseline: Doc, tmp_path: Path) -> None:
    doc = copy.deepcopy(dev_doc)
    culprit = _sse_kms_without_key(doc)
    config = tmp_path / "pack.json"
    config.write_text(json.dumps({"s3-bucket-sse-kms": "advisory"}))
    code, report = _check_json(_write(tmp_path, doc), "--policy-pack-config", str(config))
    assert code == int(not baseline["ok"])
    assert {"policy": "s3-bucket-sse-kms", "level": "advisory", "urn": culprit} in [
        {key: v[key] for key in ("policy", "level", "urn")} for v in report["policy"]["violations"]
    ]


def test_check_agrees_with_plan_in_every_format(dev_graph: Graph, dev_doc: Doc, tmp_path: Path) -> None:
    planned = PlanReport.evaluate(dev_graph)
    expected = 1 if planned.has_findings else 0  # `mlopsctl plan --stack dev`'s exit code
    path = _write(tmp_path, dev_doc)
    code, out, _ = _run("check", str(path))
    assert code == expected
    flat = " ".join(out.split())  # the terminal view wraps at the console width
    assert flat.startswith(f"{path}: mlops-platform / stack dev ({len(dev_graph.resources)} resources)")
    assert "Connectivity:" in flat and "Deploy invariants:" in flat
    assert flat.endswith("clean: no mandatory violation, connectivity as declared") is not planned.has_findings
    code, out, _ = _run("check", str(path), "-f", "markdown")
    assert code == expected and out.startswith(f"## `mlopsctl check` of `{path}` · stack `dev`")
    assert "### Policy pack `mlops-platform`" in out and "### Deploy invariants" in out
    code, out, _ = _run("check", str(path), "-f", "sarif")
    sarif = json.loads(out)
    assert code == expected and sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == len(planned.policy.violations)
    target = tmp_path / "report.json"
    code, out, _ = _run("check", str(path), "-f", "json", "--out", str(target))
    report = json.loads(target.read_text())
    assert code == expected and out == ""
    assert report["schema"] == "mlops-check/1" and report["stack"] == "dev" and report["ok"] is not planned.has_findings
    assert report["connectivity"] == planned.connectivity.to_json()
    assert report["deploy"] == json.loads(json.dumps(planned.deploy.to_json()))
    assert report["policy"] == json.loads(json.dumps(planned.policy.to_json()))


def test_sarif_locates_findings_at_the_plan_file(dev_doc: Doc, tmp_path: Path) -> None:
    doc = copy.deepcopy(dev_doc)
    culprit = _sse_kms_without_key(doc)
    path = _write(tmp_path, doc)
    code, out, _ = _run("check", str(path), "-f", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    (result,) = [r for r in results if r["ruleId"] == "s3-bucket-sse-kms"]
    assert code == 1 and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(path)
    assert culprit in json.dumps(result["locations"])


# --- check: bad input is exit 2, naming the file and the JSON path --------------------------------------


def _edit(fn: Callable[[Doc], Any]) -> Callable[[Doc], Doc]:
    def apply(doc: Doc) -> Doc:
        doc = copy.deepcopy(doc)
        fn(doc)
        return doc

    return apply


def _set(path: str, value: Any) -> Callable[[Doc], Doc]:
    """Set a dotted path (`resources.3.inputs`) of the document."""

    def apply(doc: Doc) -> None:
        *steps, last = path.split(".")
        target: Any = doc
        for step in steps:
            target = target[int(step)] if isinstance(target, list) else target[step]
        target[int(last) if isinstance(target, list) else last] = value

    return _edit(apply)


BAD_DOCUMENTS: list[tuple[str, Callable[[Doc], Any], str]] = [
    ("array", lambda _: [], "expected a plan (a JSON object), got an array"),
    ("preview", lambda _: {"steps": []}, "not a plan: no 'schema' key (this is `pulumi preview --json` output)"),
    ("schema", _set("schema", "mlops-plan/0"), "schema: 'mlops-plan/0'; expected 'mlops-plan/1'"),
    ("no-resources", _edit(lambda d: d.pop("resources")), "$.resources: missing"),
    ("resources-object", _set("resources", {}), "$.resources: expected an array, got an object"),
    ("resource-string", _set("resources.4", "x"), "resources[4]: expected an object, got a string"),
    ("inputs-array", _set("resources.3.inputs", []), "resources[3].inputs: expected an object, got an array"),
    ("custom-string", _set("resources.0.custom", "yes"), "resources[0].custom: expected a boolean, got a string"),
    ("dependency-number", _set("resources.1.dependencies", [1]), "resources[1].dependencies[0]: expected a string"),
    (
        "property-dependencies",
        _set("resources.1.propertyDependencies", {"vpcId": "urn"}),
        "resources[1].propertyDependencies.vpcId: expected an array, got a string",
    ),
    ("duplicate-urn", _edit(lambda d: d["resources"].append(d["resources"][0])), ".urn: duplicate URN urn:pulumi:dev"),
    (
        "wire-signature",
        _set("resources.2.inputs.tags", {SIG_KEY: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "x"}),
        "resources[2].inputs.tags: a Pulumi wire signature object",
    ),
    ("huge-number", _set("resources.2.inputs.size", 10**400), "resources[2].inputs.size: number 1000000000"),
    ("config-signature", _set("config.mlops:owner", {SIG_KEY: SECRET_SIG}), "config.mlops:owner: a Pulumi wire"),
    (
        "flows-shape",
        _set("outputs.zeroTrustFlows", ["x"]),
        "the connectivity check cannot read this plan: AttributeError",
    ),
    (
        "budget-shape",
        _set("config.mlops:budget", "lots"),
        "the budget check cannot use this plan: mlops:budget: expected",
    ),
]


@pytest.mark.parametrize(
    ("edit", "message"), [(e, m) for _, e, m in BAD_DOCUMENTS], ids=[i for i, _, _ in BAD_DOCUMENTS]
)
def test_a_document_that_is_not_a_plan_exits_2_naming_file_and_path(
    dev_doc: Doc, tmp_path: Path, edit: Callable[[Doc], Any], message: str
) -> None:
    path = _write(tmp_path, edit(dev_doc))
    code, out, err = _run("check", str(path))
    assert code == 2, out + err
    assert err.startswith(f"error: {path}") and message in err
    assert out == ""


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: [str(d / "missing.json")], "missing.json: no such file"),
        (lambda d: [str(d)], "is a directory, not a plan file"),
        (lambda d: [str(_text(d / "bad.json", '{"schema": '))], "bad.json: not valid JSON (line 1, column 12"),
        (lambda d: [str(_text(d / "deep.json", "[" * 100_000))], "deep.json: JSON nested too deeply"),
        (lambda d: [str(_text(d / "latin.json", "\xe9"))], "latin.json: cannot read: 'utf-8' codec"),
        (lambda d: [str(_text(d / "ok.json", "{}")), "--format", "html"], "'html' is not one of"),
        (
            lambda d: [str(_text(d / "ok.json", "{}")), "--policy-pack-config", str(_text(d / "pc.json", "nope"))],
            "pc.json: not JSON: line 1",
        ),
        (lambda d: [str(_text(d / "ok.json", "{}")), "--out", str(d / "nowhere" / "r.json")], "does not exist"),
    ],
)
def test_unreadable_input_and_bad_options_exit_2(
    tmp_path: Path, setup: Callable[[Path], list[str]], message: str
) -> None:
    code, out, err = _run("check", *setup(tmp_path))
    assert code == 2, out + err
    assert message in err


def test_unknown_rule_in_pack_config_names_the_file(dev_doc: Doc, tmp_path: Path) -> None:
    config = _text(tmp_path / "pc.json", '{"no-such-rule": "advisory"}')
    code, _, err = _run("check", str(_write(tmp_path, dev_doc)), "--policy-pack-config", str(config))
    assert code == 2 and f"--policy-pack-config {config}: policy config: unknown policy 'no-such-rule'" in err


def _text(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("latin-1"))
    return path


# --- diff: both sides re-evaluated ----------------------------------------------------------------------


def _diff_json(base: Path, head: Path) -> tuple[int, Doc]:
    code, out, err = _run("diff", str(base), str(head), "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def test_diff_shows_violations_a_tampered_head_hides(dev_doc: Doc, tmp_path: Path) -> None:
    head = copy.deepcopy(dev_doc)
    culprit = _sse_kms_without_key(head)
    head["policy"] = {"pack": "mlops-platform", "violations": [], "exemptions": []}  # the section says "all clean"
    code, diff = _diff_json(_write(tmp_path, dev_doc, "base.json"), _write(tmp_path, head, "head.json"))
    assert code == 1
    assert [(v["policy"], v["urn"]) for v in diff["policy"]["new"]] == [("s3-bucket-sse-kms", culprit)]


def test_diff_ignores_violations_the_sections_merely_claim(dev_doc: Doc, tmp_path: Path) -> None:
    weakened = copy.deepcopy(dev_doc)
    culprit = _sse_kms_without_key(weakened)
    claim = {"policy": "s3-bucket-sse-kms", "level": "mandatory", "severity": "high", "urn": culprit, "message": "m"}
    head = copy.deepcopy(dev_doc)
    head["policy"]["violations"] = [claim]
    code, diff = _diff_json(_write(tmp_path, dev_doc, "base.json"), _write(tmp_path, head, "head.json"))
    assert code == 0 and diff["policy"]["new"] == [] and diff["policy"]["fixed"] == []
    # A BASE that claims the violation already existed cannot make HEAD's real one look unchanged.
    base = copy.deepcopy(dev_doc)
    base["policy"]["violations"] = [claim]
    code, diff = _diff_json(_write(tmp_path, base, "base.json"), _write(tmp_path, weakened, "head.json"))
    assert code == 1 and [v["policy"] for v in diff["policy"]["new"]] == ["s3-bucket-sse-kms"]
    assert culprit not in {v["urn"] for v in diff["policy"]["unchanged"]}


def test_diff_of_a_plan_that_cannot_be_evaluated_exits_2(dev_doc: Doc, tmp_path: Path) -> None:
    head = _set("resources.1.dependencies", [1])(dev_doc)
    code, out, err = _run("diff", str(_write(tmp_path, dev_doc, "base.json")), str(_write(tmp_path, head, "head.json")))
    assert code == 2 and "head.json: resources[1].dependencies[0]: expected a string (a URN), got a number" in err
    assert out == ""
