"""Per-PR stack lifecycle (up, down, list, reap expired) over a small workspace interface.

The real implementation of :class:`PhoenixWorkspace` drives the Pulumi Automation API
(:mod:`mlopsctl.phoenix.automation`); tests pass a fake. Everything here is pure decision-making:
which stack, which config, which expiry, what to destroy, and which layer (docs/adr/0001): the AWS
layer can be deployed from anywhere, the Kubernetes layer needs the cluster's private API, so

- ``up --layer aws`` is ``pulumi up --target <AWS-layer URNs of the offline plan>`` (the bootstrap);
- ``down --layer kubernetes`` is ``pulumi destroy --target <Kubernetes-layer URNs in the state>``;
- ``down --forget-kubernetes-layer`` drops the Kubernetes layer from the state before the whole destroy,
  for a stack whose in-VPC runner is gone (see :func:`forget_kubernetes_layer`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from mlopsctl.layers import Layer
from mlopsctl.phoenix.expiry import ExpiryError, expiry_after, parse_timestamp
from mlopsctl.phoenix.settings import (
    ENVIRONMENT_KEY,
    OWNER_KEY,
    PHOENIX_KEY,
    REGION_KEY,
    PhoenixConfigError,
    PhoenixTemplate,
)
from mlopsctl.phoenix.state import forget_resources, state_layer_urns

UpLayer = Literal["aws", "all"]
DownLayer = Literal["kubernetes", "all"]
PlanTargets = Callable[[str, Layer], Sequence[str]]
"""``(stack, layer) -> URNs``: the target list of a layer, from the offline plan of the stack's config."""

_STACK_NAME = re.compile(r"^(?:.*/)?pr-(\d+)$")


class PhoenixWorkspace(Protocol):
    """What the phoenix commands need from a Pulumi backend. Stack names are short (``pr-42``)."""

    def list_stacks(self) -> list[str]:
        """Names of all stacks of this project in the current backend (may be ``org/project/name``)."""
        ...

    def create_or_select(self, stack: str) -> None:
        """Make sure the stack exists in the backend."""
        ...

    def write_config(self, stack: str, config: Mapping[str, Any]) -> None:
        """Replace the stack's whole configuration (structured values stay structured)."""
        ...

    def up(self, stack: str, *, targets: Sequence[str] | None = None) -> Mapping[str, int]:
        """Run ``pulumi up`` (only ``targets``, never their dependents, when given); return the change
        summary (e.g. ``{"create": 12}``). An empty ``targets`` list is refused, never a whole-stack up."""
        ...

    def expiry(self, stack: str) -> str | None:
        """The stack's recorded ``mlops:expires-at`` value as stored, or None if none is recorded."""
        ...

    def destroy(
        self, stack: str, *, targets: Sequence[str] | None = None, target_dependents: bool = False
    ) -> Mapping[str, int]:
        """Run ``pulumi destroy`` (of ``targets`` and, with ``target_dependents``, what depends on them);
        return the change summary. An empty ``targets`` list is refused, never a whole-stack destroy."""
        ...

    def export_state(self, stack: str) -> Mapping[str, Any]:
        """``pulumi stack export``: ``{"version": ..., "deployment": {"resources": [...], ...}}``."""
        ...

    def import_state(self, stack: str, state: Mapping[str, Any]) -> None:
        """``pulumi stack import`` of an edited export (the CLI verifies the snapshot first)."""
        ...

    def remove(self, stack: str) -> None:
        """Remove the (empty) stack and its config from the backend."""
        ...


def stack_name(pr: int) -> str:
    """The stack name for pull request ``pr`` (``pr-42``)."""
    if pr <= 0:
        raise PhoenixConfigError(f"--pr must be a positive pull request number, got {pr}")
    return f"pr-{pr}"


def pr_number(name: str) -> int | None:
    """The PR number of a phoenix stack name (fully qualified names allowed), or None."""
    match = _STACK_NAME.match(name)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class UpOutcome:
    """Result of ``phoenix up``."""

    stack: str
    expires_at: str
    owner: str
    changes: Mapping[str, int]
    layer: UpLayer = "all"
    targets: int = 0
    """How many URNs were targeted (0: the whole stack)."""


