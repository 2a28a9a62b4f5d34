"""Invariant 3: Helm releases whose wait, hooks and timeout cannot complete a first install."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_testkit import cluster_base, graph, ids, reg, release

from mlopsctl.deploy.charts import CHARTS, When, chart_name
from mlopsctl.deploy.helm import check_helm_wait, timeout_of, waits

PLAIN_JOBS = {
    "migrateDatabaseJob": {"useHelmHooks": False, "applyCustomEnv": False},
    "createUserJob": {"useHelmHooks": False, "applyCustomEnv": False},
}


def airflow(values: dict[str, Any], **inputs: Any) -> list[str]:
    base = cluster_base()
    inputs.setdefault("timeout", 900)
    rel = release("airflow", "airflow", namespace="airflow", provider=base["provider"], values=values, **inputs)
    return ids(check_helm_wait(graph(*base.values(), rel)))


def test_airflow_with_default_hooks_deadlocks_behind_the_wait() -> None:
    assert airflow({}) == ["helm-wait:airflow:createUserJob", "helm-wait:airflow:migrateDatabaseJob"]


def test_airflow_migrations_as_plain_jobs_complete() -> None:
    assert airflow(PLAIN_JOBS) == []


def test_the_user_job_is_not_rendered_without_a_default_user() -> None:
    no_user = {"webserver": {"defaultUser": {"enabled": False}}, "apiServer": {"defaultUser": {"enabled": False}}}
    assert airflow({**no_user, "migrateDatabaseJob": {"useHelmHooks": False}}) == []
    # One default user left enabled renders the job again.
    assert airflow(
        {"webserver": {"defaultUser": {"enabled": False}}, "migrateDatabaseJob": {"useHelmHooks": False}}
    ) == ["helm-wait:airflow:createUserJob"]


def test_a_disabled_migration_job_is_no_hook() -> None:
    values = {"migrateDatabaseJob": {"enabled": False}, "createUserJob": {"useHelmHooks": False}}
    assert airflow(values) == []


def test_skip_await_lifts_the_deadlock_unless_atomic_forces_the_wait() -> None:
    assert airflow({}, skipAwait=True) == []
    assert airflow({}, skipAwait=True, atomic=True) == [
        "helm-wait:airflow:createUserJob",
        "helm-wait:airflow:migrateDatabaseJob",
    ]


def test_a_timeout_below_the_charts_worst_case_fails() -> None:
    assert airflow(PLAIN_JOBS, timeout=300) == ["helm-wait:airflow:timeout"]
    assert airflow(PLAIN_JOBS, timeout=CHARTS["airflow"].worst_case_wait_s) == []


def test_the_default_timeout_is_300_seconds() -> None:
    base = cluster_base()
    eso = release("eso", "external-secrets", namespace="external-secrets", provider=base["provider"])
    assert timeout_of(eso) == 300 and waits(eso)
    assert ids(check_helm_wait(graph(*base.values(), eso))) == ["helm-wait:eso:timeout"]
    assert timeout_of(reg("kubernetes:helm.sh/v3:Release", "x", {"timeout": "[unknown]"})) is None


def test_atomic_with_the_default_timeout_must_wait_for_nodes() -> None:
    base = cluster_base()
    unbound = release("crds", "some-unknown-chart", namespace="x", provider=None, atomic=True)
    assert ids(check_helm_wait(graph(*base.values(), unbound))) == ["helm-wait:crds:atomic"]
    behind_nodes = release("crds", "some-unknown-chart", namespace="x", provider=base["provider"], atomic=True)
    assert check_helm_wait(graph(*base.values(), behind_nodes)) == []
    longer = release("crds", "some-unknown-chart", namespace="x", provider=None, atomic=True, timeout=900)
    assert check_helm_wait(graph(*base.values(), longer)) == []


@pytest.mark.parametrize(
    ("chart", "name"),
    [
        ("oci://ghcr.io/kserve/charts/kserve", "kserve"),
        ("jetstack/cert-manager", "cert-manager"),
        ("airflow", "airflow"),
        ("oci://ghcr.io/kserve/charts/kserve-crd/", "kserve-crd"),
    ],
)
def test_chart_names_key_the_table(chart: str, name: str) -> None:
    assert chart_name(chart) == name


def test_conditions_read_values_with_defaults() -> None:
    kubernetes = When("executor", "CeleryExecutor", contains="Kubernetes")
    assert not kubernetes.holds({})
    assert kubernetes.holds({"executor": "CeleryKubernetesExecutor"})
    assert When("a.b", True).holds({}) and not When("a.b", True).holds({"a": {"b": False}})


def test_every_chart_entry_cites_its_source_and_version() -> None:
    for name, facts in CHARTS.items():
        assert facts.read_at and facts.source and facts.worst_case_wait_s > 0, name
