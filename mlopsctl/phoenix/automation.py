"""The real :class:`~mlopsctl.phoenix.stacks.PhoenixWorkspace`: Pulumi's Automation API on a local program.

Works with whatever backend the user is logged in to (Pulumi Cloud, S3, local file), because it only
shells out to the Pulumi CLI through ``pulumi.automation``. Needs the CLI on PATH; it cannot run on
machines without it, so it is exercised by the ``cli``-marked tests only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from mlopsctl.phoenix.expiry import EXPIRES_TAG, ExpiryError, parse_timestamp
from mlopsctl.phoenix.settings import PHOENIX_KEY, PhoenixConfigError, stack_config_dir


def pulumi_cli_available() -> bool:
    """True when the ``pulumi`` executable is on PATH (the Automation API shells out to it)."""
    return shutil.which("pulumi") is not None


class PulumiCommandError(RuntimeError):
    """A Pulumi CLI command failed (backend unreachable, not logged in, unexpected output).

    The message names the command and carries its exit code and last error line, for a plain-text error.
    """

    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"`{command}` failed: {detail}")
        self.command = command
        self.detail = detail


class AutomationWorkspace:
    """PhoenixWorkspace over ``pulumi.automation.LocalWorkspace`` rooted at the project directory."""

    def __init__(self, project_dir: Path, *, on_output: Callable[[str], None] | None = None) -> None:
        if not pulumi_cli_available():
            raise PhoenixConfigError("the Pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/)")
        # Imported here: pulumi.automation is only needed when a real backend is used.
        from pulumi import automation as auto

        self._auto = auto
        self._project_dir = project_dir
        self._on_output = on_output
        try:
            # Runs `pulumi version` (and checks it against the SDK's minimum): a broken or too old CLI fails here.
            self._ws = auto.LocalWorkspace(work_dir=str(project_dir))
        except subprocess.CalledProcessError as exc:
            raise PhoenixConfigError(
                f"the Pulumi CLI on PATH cannot be used: `pulumi version` failed with exit code {exc.returncode}"
            ) from exc
        except Exception as exc:  # OSError, the SDK's InvalidVersionError (a CLI older than it supports)
            raise PhoenixConfigError(f"the Pulumi CLI on PATH cannot be used: {exc}") from exc

    def list_stacks(self) -> list[str]:
        command = "pulumi stack ls --json"
        try:
            summaries = self._ws.list_stacks()
        except self._auto.errors.CommandError as exc:
            raise PulumiCommandError(command, command_failure(str(exc))) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:  # the CLI vanished, or printed no stack list
            raise PulumiCommandError(command, f"unexpected output ({type(exc).__name__}: {exc})") from exc
        return [summary.name for summary in summaries]

    def create_or_select(self, stack: str) -> None:
        self._auto.Stack.create_or_select(stack, self._ws)

    def write_config(self, stack: str, config: Mapping[str, Any]) -> None:
        write_stack_config(self._project_dir, stack, config)
        phoenix = config.get(PHOENIX_KEY)
        expires = phoenix.get("expiresAt") if isinstance(phoenix, Mapping) else None
        if isinstance(expires, str):
            self._try_set_tag(stack, expires)

    def up(self, stack: str, *, targets: Sequence[str] | None = None) -> Mapping[str, int]:
        # target_dependents stays off: a targeted AWS-layer up must not pull in the Kubernetes resources
        # that depend on it (they need the private API).
        result = self._select(stack).up(on_output=self._on_output, color="never", **target_options(targets))
        return dict(result.summary.resource_changes or {})

    def expiry(self, stack: str) -> str | None:
        return self._tag_expiry(stack) or self._state_expiry(stack)

    def destroy(
        self, stack: str, *, targets: Sequence[str] | None = None, target_dependents: bool = False
    ) -> Mapping[str, int]:
        options = target_options(targets)
        if target_dependents and targets is not None:
            options["target_dependents"] = True
        result = self._select(stack).destroy(on_output=self._on_output, color="never", **options)
        return dict(result.summary.resource_changes or {})

    def export_state(self, stack: str) -> Mapping[str, Any]:
        # LocalWorkspace.export_stack runs `pulumi stack export --show-secrets`: secrets are plaintext in
        # this process, and `stack import` encrypts them again with the stack's secrets provider.
        exported = self._ws.export_stack(stack)
        return {"version": exported.version, "deployment": exported.deployment}

    def import_state(self, stack: str, state: Mapping[str, Any]) -> None:
        deployment = self._auto.Deployment(version=state.get("version"), deployment=state.get("deployment"))
        self._ws.import_stack(stack, deployment)

    def remove(self, stack: str) -> None:
        self._ws.remove_stack(stack)

    def outputs(self, stack: str) -> dict[str, Any]:
        """The stack's outputs as plain values (secrets in plaintext: ``pulumi stack output --show-secrets``)."""
        return {key: output.value for key, output in self._ws.stack_outputs(stack).items()}

    def _select(self, stack: str) -> Any:
        return self._auto.Stack.select(stack, self._ws)

    def _try_set_tag(self, stack: str, expires: str) -> None:
        # Stack tags make the expiry visible in the backend without reading state; not every backend
        # supports them, and the provider default tags in state remain the fallback.
        try:
            self._ws.set_tag(stack, EXPIRES_TAG, expires)
        except self._auto.errors.CommandError:
            return

    def _tag_expiry(self, stack: str) -> str | None:
        try:
            value = self._ws.get_tag(stack, EXPIRES_TAG)
        except self._auto.errors.CommandError:
            return None
        return value or None

    def _state_expiry(self, stack: str) -> str | None:
        # A scheduled reaper runs in a fresh checkout without Pulumi.pr-N.yaml, so the expiry is read
        # from what was deployed: the AWS provider's default tags recorded in the stack's state.
        try:
            deployment = self._ws.export_stack(stack).deployment
        except self._auto.errors.CommandError:
            return None
        return expiry_from_state(deployment or {})