def stack_config(template: PhoenixTemplate, *, stack: str, owner: str, expires_at: str) -> dict[str, Any]:
    """The per-PR stack's config: the template's, with environment (the stack name), owner and expiry set.

    Raises PhoenixConfigError when the template is missing, not a phoenix template, or holds secrets
    (they are encrypted for the template stack and would not decrypt under another stack's key).
    """
    check_template(template)
    config = copy.deepcopy(dict(template.config))
    phoenix = dict(config[PHOENIX_KEY])
    phoenix["enabled"] = True
    phoenix["expiresAt"] = expires_at
    config[PHOENIX_KEY] = phoenix
    config[OWNER_KEY] = owner
    config[ENVIRONMENT_KEY] = stack
    return config


def check_template(template: PhoenixTemplate) -> None:
    """Raise PhoenixConfigError unless the template can seed per-PR stacks."""
    if not template.exists:
        raise PhoenixConfigError(f"{template.path}: phoenix template not found")
    if PHOENIX_KEY not in template.config:
        raise PhoenixConfigError(f"{template.path}: no {PHOENIX_KEY} section; not a phoenix template")
    if not template.enabled:
        raise PhoenixConfigError(f"{template.path}: {PHOENIX_KEY}.enabled is false; set it to true to use phoenix")
    for key, value in template.config.items():
        if isinstance(value, dict) and "secure" in value:
            raise PhoenixConfigError(
                f"{template.path}: {key} is a secret encrypted for the template stack and cannot be copied;"
                " provide it through an ESC environment or CI secret instead"
            )


def phoenix_up(
    workspace: PhoenixWorkspace,
    template: PhoenixTemplate,
    *,
    pr: int,
    now: datetime,
    ttl: timedelta | None = None,
    owner: str | None = None,
    layer: UpLayer = "all",
    plan_targets: PlanTargets | None = None,
    keep_expiry: bool = False,
) -> UpOutcome:
    """Create or update stack ``pr-N`` from the template, (re)setting its expiry to ``now + ttl``.

    Every push calls this again, so the expiry moves forward while the PR is active. ``layer="aws"``
    deploys only the AWS layer (targets from ``plan_targets``, computed after the config is written);
    ``"all"`` is the whole stack, which needs the cluster's private API (the in-VPC runner).
    ``keep_expiry`` reuses the stack's recorded expiry while it is still ahead of ``now``: the second job
    of a layered up then does not move every resource's expiry tag a second time.
    """
    name = stack_name(pr)
    check_template(template)
    who = owner or template.owner
    if not who:
        raise PhoenixConfigError(f"no owner: pass --owner or set {OWNER_KEY} in {template.path}")
    region = template.region
    if region is not None and region in template.protected_regions:
        raise PhoenixConfigError(
            f"{template.path}: {REGION_KEY}={region} is listed in {PHOENIX_KEY}.protectedRegions; refusing"
        )
    workspace.create_or_select(name)
    expires_at = _recorded_future_expiry(workspace, name, now) if keep_expiry else None
    expires_at = expires_at or expiry_after(now, ttl or template.ttl)
    config = stack_config(template, stack=name, owner=who, expires_at=expires_at)
    workspace.write_config(name, config)
    changes, targets = up_layer(workspace, name, layer=layer, plan_targets=plan_targets)
    return UpOutcome(stack=name, expires_at=expires_at, owner=who, changes=dict(changes), layer=layer, targets=targets)


def _recorded_future_expiry(workspace: PhoenixWorkspace, name: str, now: datetime) -> str | None:
    """The stack's recorded expiry if it parses and lies after ``now``, else None."""
    recorded = workspace.expiry(name)
    if recorded is None:
        return None
    try:
        return recorded if parse_timestamp(recorded) > now else None
    except ExpiryError:
        return None


def up_layer(
    workspace: PhoenixWorkspace, name: str, *, layer: UpLayer, plan_targets: PlanTargets | None = None
) -> tuple[Mapping[str, int], int]:
    """``pulumi up`` of stack ``name``: the AWS layer only (targeted, dependents excluded), or all of it.

    Returns the change summary and the number of targeted URNs (0 for the whole stack). The Kubernetes
    layer is never targeted on its own: its resources are created by the whole-stack up, which also
    reconciles the AWS layer they depend on.
    """
    if layer == "all":
        return workspace.up(name), 0
    if plan_targets is None:
        raise ValueError("up of the AWS layer needs plan_targets (the offline plan's URNs)")
    targets = list(plan_targets(name, "aws"))
    if not targets:
        raise PhoenixConfigError(f"the offline plan of {name} has no AWS-layer resources; refusing a whole-stack up")
    return workspace.up(name, targets=targets), len(targets)


