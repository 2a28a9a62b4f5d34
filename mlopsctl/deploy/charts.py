"""What the deploy checks know about the Helm charts the platform installs, one entry per chart name.

Each entry records, for the chart version it was read at: how long a readiness wait can take on a fresh
cluster, which of its jobs are Helm hooks unless values say otherwise, whether its pods call the
Kubernetes API, and the images it runs when values do not override them. Add a chart here when the
program installs a new one; an unknown chart is assumed to call the API and to bring images the plan
cannot list (both reported).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlopsctl.deploy.graphs import dig


@dataclass(frozen=True)
class When:
    """A condition on a release's values: the value at ``path`` (``default`` when unset) is one of
    ``one_of``, or contains the substring ``contains``."""

    path: str
    default: Any
    one_of: tuple[Any, ...] = (True,)
    contains: str | None = None

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether the condition holds for these values."""
        value = dig(values, self.path, self.default)
        if self.contains is not None:
            return isinstance(value, str) and self.contains in value
        return value in self.one_of


@dataclass(frozen=True)
class HookJob:
    """A chart job that is a Helm hook unless values turn that off."""

    job: str
    """The values key of the job (``migrateDatabaseJob``)."""
    enabled_if_any: tuple[When, ...]
    """The job is rendered when any of these holds (empty: always)."""
    hook_if: When
    """The job carries ``helm.sh/hook`` annotations when this holds."""
    fix: str
    """Values that make it a plain Job."""


@dataclass(frozen=True)
class DefaultImage:
    """An image the chart runs unless values override it at ``values_path``."""

    values_path: str
    """Where values set this image (``images.statsd``): an image found there replaces this default."""
    repository: str
    """Repository with its registry (``quay.io/prometheus/statsd-exporter``)."""
    tag: str | None
    """The tag at :attr:`ChartFacts.read_at`; ``{version}`` is the release's chart version (the chart tags
    its images with it); None: set by the chart (its appVersion), not recorded here."""
    when: tuple[When, ...] = ()
    """All must hold for the chart to run this image."""
    tag_path: str | None = None
    """A values key the chart takes this image's tag from when set (Airflow's ``defaultAirflowTag``)."""
    repository_path: str | None = None
    """A values key the chart takes this image's repository from when set (Airflow's
    ``defaultAirflowRepository``)."""


@dataclass(frozen=True)
class ChartFacts:
    """What is known about one chart at one version."""

    read_at: str
    """Chart version these facts were read at (tags fixed at that version are reported only for it)."""
    source: str
    """Where they were read (chart values / templates at that version)."""
    worst_case_wait_s: int
    """Longest a readiness wait of a first install may take on a fresh cluster (new nodes pulling images);
    a waiting release with a shorter ``timeout`` fails (and rolls back when atomic)."""
    api_client: tuple[When, ...] | bool
    """Whether the release's pods call the Kubernetes API (conditions on values, all must hold)."""
    hooks: tuple[HookJob, ...] = ()
    images: tuple[DefaultImage, ...] = ()

    def calls_api(self, values: Mapping[str, Any]) -> bool:
        """Whether a release with these values runs pods that call the Kubernetes API."""
        if isinstance(self.api_client, bool):
            return self.api_client
        return all(condition.holds(values) for condition in self.api_client)


_CELERY = When("executor", "CeleryExecutor", contains="Celery")
_LOCALMODEL = (When("kserve.localmodel.enabled", False),)
_AIRFLOW_IMAGES = (
    "chart/values.yaml and values.schema.json (apache/airflow helm-chart/1.18.0; schema pinned in tools/schemas.json)"
)

