"""Pure values of the cluster-side agents: the CloudWatch add-on's configuration, its log groups and service
account, and the GPU instance types its DCGM exporter runs on.

Checked against the add-on's chart at the pinned version (aws-observability/helm-charts, tag
amazon-cloudwatch-observability-4.10.3):

- ``agent.config`` replaces the default agent configuration (``values.yaml`` ``agent.defaultConfig``, which
  also turns on Application Signals and X-Ray traces). The platform keeps Container Insights with enhanced
  observability only; ``accelerated_compute_metrics`` makes the agent scrape the DCGM exporter (NVIDIA GPU
  metrics) and is on only with a GPU pool. The helper ``cloudwatch-agent.modify-config`` fills in the
  cluster name and region.
- Fluent Bit writes ``/aws/containerinsights/<cluster>/{application,dataplane,host}`` and the agent's EMF
  performance events go to ``/aws/containerinsights/<cluster>/performance``, all with
  ``auto_create_group true``: the platform creates them first, with a retention and its key, so nothing
  creates them unencrypted and never-expiring (the add-on must depend on them).
- The agent (``AmazonCloudWatchAgent`` ``hostNetwork: true``) and Fluent Bit (DaemonSet ``hostNetwork: true``)
  run on the node's network and share the ``cloudwatch-agent`` service account in ``amazon-cloudwatch``.
- ``dcgmExporter.affinity`` schedules the exporter only on the instance types below.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

ADDON_NAMESPACE = "amazon-cloudwatch"
"""Namespace the CloudWatch add-on installs into."""
ADDON_SERVICE_ACCOUNT = "cloudwatch-agent"
"""Service account of the agent and Fluent Bit (IRSA)."""
LOG_STREAMS = ("application", "dataplane", "host", "performance")
"""Container Insights log groups per cluster. On AL2023 nodes ``host`` and most of ``dataplane`` stay empty
(journald, no /var/log files: CloudWatch user guide, "Quick start with the Amazon CloudWatch Observability
EKS add-on"), so only ``application`` and ``performance`` are watched for ingestion."""
WATCHED_STREAMS = ("application", "performance")

DCGM_INSTANCE_TYPES = frozenset(
    {
        "g3.16xlarge", "g3.4xlarge", "g3.8xlarge", "g3s.xlarge", "g4ad.16xlarge", "g4ad.2xlarge", "g4ad.4xlarge",
        "g4ad.8xlarge", "g4ad.xlarge", "g4dn.12xlarge", "g4dn.16xlarge", "g4dn.2xlarge", "g4dn.4xlarge",
        "g4dn.8xlarge", "g4dn.metal", "g4dn.xlarge", "g5.12xlarge", "g5.16xlarge", "g5.24xlarge", "g5.2xlarge",
        "g5.48xlarge", "g5.4xlarge", "g5.8xlarge", "g5.xlarge", "g5g.16xlarge", "g5g.2xlarge", "g5g.4xlarge",
        "g5g.8xlarge", "g5g.metal", "g5g.xlarge", "g6.12xlarge", "g6.16xlarge", "g6.24xlarge", "g6.2xlarge",
        "g6.48xlarge", "g6.4xlarge", "g6.8xlarge", "g6.xlarge", "g6e.12xlarge", "g6e.16xlarge", "g6e.24xlarge",
        "g6e.2xlarge", "g6e.48xlarge", "g6e.4xlarge", "g6e.8xlarge", "g6e.xlarge", "p2.16xlarge", "p2.8xlarge",
        "p2.xlarge", "p3.16xlarge", "p3.2xlarge", "p3.8xlarge", "p3dn.24xlarge", "p4d.24xlarge", "p4de.24xlarge",
        "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge",
    }
)  # fmt: skip
"""``dcgmExporter.affinity`` of the chart at 4.10.3: the instance types the DCGM exporter is scheduled on."""


def log_group_prefix(cluster: str) -> str:
    """The prefix of every Container Insights log group of ``cluster``."""
    return f"/aws/containerinsights/{cluster}/"


def log_group_names(cluster: str) -> dict[str, str]:
    """Stream -> log group name of the Container Insights log groups of ``cluster``."""
    return {stream: f"{log_group_prefix(cluster)}{stream}" for stream in LOG_STREAMS}


def cloudwatch_addon_configuration(*, gpu: bool) -> str:
    """``configurationValues`` of the amazon-cloudwatch-observability add-on (JSON text)."""
    kubernetes = {"enhanced_container_insights": True, "accelerated_compute_metrics": gpu}
    return json.dumps(
        {"agent": {"config": {"logs": {"metrics_collected": {"kubernetes": kubernetes}}}}}, sort_keys=True
    )


def check_gpu_instance_types(instance_types: Sequence[str]) -> None:
    """Refuse GPU instance types the add-on's DCGM exporter is not scheduled on (no GPU metrics there)."""
    unknown = sorted(set(instance_types) - DCGM_INSTANCE_TYPES)
    if unknown:
        raise ValueError(
            f"GPU instance types {unknown}: the CloudWatch add-on's DCGM exporter does not run on them (its "
            "dcgmExporter.affinity at 4.10.3), so their GPUs would report no metrics"
        )
