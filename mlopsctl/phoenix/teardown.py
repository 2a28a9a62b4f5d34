"""How to tear a phoenix stack down: where its Kubernetes layer can be destroyed (``teardown-plan``).

A stack's Kubernetes layer can only be destroyed from its in-VPC runner (the cluster API is private).
Before a workflow queues a job for that runner it must know the runner still exists: a job whose
``runs-on`` label no runner serves waits in GitHub's queue for a day. So for each stack this reads its
state (how many Kubernetes-layer resources are left, the runner's project name) and asks CodeBuild
whether that project exists, and says what to do with the Kubernetes layer:

- ``runner``: destroy it on the runner (``phoenix down --layer kubernetes``), then the rest from anywhere;
- ``forget``: the runner is gone, drop the layer from the state (``--forget-kubernetes-layer``);
- ``empty``: nothing left in that layer, destroy the rest from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mlopsctl.phoenix.aws import shared_client
from mlopsctl.phoenix.expiry import format_timestamp
from mlopsctl.phoenix.stacks import PhoenixWorkspace, StackInfo, error_summary
from mlopsctl.phoenix.state import runner_project, state_layer_urns, state_outputs

TEARDOWN_SCHEMA = "mlops-phoenix-teardown/1"
KubernetesLayer = Literal["runner", "forget", "empty", "unknown"]


@dataclass(frozen=True)
class Teardown:
    """The teardown decision for one stack. ``runner_exists`` is None when it was not looked up (an empty
    Kubernetes layer needs no runner); ``error`` is set when the state could not be read."""

    name: str
    pr: int
    expires_at: str | None
    runner_project: str
    runner_exists: bool | None
    kubernetes_resources: int
    error: str | None = None

    @property
    def kubernetes_layer(self) -> KubernetesLayer:
        """What to do with the stack's Kubernetes layer."""
        if self.error is not None:
            return "unknown"
        if self.kubernetes_resources == 0:
            return "empty"
        return "runner" if self.runner_exists else "forget"


def codebuild_project_exists(session: Any, region: str, project: str) -> bool:
    """True when the CodeBuild project ``project`` exists in ``region`` (BatchGetProjects)."""
    client = shared_client(session, "codebuild", region, None)
    found = client.batch_get_projects(names=[project])
    return any(item.get("name") == project for item in found.get("projects") or [])


def plan_teardown(
    workspace: PhoenixWorkspace, stacks: Iterable[StackInfo], runner_exists: Callable[[str, str | None], bool]
) -> list[Teardown]:
    """The teardown decision of each stack; a stack whose state cannot be read gets ``error`` set.

    ``runner_exists(project, region)`` is asked with the stack's own ``region`` output (None if the stack
    never exported one), and only for stacks that still have a Kubernetes layer.
    """
    plans: list[Teardown] = []
    for info in stacks:
        try:
            state = workspace.export_state(info.name)
        except Exception as exc:  # backend errors: report this stack, decide for the others
            plans.append(Teardown(info.name, info.pr, info.expires_at, "", None, 0, error=error_summary(str(exc))))
            continue
        kubernetes = len(state_layer_urns(state, "kubernetes"))
        outputs = state_outputs(state)
        environment, region = outputs.get("environment"), outputs.get("region")
        project = runner_project(environment if isinstance(environment, str) and environment else info.name, state)
        exists = runner_exists(project, region if isinstance(region, str) and region else None) if kubernetes else None
        plans.append(Teardown(info.name, info.pr, info.expires_at, project, exists, kubernetes))
    return plans


def teardown_to_dict(plans: Iterable[Teardown], now: datetime) -> dict[str, Any]:
    """The JSON document (schema ``mlops-phoenix-teardown/1``); ``runner`` and ``forget`` list PR numbers,
    ready for a workflow matrix (``fromJSON``)."""
    items = list(plans)
    return {
        "schema": TEARDOWN_SCHEMA,
        "now": format_timestamp(now),
        "stacks": [
            {
                "name": plan.name,
                "pr": plan.pr,
                "expiresAt": plan.expires_at,
                "runnerProject": plan.runner_project,
                "runnerExists": plan.runner_exists,
                "kubernetesResources": plan.kubernetes_resources,
                "kubernetesLayer": plan.kubernetes_layer,
                "error": plan.error,
            }
            for plan in items
        ],
        "runner": [plan.pr for plan in items if plan.kubernetes_layer == "runner"],
        "forget": [plan.pr for plan in items if plan.kubernetes_layer == "forget"],
    }
