"""helm-release-chart-version-pinned: Helm releases install an exact chart version."""

from __future__ import annotations

import re

from policies.mlops.kube import HELM_RELEASE
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

# An exact SemVer 2 version (optionally v-prefixed); ranges (^1, ~1.2, >=1, 1.x, *) float.
EXACT_VERSION = re.compile(r"v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _check(resource: ResourceInput, report: Report) -> None:
    chart = resource.props.get("chart")
    if isinstance(chart, str) and chart.startswith(("./", "../", "/")):
        resource.not_applicable("local chart directory: the repository pins it")
    version = resource.props.get("version")
    if not isinstance(version, str) or not version:
        report(f"chart {chart!r} has no version: every install may pick up a new release")
    elif not EXACT_VERSION.fullmatch(version):
        report(f"chart version {version!r} is a range, not an exact version")


RULE = resource_rule(
    name="helm-release-chart-version-pinned",
    description="helm.v3.Release pins an exact chart version, so previews are reproducible.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set version='<major>.<minor>.<patch>' on the Release and bump it deliberately.",
    resource_types=(HELM_RELEASE,),
    check=_check,
)
