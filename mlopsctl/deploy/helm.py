"""Invariant 3, Helm wait vs hooks: every ``helm.v3.Release`` can finish its install.

Pulumi's ``helm.v3.Release`` runs Helm's install action: it waits for readiness unless ``skipAwait`` (and
always when ``atomic``: Helm sets ``wait`` for atomic installs), and Helm runs post-install hooks only
after that wait. Three ways a release cannot complete:

- a chart job that is a hook while the chart's pods wait for it (Airflow's migrations): deadlock;
- a ``timeout`` below the chart's known worst case (:data:`mlopsctl.deploy.charts.CHARTS`);
- ``atomic`` with Helm's 300 s default timeout on a release that does not wait for a node group: on a
  fresh cluster the pods stay Pending until nodes join, and the release is rolled back.
"""

from __future__ import annotations

from mlopsctl.deploy.charts import facts_for
from mlopsctl.deploy.graphs import Finding, concrete, index_of, release_values
from mlopsctl.deploy.ordering import NODE_GROUP
from mlopsctl.engine import Graph, Registration

CHECK = "helm-wait"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
DEFAULT_TIMEOUT_S = 300
"""``helm.v3.Release.timeout`` default (Helm's ``--timeout 5m0s``)."""


def waits(release: Registration) -> bool:
    """Whether the install waits for readiness (``skipAwait`` off, or ``atomic``, which implies a wait)."""
    return release.inputs.get("skipAwait") is not True or release.inputs.get("atomic") is True


def timeout_of(release: Registration) -> int | None:
    """The release's timeout in seconds (the default when unset; None when not known offline)."""
    value = release.inputs.get("timeout", DEFAULT_TIMEOUT_S)
    if value is None:
        return DEFAULT_TIMEOUT_S
    if not concrete(value) or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def check_helm_wait(graph: Graph) -> list[Finding]:
    """Releases whose wait, hooks and timeout settings cannot complete a first install."""
    index = index_of(graph)
    findings = []
    for release in index.of_type(HELM_RELEASE):
        chart = release.inputs.get("chart")
        facts = facts_for(chart)
        values = release_values(release)
        timeout = timeout_of(release)
        if facts is not None and waits(release):
            for hook in facts.hooks:
                rendered = not hook.enabled_if_any or any(w.holds(values) for w in hook.enabled_if_any)
                if rendered and hook.hook_if.holds(values):
                    findings.append(
                        Finding(
                            CHECK,
                            f"{CHECK}:{release.name}:{hook.job}",
                            release.urn,
                            f"chart {chart}: {hook.job} is a Helm post-install hook, which Helm runs only after the "
                            "readiness wait, while the chart's pods wait for it: the install deadlocks until the "
                            f"timeout (fluxcd/flux2#1085). Set {hook.fix} (or skipAwait).",
                        )
                    )
            if timeout is not None and timeout < facts.worst_case_wait_s:
                findings.append(
                    Finding(
                        CHECK,
                        f"{CHECK}:{release.name}:timeout",
                        release.urn,
                        f"chart {chart}: timeout {timeout} s is below the chart's worst case of "
                        f"{facts.worst_case_wait_s} s for a first install on a fresh cluster; raise it.",
                    )
                )
        atomic_default = timeout is not None and timeout <= DEFAULT_TIMEOUT_S
        if (
            release.inputs.get("atomic") is True
            and atomic_default
            and not index.depends_on_type(release.urn, NODE_GROUP)
        ):
            findings.append(
                Finding(
                    CHECK,
                    f"{CHECK}:{release.name}:atomic",
                    release.urn,
                    f"atomic release with the {DEFAULT_TIMEOUT_S} s default timeout does not wait for a node group: "
                    "on a fresh cluster its pods stay Pending until nodes join and the release is rolled back. "
                    "Depend on the node groups, or raise the timeout.",
                )
            )
    return findings