@dataclass(frozen=True)
class StackInfo:
    """One phoenix stack as seen in the backend."""

    name: str
    pr: int
    expires_at: str | None
    state: Literal["active", "expired", "unknown-expiry"]


def list_phoenix_stacks(workspace: PhoenixWorkspace, now: datetime) -> list[StackInfo]:
    """All ``pr-N`` stacks with their expiry, sorted by PR number."""
    infos: list[StackInfo] = []
    for name in workspace.list_stacks():
        pr = pr_number(name)
        if pr is None:
            continue
        short = f"pr-{pr}"
        raw = workspace.expiry(short)
        infos.append(StackInfo(name=short, pr=pr, expires_at=raw, state=_state(raw, now)))
    return sorted(infos, key=lambda info: info.pr)


def _state(raw: str | None, now: datetime) -> Literal["active", "expired", "unknown-expiry"]:
    if raw is None:
        return "unknown-expiry"
    try:
        moment = parse_timestamp(raw)
    except ExpiryError:
        return "unknown-expiry"
    return "active" if moment >= now else "expired"


@dataclass(frozen=True)
class StackAction:
    """What happened (or would happen) to one stack: status is destroyed/would-destroy/kept/failed."""

    name: str
    status: Literal["destroyed", "would-destroy", "kept", "failed"]
    detail: str


def phoenix_down(
    workspace: PhoenixWorkspace, pr: int, *, layer: DownLayer = "all", forget_kubernetes_layer: bool = False
) -> StackAction:
    """Destroy stack ``pr-N``: its Kubernetes layer only (the stack stays), or all of it and remove it.

    A stack that does not exist is reported as kept. ``forget_kubernetes_layer`` (only with ``"all"``)
    first drops the Kubernetes layer from the state: for a stack whose in-VPC runner is gone.
    """
    name = stack_name(pr)
    if layer != "all" and forget_kubernetes_layer:
        raise PhoenixConfigError("--forget-kubernetes-layer goes with --layer all (it precedes the whole destroy)")
    if name not in {f"pr-{n}" for n in map(pr_number, workspace.list_stacks()) if n is not None}:
        return StackAction(name, "kept", "no such stack (already removed)")
    if layer == "kubernetes":
        return destroy_kubernetes_layer(workspace, name)
    return destroy_stack(workspace, name, forget_kubernetes=forget_kubernetes_layer)


def destroy_kubernetes_layer(workspace: PhoenixWorkspace, name: str) -> StackAction:
    """``pulumi destroy --target <every Kubernetes-layer URN in the state> --target-dependents``.

    The targets come from the state, not from the program: they are what exists, including resources a
    newer commit no longer declares, and a reaper's fresh checkout has no ``Pulumi.pr-N.yaml`` to plan
    with. Dependents are included so that nothing is left pointing at a deleted object (none of the AWS
    layer depends on the Kubernetes layer today; if something ever does, it goes too, from the runner,
    which reaches both). Must run where the private API is reachable: the stack's in-VPC runner.
    """
    try:
        targets = state_layer_urns(workspace.export_state(name), "kubernetes")
    except Exception as exc:
        return StackAction(name, "failed", f"cannot read the state: {error_summary(str(exc))}")
    if not targets:
        return StackAction(name, "kept", "no Kubernetes-layer resources in the state; nothing to destroy")
    try:
        changes = workspace.destroy(name, targets=targets, target_dependents=True)
    except Exception as exc:
        return StackAction(name, "failed", error_summary(str(exc)))
    deleted = changes.get("delete", 0)
    return StackAction(name, "destroyed", f"{deleted} Kubernetes-layer resources deleted; the AWS layer stays")