CHARTS: dict[str, ChartFacts] = {
    # Airflow: Helm runs post-install hooks only after `--wait` succeeds, and every Airflow pod waits for the
    # migrations (wait-for-airflow-migrations init container): with the migrate job as a hook nothing ever
    # becomes ready (fluxcd/flux2#1085). The chart docs ask installers that wait (Argo CD, Flux, Terraform)
    # for the four values in `fix` (https://airflow.apache.org/docs/helm-chart/stable/index.html, "Installing
    # the Chart with Argo CD, Flux, Rancher or Terraform"). Templates: chart/templates/jobs/
    # migrate-database-job.yaml and create-user-job.yaml (hook annotations under `useHelmHooks`).
    "airflow": ChartFacts(
        read_at="1.18.0",
        source=_AIRFLOW_IMAGES,
        # Migrations of an empty metadata database plus a ~600 MB apache/airflow image on new nodes.
        worst_case_wait_s=600,
        # KubernetesExecutor (or CeleryKubernetesExecutor): the scheduler launches task pods.
        api_client=(When("executor", "CeleryExecutor", contains="Kubernetes"),),
        hooks=(
            HookJob(
                job="migrateDatabaseJob",
                enabled_if_any=(When("migrateDatabaseJob.enabled", True),),
                hook_if=When("migrateDatabaseJob.useHelmHooks", True),
                fix="migrateDatabaseJob: {useHelmHooks: false, applyCustomEnv: false}",
            ),
            HookJob(
                job="createUserJob",
                enabled_if_any=(
                    When("webserver.defaultUser.enabled", True),
                    When("apiServer.defaultUser.enabled", True),
                ),
                hook_if=When("createUserJob.useHelmHooks", True),
                fix="createUserJob: {useHelmHooks: false, applyCustomEnv: false}, or no default user",
            ),
        ),
        images=(
            DefaultImage(
                "images.airflow",
                "docker.io/apache/airflow",
                None,
                tag_path="defaultAirflowTag",
                repository_path="defaultAirflowRepository",
            ),
            # The KubernetesExecutor's task pods: `pod_template_image` falls back to defaultAirflowRepository and
            # defaultAirflowTag, not to images.airflow (chart/templates/_helpers.yaml).
            DefaultImage(
                "images.pod_template",
                "docker.io/apache/airflow",
                None,
                (When("executor", "CeleryExecutor", contains="Kubernetes"),),
                tag_path="defaultAirflowTag",
                repository_path="defaultAirflowRepository",
            ),
            DefaultImage(
                "images.statsd", "quay.io/prometheus/statsd-exporter", "v0.28.0", (When("statsd.enabled", True),)
            ),
            DefaultImage(
                "images.pgbouncer",
                "docker.io/apache/airflow",
                "airflow-pgbouncer-2025.03.05-1.23.1",
                (When("pgbouncer.enabled", False),),
            ),
            DefaultImage(
                "images.pgbouncerExporter",
                "docker.io/apache/airflow",
                "airflow-pgbouncer-exporter-2025.03.05-0.18.0",
                (When("pgbouncer.enabled", False),),
            ),
            DefaultImage(
                "images.redis", "docker.io/library/redis", "7.2-bookworm", (When("redis.enabled", True), _CELERY)
            ),
            DefaultImage(
                "images.gitSync", "registry.k8s.io/git-sync/git-sync", "v4.4.2", (When("dags.gitSync.enabled", False),)
            ),
        ),
    ),
    # cert-manager: controller, webhook, cainjector and the startupapicheck post-install hook, all tagged
    # with the chart version (https://github.com/cert-manager/cert-manager/blob/v1.21.1/deploy/charts/cert-manager/values.yaml).
    "cert-manager": ChartFacts(
        read_at="v1.21.1",
        source="deploy/charts/cert-manager/values.yaml (cert-manager/cert-manager v1.21.1)",
        worst_case_wait_s=300,
        api_client=True,
        images=tuple(
            DefaultImage(path, f"quay.io/jetstack/cert-manager-{name}", "{version}")
            for path, name in (
                ("image", "controller"),
                ("webhook.image", "webhook"),
                ("cainjector.image", "cainjector"),
                ("startupapicheck.image", "startupapicheck"),
                # Not a pod of the release: the controller starts it for ACME HTTP-01 challenges.
                ("acmesolver.image", "acmesolver"),
            )
        ),
    ),
    # KServe: the controller and the images it injects or serves with, tagged with the chart version;
    # third-party serving runtimes keep the chart's own tags (charts/kserve-resources/values.yaml).
    "kserve": ChartFacts(
        read_at="v0.15.2",
        source="charts/kserve-resources/values.yaml (kserve/kserve v0.15.2)",
        # The controller becomes ready only once cert-manager has issued its webhook certificate.
        worst_case_wait_s=300,
        api_client=True,
        images=(
            DefaultImage("kserve.controller.image", "docker.io/kserve/kserve-controller", "{version}"),
            DefaultImage("kserve.storage.image", "docker.io/kserve/storage-initializer", "{version}"),
            DefaultImage("kserve.agent.image", "docker.io/kserve/agent", "{version}"),
            DefaultImage("kserve.router.image", "docker.io/kserve/router", "{version}"),
            DefaultImage("kserve.controller.rbacProxyImage", "quay.io/brancz/kube-rbac-proxy", None),
            *(
                DefaultImage(f"kserve.servingruntime.{name}.image", f"docker.io/kserve/{name}", "{version}")
                for name in (
                    "sklearnserver",
                    "xgbserver",
                    "lgbserver",
                    "pmmlserver",
                    "paddleserver",
                    "huggingfaceserver",
                )
            ),
            DefaultImage("kserve.servingruntime.tensorflow.image", "docker.io/tensorflow/serving", None),
            DefaultImage("kserve.servingruntime.mlserver.image", "docker.io/seldonio/mlserver", None),
            DefaultImage("kserve.servingruntime.tritonserver.image", "nvcr.io/nvidia/tritonserver", None),
            DefaultImage("kserve.servingruntime.torchserve.image", "docker.io/pytorch/torchserve-kfs", None),
            DefaultImage("kserve.servingruntime.art.image", "docker.io/kserve/art-explainer", "{version}"),
            *(
                DefaultImage(f"kserve.localmodel.{part}.image", f"docker.io/kserve/{name}", "{version}", _LOCALMODEL)
                for part, name in (
                    ("controller", "kserve-localmodel-controller"),
                    ("agent", "kserve-localmodelnode-agent"),
                )
            ),
            # Hardcoded in templates/configmap.yaml (`localModel.defaultJobImage`): no value overrides it.
            DefaultImage(
                "kserve.localmodel.defaultJobImage", "docker.io/kserve/storage-initializer", "latest", _LOCALMODEL
            ),
        ),
    ),
    # AWS Load Balancer Controller, reconciling TargetGroupBindings only (components/access/controller.py): no Helm
    # hooks in its templates; image tag = appVersion = v<chart version>
    # (helm/aws-load-balancer-controller/ at kubernetes-sigs/aws-load-balancer-controller v3.5.0).
    "aws-load-balancer-controller": ChartFacts(
        read_at="3.5.0",
        source="helm/aws-load-balancer-controller/values.yaml (kubernetes-sigs/aws-load-balancer-controller v3.5.0)",
        # Two replicas on running nodes, one small image; readiness waits for the webhook server.
        worst_case_wait_s=300,
        api_client=True,
        images=(DefaultImage("image", "public.ecr.aws/eks/aws-load-balancer-controller", "v{version}"),),
    ),
    # CRDs only: no pods, nothing to wait for but the API server.
    "kserve-crd": ChartFacts(
        read_at="v0.15.2", source="charts/kserve-crd (kserve/kserve v0.15.2)", worst_case_wait_s=60, api_client=False
    ),
    # External Secrets: controller, webhook and cert controller share one image tagged v<appVersion>
    # (https://github.com/external-secrets/external-secrets/blob/v2.3.0/deploy/charts/external-secrets/values.yaml).
    # The webhook turns ready only after the cert controller has issued and injected its certificate.
    "external-secrets": ChartFacts(
        read_at="2.3.0",
        source="deploy/charts/external-secrets/values.yaml (external-secrets/external-secrets v2.3.0)",
        worst_case_wait_s=600,
        api_client=True,
        images=(
            DefaultImage("image", "ghcr.io/external-secrets/external-secrets", "v{version}"),
            DefaultImage("webhook.image", "ghcr.io/external-secrets/external-secrets", "v{version}"),
            DefaultImage("certController.image", "ghcr.io/external-secrets/external-secrets", "v{version}"),
        ),
    ),
    # Cluster Autoscaler: image tag is the appVersion, not the chart version (9.53.0 ships v1.34.2); the
    # program sets it explicitly (components/cluster/charts.py CLUSTER_AUTOSCALER_RELEASES).
    "cluster-autoscaler": ChartFacts(
        read_at="9.53.0",
        source="charts/cluster-autoscaler/values.yaml (kubernetes/autoscaler cluster-autoscaler-chart-9.53.0)",
        worst_case_wait_s=300,
        api_client=True,
        images=(DefaultImage("image", "registry.k8s.io/autoscaling/cluster-autoscaler", None),),
    ),
    # NVIDIA device plugin: talks to the kubelet's device-plugin socket, not to the API server (GFD, which
    # would, is off). A DaemonSet on the GPU pool: ready with zero GPU nodes.
    "nvidia-device-plugin": ChartFacts(
        read_at="0.17.4",
        source="deployments/helm/nvidia-device-plugin/values.yaml (NVIDIA/k8s-device-plugin v0.17.4)",
        worst_case_wait_s=300,
        api_client=(When("gfd.enabled", False, one_of=(True,)),),
        images=(DefaultImage("image", "nvcr.io/nvidia/k8s-device-plugin", "v{version}"),),
    ),
}


def chart_name(chart: Any) -> str:
    """The table key of a release's ``chart`` input: ``oci://ghcr.io/kserve/charts/kserve`` -> ``kserve``,
    ``jetstack/cert-manager`` -> ``cert-manager``."""
    text = str(chart or "")
    return text.rstrip("/").rsplit("/", 1)[-1]


def facts_for(chart: Any) -> ChartFacts | None:
    """The table entry of a release's chart, if the chart is known."""
    return CHARTS.get(chart_name(chart))