def command_failure(text: str) -> str:
    """``exit code N: <last line of stderr>`` from a ``CommandError`` (``code: N / stdout: ... / stderr: ...``)."""
    code = re.search(r"^\s*code: (-?\d+)", text, re.MULTILINE)
    if code is None:  # not the Automation API's layout: keep the text's last line
        return _last_line(text) or "no output"
    stdout, _, stderr = text.partition(" stdout: ")[2].partition(" stderr: ")
    # Pulumi writes errors to stderr; a few commands report them on stdout only.
    return f"exit code {code.group(1)}: {_last_line(stderr) or _last_line(stdout) or 'no output'}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def target_options(targets: Sequence[str] | None) -> dict[str, Any]:
    """Keyword arguments of ``Stack.up``/``Stack.destroy`` for a target list (None: the whole stack).

    ``Stack.up(target=[])`` passes no ``--target`` at all, i.e. operates on the whole stack: an empty
    list is therefore refused here rather than silently widened.
    """
    if targets is None:
        return {}
    urns = list(targets)
    if not urns:
        raise ValueError("an empty target list would make this a whole-stack operation; refusing")
    return {"target": urns}


def write_stack_config(project_dir: Path, stack: str, config: Mapping[str, Any]) -> Path:
    """Replace the ``config:`` of ``Pulumi.<stack>.yaml`` (in ``stackConfigDir``), keeping its other keys.

    The CLI's ``config set`` stores objects as strings unless set path by path, and LocalWorkspace's
    stack-settings helpers ignore ``stackConfigDir``. Writing the file keeps structured values
    structured and keeps what ``stack init`` put there (secrets provider, encryption salt).
    """
    path = stack_config_dir(project_dir) / f"Pulumi.{stack.split('/')[-1]}.yaml"
    existing: dict[str, Any] = {}
    if path.is_file():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        existing = loaded if isinstance(loaded, dict) else {}
    existing["config"] = dict(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(existing, sort_keys=False), encoding="utf-8")
    return path


def expiry_from_state(deployment: Mapping[str, Any]) -> str | None:
    """The ``mlops:expires-at`` default tag of the stack's AWS provider(s) in an exported deployment.

    The latest expiry wins when several providers disagree (the stack lives until the last one).
    """
    found: list[str] = []
    for resource in deployment.get("resources") or []:
        if not str(resource.get("type", "")).startswith("pulumi:providers:aws"):
            continue
        for section in ("inputs", "outputs"):
            tags = _default_tags(resource.get(section) or {})
            if isinstance(tags.get(EXPIRES_TAG), str):
                found.append(tags[EXPIRES_TAG])
    if not found:
        return None
    parsed: list[tuple[datetime, str]] = []
    for raw in found:
        try:
            parsed.append((parse_timestamp(raw), raw))
        except ExpiryError:
            continue
    # An unparseable value is still returned (and then kept by the reaper) rather than hidden.
    return max(parsed)[1] if parsed else found[0]


def _default_tags(props: Mapping[str, Any]) -> Mapping[str, Any]:
    value = props.get("defaultTags")
    # Provider inputs are stored as JSON strings in state for nested values.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    if not isinstance(value, Mapping):
        return {}
    tags = value.get("tags")
    return tags if isinstance(tags, Mapping) else {}
