"""Layered phoenix operations: AWS-layer up, Kubernetes-layer destroy, the forget fallback, teardown-plan.

Asserted on the exact target lists the Automation API receives (FakeWorkspace.operations, and the
keyword arguments AutomationWorkspace passes to ``pulumi.automation.Stack``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from phoenix_testkit import FakeStack, FakeWorkspace, Operation, aws_resource, k8s_resource
from typer.testing import CliRunner

from mlopsctl.engine import Graph
from mlopsctl.layers import layer_of, layer_urns
from mlopsctl.phoenix.automation import AutomationWorkspace, target_options
from mlopsctl.phoenix.cli import PhoenixDeps, phoenix_app
from mlopsctl.phoenix.settings import PhoenixConfigError, load_template
from mlopsctl.phoenix.stacks import phoenix_down, phoenix_up, reap_stacks
from mlopsctl.phoenix.state import (
    OfflinePlanError,
    StateEditError,
    forget_resources,
    graph_layer_urns,
    offline_layer_targets,
    runner_project,
    state_layer_urns,
    state_outputs,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
K8S_PROVIDER = "pulumi:providers:kubernetes"


def platform_state(stack: str) -> list[dict[str, Any]]:
    """A small deployed stack: root, AWS provider, cluster, bucket, and a Kubernetes layer on its provider."""
    provider_urn = f"urn:pulumi:{stack}::mlops-platform::{K8S_PROVIDER}::mlops-cluster-k8s"
    cluster = aws_resource(stack, "mlops-cluster", "aws:eks/cluster:Cluster")
    namespace = {
        **k8s_resource(stack, "serving"),
        "provider": f"{provider_urn}::0b1c",
        "dependencies": [cluster["urn"]],
    }
    policy = {
        **k8s_resource(stack, "serving-default-deny", "kubernetes:networking.k8s.io/v1:NetworkPolicy"),
        "provider": f"{provider_urn}::0b1c",
        "dependencies": [namespace["urn"]],
        "propertyDependencies": {"metadata": [namespace["urn"]]},
    }
    return [
        {
            "urn": f"urn:pulumi:{stack}::mlops-platform::pulumi:pulumi:Stack::mlops-platform-{stack}",
            "type": "pulumi:pulumi:Stack",
            "outputs": {"environment": stack, "clusterName": f"{stack}-serving"},
        },
        aws_resource(stack, "default", "pulumi:providers:aws"),
        cluster,
        aws_resource(stack, "lake-raw"),
        {"urn": provider_urn, "type": K8S_PROVIDER, "custom": True, "dependencies": [cluster["urn"]]},
        namespace,
        policy,
    ]


def k8s_urns(stack: str) -> list[str]:
    return sorted(r["urn"] for r in platform_state(stack) if layer_of(r["type"]) == "kubernetes")


# --- up --layer aws ------------------------------------------------------------------------------------


def test_up_aws_layer_targets_exactly_the_offline_plans_aws_urns(project_dir: Path) -> None:
    ws = FakeWorkspace()
    asked: list[tuple[str, str, bool]] = []
    urns = ["urn:pulumi:pr-42::mlops-platform::aws:ec2/vpc:Vpc::a", "urn:pulumi:pr-42::mlops-platform::x::b"]

    def plan(stack: str, layer: str) -> list[str]:
        # The plan reads stacks/Pulumi.pr-42.yaml, so the config must be written first.
        asked.append((stack, layer, ("config", "pr-42") in ws.calls))
        return urns

    outcome = phoenix_up(ws, load_template(project_dir), pr=42, now=T0, layer="aws", plan_targets=plan)
    assert asked == [("pr-42", "aws", True)]
    assert ws.operations == [Operation("up", "pr-42", tuple(urns), False)]
    assert (outcome.layer, outcome.targets) == ("aws", 2)
    assert ws.stacks["pr-42"].config["mlops:phoenix"]["expiresAt"] == "2026-06-01T17:00:00Z"


def test_up_whole_stack_has_no_targets(project_dir: Path) -> None:
    ws = FakeWorkspace()
    outcome = phoenix_up(ws, load_template(project_dir), pr=7, now=T0, plan_targets=lambda s, layer: ["unused"])
    assert ws.operations == [Operation("up", "pr-7", None, False)]
    assert (outcome.layer, outcome.targets) == ("all", 0)


def test_up_aws_layer_refuses_an_empty_plan_instead_of_a_whole_stack_up(project_dir: Path) -> None:
    ws = FakeWorkspace()
    with pytest.raises(PhoenixConfigError, match="no AWS-layer resources; refusing a whole-stack up"):
        phoenix_up(ws, load_template(project_dir), pr=7, now=T0, layer="aws", plan_targets=lambda s, layer: [])
    assert ws.operations == []


def test_the_second_job_of_a_layered_up_keeps_the_expiry_the_first_set(project_dir: Path) -> None:
    ws = FakeWorkspace()
    template = load_template(project_dir)
    first = phoenix_up(ws, template, pr=3, now=T0, layer="aws", plan_targets=lambda s, layer: ["urn:a"])
    later = T0.replace(minute=40)
    second = phoenix_up(ws, template, pr=3, now=later, keep_expiry=True)
    assert first.expires_at == second.expires_at == "2026-06-01T17:00:00Z"
    # Without the flag, or once the recorded expiry has passed, it moves to now + ttl.
    assert phoenix_up(ws, template, pr=3, now=later).expires_at == "2026-06-01T17:40:00Z"
    ws.stacks["pr-3"].expiry = "2026-06-01T09:30:00Z"
    assert phoenix_up(ws, template, pr=3, now=later, keep_expiry=True).expires_at == "2026-06-01T17:40:00Z"
    ws.stacks["pr-3"].expiry = "not a time"
    assert phoenix_up(ws, template, pr=3, now=later, keep_expiry=True).expires_at == "2026-06-01T17:40:00Z"


# --- down --layer kubernetes / --forget-kubernetes-layer -------------------------------------------------


def test_down_kubernetes_layer_destroys_the_states_kubernetes_urns_with_dependents() -> None:
    ws = FakeWorkspace({"pr-9": FakeStack(resources=7, state=platform_state("pr-9"))})
    action = phoenix_down(ws, 9, layer="kubernetes")
    assert ws.operations == [Operation("destroy", "pr-9", tuple(k8s_urns("pr-9")), True)]
    assert len(k8s_urns("pr-9")) == 3  # provider, namespace, policy
    assert action.status == "destroyed" and action.detail.startswith("3 Kubernetes-layer resources deleted")
    # The stack and its AWS layer stay for the second step.
    assert "pr-9" in ws.stacks and ("remove", "pr-9") not in ws.calls
    assert [r["type"] for r in ws.stacks["pr-9"].state] == [
        "pulumi:pulumi:Stack",
        "pulumi:providers:aws",
        "aws:eks/cluster:Cluster",
        "aws:s3/bucket:Bucket",
    ]


def test_down_kubernetes_layer_with_nothing_left_never_runs_an_untargeted_destroy() -> None:
    state = [r for r in platform_state("pr-9") if layer_of(r["type"]) == "aws"]
    ws = FakeWorkspace({"pr-9": FakeStack(resources=4, state=state)})
    action = phoenix_down(ws, 9, layer="kubernetes")
    assert (action.status, ws.operations) == ("kept", [])
    assert "no Kubernetes-layer resources" in action.detail


def test_down_kubernetes_layer_reports_unreadable_state_and_failed_destroy() -> None:
    ws = FakeWorkspace({"pr-9": FakeStack(state=platform_state("pr-9"))}, fail_export={"pr-9"})
    action = phoenix_down(ws, 9, layer="kubernetes")
    assert action.status == "failed" and action.detail == "cannot read the state: error: could not load checkpoint"
    ws = FakeWorkspace({"pr-9": FakeStack(state=platform_state("pr-9"))}, fail_destroy={"pr-9"})
    assert phoenix_down(ws, 9, layer="kubernetes").status == "failed"


def test_forget_then_whole_destroy_from_outside_the_vpc() -> None:
    ws = FakeWorkspace({"pr-9": FakeStack(resources=7, state=platform_state("pr-9"))})
    action = phoenix_down(ws, 9, forget_kubernetes_layer=True)
    imported = ws.imported["pr-9"]
    assert imported["version"] == 3
    assert [r["urn"] for r in imported["deployment"]["resources"]] == [
        r["urn"] for r in platform_state("pr-9") if layer_of(r["type"]) == "aws"
    ]
    # Import strictly before the (untargeted) destroy, then the stack is removed.
    order = [c for c in ws.calls if c[0] in ("import", "destroy", "remove")]
    assert order == [("import", "pr-9"), ("destroy", "pr-9"), ("remove", "pr-9")]
    assert ws.operations == [Operation("destroy", "pr-9", None, False)]
    assert action.status == "destroyed"
    assert action.detail.startswith("3 Kubernetes-layer resources forgotten (they went with the cluster); 7 resources")


def test_forget_refuses_a_resource_left_without_its_parent_and_destroys_nothing() -> None:
    state = platform_state("pr-9")
    namespace = next(r for r in state if r["type"] == "kubernetes:core/v1:Namespace")
    state.append(aws_resource("pr-9", "orphan", "aws:iam/role:Role", parent=namespace["urn"]))
    ws = FakeWorkspace({"pr-9": FakeStack(resources=8, state=state)})
    action = phoenix_down(ws, 9, forget_kubernetes_layer=True)
    assert action.status == "failed" and "is a child of" in action.detail
    assert ws.operations == [] and "pr-9" not in ws.imported


def test_forget_resources_repairs_references_and_leaves_the_input_alone() -> None:
    stack = "pr-3"
    state = platform_state(stack)
    drop = k8s_urns(stack)
    namespace = drop[0] if "Namespace" in drop[0] else next(u for u in drop if "Namespace" in u)
    bucket = aws_resource(
        stack,
        "logs",
        dependencies=[state[2]["urn"], namespace],
        propertyDependencies={"bucket": [namespace], "tags": [state[2]["urn"]]},
        deletedWith=namespace,
    )
    exported = {
        "version": 3,
        "deployment": {
            "manifest": {"time": "t"},
            "resources": [*state, bucket],
            "pending_operations": [{"resource": {"urn": namespace}, "type": "deleting"}, {"resource": bucket}],
        },
    }
    before = json.dumps(exported, sort_keys=True)
    edited = forget_resources(exported, drop)
    assert json.dumps(exported, sort_keys=True) == before
    assert edited["version"] == 3 and edited["deployment"]["manifest"] == {"time": "t"}
    kept = {r["urn"]: r for r in edited["deployment"]["resources"]}
    assert not set(drop) & set(kept)
    logs = kept[bucket["urn"]]
    assert logs["dependencies"] == [state[2]["urn"]]
    assert logs["propertyDependencies"] == {"bucket": [], "tags": [state[2]["urn"]]}
    assert "deletedWith" not in logs
    # The pending operation of a dropped resource goes; the other one is repaired like the resources.
    assert edited["deployment"]["pending_operations"] == [{"resource": logs}]


def test_forget_resources_refuses_a_provider_that_would_disappear() -> None:
    state = platform_state("pr-3")
    provider = next(r for r in state if r["type"] == K8S_PROVIDER)
    with pytest.raises(StateEditError, match="uses the provider"):
        forget_resources({"version": 3, "deployment": {"resources": state}}, [provider["urn"]])


def test_layer_and_output_readers_of_an_exported_state() -> None:
    state = {"version": 3, "deployment": {"resources": platform_state("pr-5")}}
    assert state_layer_urns(state, "kubernetes") == k8s_urns("pr-5")
    aws = state_layer_urns(state, "aws")
    assert len(aws) == 3 and not any("pulumi:pulumi:Stack" in urn for urn in aws)
    assert state_outputs(state)["environment"] == "pr-5"
    assert runner_project("pr-5", state) == "mlops-pr-5-deploy"
    state["deployment"]["resources"][0]["outputs"]["deployRunnerProject"] = "custom-runner"
    assert runner_project("pr-5", state) == "custom-runner"
    assert state_layer_urns({"version": 3, "deployment": None}, "kubernetes") == []


def test_down_usage_forget_goes_only_with_the_whole_stack() -> None:
    ws = FakeWorkspace({"pr-9": FakeStack(state=platform_state("pr-9"))})
    with pytest.raises(PhoenixConfigError, match="goes with --layer all"):
        phoenix_down(ws, 9, layer="kubernetes", forget_kubernetes_layer=True)
    assert ws.operations == []


def test_reap_refuses_a_whole_destroy_while_the_kubernetes_layer_is_deployed() -> None:
    stacks = {
        "pr-1": FakeStack(expiry="2026-06-01T08:00:00Z", resources=10, state=platform_state("pr-1")),
        "pr-2": FakeStack(expiry="2026-06-01T08:00:00Z", resources=10, state=platform_state("pr-2")[:4]),
        "pr-3": FakeStack(expiry="2026-06-01T08:00:00Z", resources=10),
    }
    ws = FakeWorkspace(stacks, fail_export={"pr-3"})
    actions = {a.name: a for a in reap_stacks(ws, T0, execute=True)}
    assert actions["pr-1"].status == "failed"
    assert "3 Kubernetes-layer resources still in the state" in actions["pr-1"].detail
    assert "phoenix down --pr 1 --layer kubernetes" in actions["pr-1"].detail
    assert "--pr 1 --forget-kubernetes-layer" in actions["pr-1"].detail
    assert actions["pr-2"].status == "destroyed"
    assert actions["pr-3"].status == "failed" and "cannot read the state" in actions["pr-3"].detail
    assert [op.stack for op in ws.operations] == ["pr-2"]
    assert set(ws.stacks) == {"pr-1", "pr-3"}


# --- the offline target list ---------------------------------------------------------------------------


def test_offline_targets_of_the_real_program_are_its_aws_layer(phoenix_graph: Graph) -> None:
    targets = offline_layer_targets(ROOT, "phoenix", "aws")
    assert targets == layer_urns(((r.urn, r.type) for r in phoenix_graph.resources), "aws")
    assert all(urn.startswith("urn:pulumi:phoenix::mlops-platform::") for urn in targets)
    by_urn = {r.urn: r for r in phoenix_graph.resources}
    kinds = {by_urn[urn].type for urn in targets}
    assert "aws:eks/cluster:Cluster" in kinds and "aws:eks/nodeGroup:NodeGroup" in kinds
    assert not any(kind.startswith("kubernetes:") or kind == K8S_PROVIDER for kind in kinds)
    kubernetes = [r for r in phoenix_graph.resources if layer_of(r.type) == "kubernetes"]
    assert kubernetes and len(targets) + len(kubernetes) == len(phoenix_graph.resources)


def test_offline_targets_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(OfflinePlanError, match="offline plan of pr-404 failed"):
        offline_layer_targets(ROOT, "pr-404", "aws")
    with pytest.raises(OfflinePlanError, match="no kubernetes-layer resources"):
        graph_layer_urns([("urn:a", "aws:s3/bucket:Bucket")], "kubernetes")


# --- AutomationWorkspace: what reaches pulumi.automation ---------------------------------------------------


class _Result:
    class summary:  # mirrors UpResult.summary
        resource_changes: Mapping[str, int] = {"delete": 2}


class _FakeStack:
    def __init__(self, log: list[tuple[str, dict[str, Any]]]) -> None:
        self.log = log

    def up(self, **kwargs: Any) -> _Result:
        self.log.append(("up", kwargs))
        return _Result()

    def destroy(self, **kwargs: Any) -> _Result:
        self.log.append(("destroy", kwargs))
        return _Result()


class _FakeAuto:
    """Stands in for the pulumi.automation module: records Stack.select(...).up/destroy keyword arguments."""

    def __init__(self) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []
        from pulumi.automation import Deployment

        self.Deployment = Deployment
        outer = self

        class Stack:
            @staticmethod
            def select(name: str, ws: Any) -> _FakeStack:
                outer.log.append(("select", {"name": name}))
                return _FakeStack(outer.log)

        self.Stack = Stack


class _FakeLocalWorkspace:
    def __init__(self) -> None:
        self.imported: list[tuple[str, Any]] = []

    def export_stack(self, name: str) -> Any:
        from pulumi.automation import Deployment

        return Deployment(version=3, deployment={"resources": platform_state(name)})

    def import_stack(self, name: str, deployment: Any) -> None:
        self.imported.append((name, deployment))


def _automation_workspace() -> tuple[AutomationWorkspace, _FakeAuto, _FakeLocalWorkspace]:
    workspace = object.__new__(AutomationWorkspace)  # no Pulumi CLI here: skip __init__'s checks
    auto, local = _FakeAuto(), _FakeLocalWorkspace()
    workspace._auto, workspace._ws, workspace._on_output, workspace._project_dir = auto, local, None, Path(".")
    return workspace, auto, local


def test_automation_workspace_passes_targets_to_the_automation_api() -> None:
    workspace, auto, _ = _automation_workspace()
    urns = ["urn:pulumi:pr-1::mlops-platform::aws:ec2/vpc:Vpc::a", "urn:pulumi:pr-1::mlops-platform::x::b"]
    assert workspace.up("pr-1", targets=urns) == {"delete": 2}
    workspace.up("pr-1")
    workspace.destroy("pr-1", targets=urns[:1], target_dependents=True)
    workspace.destroy("pr-1")
    calls = [entry for entry in auto.log if entry[0] != "select"]
    assert calls == [
        ("up", {"on_output": None, "color": "never", "target": urns}),
        ("up", {"on_output": None, "color": "never"}),
        ("destroy", {"on_output": None, "color": "never", "target": urns[:1], "target_dependents": True}),
        ("destroy", {"on_output": None, "color": "never"}),
    ]
    with pytest.raises(ValueError, match="whole-stack operation"):
        workspace.destroy("pr-1", targets=[])
    assert target_options(None) == {} and target_options(("u",)) == {"target": ["u"]}


def test_the_keyword_arguments_exist_in_the_installed_automation_api() -> None:
    from pulumi.automation import Stack

    for method, names in (
        (Stack.up, {"target", "on_output", "color"}),
        (Stack.destroy, {"target", "target_dependents"}),
    ):
        assert names <= set(inspect.signature(method).parameters), method


def test_automation_workspace_state_round_trip() -> None:
    workspace, _, local = _automation_workspace()
    state = workspace.export_state("pr-2")
    assert state["version"] == 3 and state_layer_urns(state, "kubernetes") == k8s_urns("pr-2")
    workspace.import_state("pr-2", forget_resources(state, k8s_urns("pr-2")))
    name, deployment = local.imported[0]
    assert name == "pr-2" and deployment.version == 3
    assert len(deployment.deployment["resources"]) == 4


# --- the commands --------------------------------------------------------------------------------------


def invoke(args: list[str], deps: PhoenixDeps) -> tuple[int, str, str]:
    result = CliRunner().invoke(phoenix_app, args, obj=deps)
    return result.exit_code, result.stdout, result.stderr


def test_cli_up_aws_layer_and_down_kubernetes_layer(project_dir: Path) -> None:
    ws = FakeWorkspace()
    planned: list[tuple[Path, str, str]] = []

    def plan(directory: Path, stack: str, layer: str) -> list[str]:
        planned.append((directory, stack, layer))
        return ["urn:pulumi:pr-5::mlops-platform::aws:ec2/vpc:Vpc::v"]

    deps = PhoenixDeps(workspace_factory=lambda _dir: ws, clock=lambda: T0, plan_targets=plan)
    code, out, _ = invoke(["up", "--pr", "5", "--layer", "aws", "--project-dir", str(project_dir)], deps)
    assert code == 0, out
    assert planned == [(project_dir, "pr-5", "aws")]
    assert "AWS layer, 1 targets" in " ".join(out.split())
    later = PhoenixDeps(workspace_factory=lambda _dir: ws, clock=lambda: T0.replace(hour=10), plan_targets=plan)
    code, out, _ = invoke(["up", "--pr", "5", "--keep-expiry", "--project-dir", str(project_dir)], later)
    text = " ".join(out.split())  # rich wraps at the terminal width
    assert code == 0 and "pr-5 (whole stack)" in text and "expires 2026-06-01T17:00:00Z" in text
    assert ws.operations[-1] == Operation("up", "pr-5", None, False)
    ws.stacks["pr-5"].state = platform_state("pr-5")
    code, out, _ = invoke(["down", "--pr", "5", "--layer", "kubernetes", "--project-dir", str(project_dir)], deps)
    assert code == 0 and "3 Kubernetes-layer resources deleted" in out
    assert ws.operations[-1] == Operation("destroy", "pr-5", tuple(k8s_urns("pr-5")), True)
    code, _, err = invoke(
        ["down", "--pr", "5", "--layer", "kubernetes", "--forget-kubernetes-layer", "--project-dir", str(project_dir)],
        deps,
    )
    assert code == 2 and "goes with --layer all" in err


def test_cli_up_reports_an_offline_plan_failure_without_traceback(project_dir: Path) -> None:
    def plan(directory: Path, stack: str, layer: str) -> list[str]:
        raise OfflinePlanError(f"offline plan of {stack} failed: boom")

    deps = PhoenixDeps(workspace_factory=lambda _dir: FakeWorkspace(), clock=lambda: T0, plan_targets=plan)
    code, out, err = invoke(["up", "--pr", "5", "--layer", "aws", "--project-dir", str(project_dir)], deps)
    assert code == 1 and "offline plan of pr-5 failed: boom" in err and "Traceback" not in out + err


def _runner_project(session: Any, name: str) -> None:
    session.client("codebuild").create_project(
        name=name,
        source={"type": "GITHUB", "location": "https://github.com/acme/mlops-platform"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/runner",
    )


def test_cli_teardown_plan_sends_each_kubernetes_layer_where_it_can_go(project_dir: Path, moto_session: Any) -> None:
    _runner_project(moto_session, "mlops-pr-1-deploy")
    expired, active = "2026-06-01T08:00:00Z", "2026-06-01T18:00:00Z"
    ws = FakeWorkspace(
        {
            "pr-1": FakeStack(expiry=expired, state=platform_state("pr-1")),
            "pr-2": FakeStack(expiry=expired, state=platform_state("pr-2")),
            "pr-3": FakeStack(expiry=expired, state=platform_state("pr-3")[:4]),
            "pr-4": FakeStack(expiry=active, state=platform_state("pr-4")),
            "pr-6": FakeStack(expiry=expired, state=platform_state("pr-6")),
            "pr-7": FakeStack(expiry=expired, state=platform_state("pr-7")),
        },
        fail_export={"pr-6"},
    )
    # pr-7's runner exists, but in the session's region, not in the region pr-7 exported: not its runner.
    _runner_project(moto_session, "mlops-pr-7-deploy")
    ws.stacks["pr-7"].state[0]["outputs"]["region"] = "us-west-2"
    deps = PhoenixDeps(workspace_factory=lambda _dir: ws, clock=lambda: T0, session_factory=lambda _r: moto_session)
    code, out, _ = invoke(["teardown-plan", "--expired", "--project-dir", str(project_dir)], deps)
    assert code == 0, out
    document = json.loads(out)
    assert document["schema"] == "mlops-phoenix-teardown/1"
    assert (document["runner"], document["forget"]) == ([1], [2, 7])
    rows = {row["name"]: row for row in document["stacks"]}
    assert set(rows) == {"pr-1", "pr-2", "pr-3", "pr-6", "pr-7"}  # pr-4 is not expired
    assert rows["pr-1"] | {"expiresAt": None} == {
        "name": "pr-1",
        "pr": 1,
        "expiresAt": None,
        "runnerProject": "mlops-pr-1-deploy",
        "runnerExists": True,
        "kubernetesResources": 3,
        "kubernetesLayer": "runner",
        "error": None,
    }
    assert (rows["pr-2"]["runnerExists"], rows["pr-2"]["kubernetesLayer"]) == (False, "forget")
    assert (rows["pr-3"]["runnerExists"], rows["pr-3"]["kubernetesLayer"]) == (None, "empty")
    assert rows["pr-6"]["kubernetesLayer"] == "unknown" and "could not load checkpoint" in rows["pr-6"]["error"]

    code, out, _ = invoke(["teardown-plan", "--pr", "4", "--project-dir", str(project_dir)], deps)
    assert code == 0 and json.loads(out)["forget"] == [4]  # not expired, but asked for by number
    code, out, _ = invoke(["teardown-plan", "--pr", "4", "--format", "text", "--project-dir", str(project_dir)], deps)
    assert code == 0 and "pr-4: Kubernetes layer forget (3 resources; runner mlops-pr-4-deploy exists: False)" in out


@pytest.mark.parametrize("args", [["teardown-plan"], ["teardown-plan", "--pr", "1", "--expired"]])
def test_cli_teardown_plan_needs_exactly_one_selection(project_dir: Path, args: list[str]) -> None:
    deps = PhoenixDeps(workspace_factory=lambda _dir: FakeWorkspace(), clock=lambda: T0)
    code, _, err = invoke([*args, "--project-dir", str(project_dir)], deps)
    assert code == 2 and "exactly one of --pr N and --expired" in err