def forget_kubernetes_layer(workspace: PhoenixWorkspace, name: str) -> int:
    """Drop every Kubernetes-layer resource from the state of ``name`` (export, edit, import); return how many.

    The fallback for a stack whose in-VPC runner is gone, before a whole destroy from outside the VPC.
    Safe because every resource of that layer is an object in the cluster's own datastore (namespaces,
    NetworkPolicies, Helm releases, ESO objects, the StorageClass) or the Kubernetes provider itself:
    deleting the EKS cluster, which the AWS-layer destroy does, deletes all of them at once. What the
    in-cluster controllers would have cleaned up on a graceful delete (load balancers of LoadBalancer
    Services, EBS volumes of dynamically provisioned PersistentVolumes) is not in the state either way;
    the platform creates neither (ClusterIP Services only, no PersistentVolumeClaims). Should something
    deployed by hand leave one behind, the reaper's tag sweep removes a load balancer only if it carries
    the phoenix tags, and EBS volumes are not a swept kind at all.
    """
    state = workspace.export_state(name)
    urns = state_layer_urns(state, "kubernetes")
    if urns:
        workspace.import_state(name, forget_resources(state, urns))
    return len(urns)


def destroy_stack(workspace: PhoenixWorkspace, name: str, *, forget_kubernetes: bool = False) -> StackAction:
    """Whole ``pulumi destroy`` of ``name`` and removal of the stack (with ``forget_kubernetes``, after
    :func:`forget_kubernetes_layer`). Failures are reported in the action, never raised."""
    forgotten = 0
    if forget_kubernetes:
        try:
            forgotten = forget_kubernetes_layer(workspace, name)
        except Exception as exc:
            return StackAction(name, "failed", f"forgetting the Kubernetes layer failed: {error_summary(str(exc))}")
    action = _destroy(workspace, name)
    if forgotten and action.status == "destroyed":
        detail = f"{forgotten} Kubernetes-layer resources forgotten (they went with the cluster); {action.detail}"
        return StackAction(name, action.status, detail)
    return action


def reap_stacks(
    workspace: PhoenixWorkspace,
    now: datetime,
    *,
    execute: bool,
    on_progress: Callable[[str], None] | None = None,
) -> list[StackAction]:
    """Destroy and remove every phoenix stack whose expiry is past. Unknown expiries are kept.

    One failing stack does not stop the others; its error is in the returned action.
    """
    actions: list[StackAction] = []
    for info in list_phoenix_stacks(workspace, now):
        if info.state == "active":
            actions.append(StackAction(info.name, "kept", f"expires {info.expires_at}"))
        elif info.state == "unknown-expiry":
            actions.append(StackAction(info.name, "kept", f"no parseable expiry ({info.expires_at!r})"))
        elif not execute:
            actions.append(StackAction(info.name, "would-destroy", f"expired at {info.expires_at}"))
        else:
            blocked = _kubernetes_layer_left(workspace, info.name)
            if blocked is not None:
                actions.append(blocked)
                continue
            if on_progress:
                on_progress(f"destroying {info.name} (expired at {info.expires_at})")
            actions.append(_destroy(workspace, info.name))
    return actions


def _kubernetes_layer_left(workspace: PhoenixWorkspace, name: str) -> StackAction | None:
    """A failed action when the Kubernetes layer of ``name`` is still in its state, else None.

    The reaper runs outside the VPC: a whole destroy would have to reach the cluster's private API for
    every Kubernetes resource, time out, and leave a half-destroyed stack. The layer is destroyed first on
    the stack's runner (``down --layer kubernetes``) or, if that runner is gone, forgotten.
    """
    try:
        left = state_layer_urns(workspace.export_state(name), "kubernetes")
    except Exception as exc:
        return StackAction(name, "failed", f"cannot read the state: {error_summary(str(exc))}")
    if not left:
        return None
    return StackAction(
        name,
        "failed",
        f"{len(left)} Kubernetes-layer resources still in the state: run `mlopsctl phoenix down --pr "
        f"{pr_number(name)} --layer kubernetes` on the stack's runner, or, if that runner is gone, "
        f"`mlopsctl phoenix down --pr {pr_number(name)} --forget-kubernetes-layer`",
    )


def _destroy(workspace: PhoenixWorkspace, name: str) -> StackAction:
    # Automation API failures (CommandError and friends) are reported per stack; the run goes on.
    try:
        changes = workspace.destroy(name)
        workspace.remove(name)
    except Exception as exc:
        return StackAction(name, "failed", error_summary(str(exc)))
    deleted = changes.get("delete", 0)
    return StackAction(name, "destroyed", f"{deleted} resources deleted, stack removed")


def error_summary(text: str) -> str:
    """The last non-empty line of an error, at most 300 characters.

    Pulumi's CommandError carries the whole stderr; its last non-empty line is the actual error.
    """
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else "unknown error"
