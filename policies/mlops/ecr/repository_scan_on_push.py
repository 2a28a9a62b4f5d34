"""ecr-repository-scan-on-push: every pushed image is scanned for vulnerabilities.

The repository setting (``imageScanningConfiguration.scanOnPush``) is what a repository carries on its own; the
registry scanning configuration (basic or enhanced) covers repositories ECR creates from templates, which have
no scanning field (ECR API reference, PutRegistryScanningConfiguration).
"""

from __future__ import annotations

from policies.mlops.ecr._types import REPOSITORY
from policies.mlops.props import as_map, get, is_true, known
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    scanning = as_map(known(resource.props, "imageScanningConfiguration"))
    if not is_true(get(scanning, "scanOnPush")):
        report("imageScanningConfiguration.scanOnPush is not true: pushed images are not scanned")


RULE = resource_rule(
    name="ecr-repository-scan-on-push",
    description="ECR repositories scan every pushed image.",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation="Set image_scanning_configuration={'scan_on_push': True} on aws.ecr.Repository.",
    resource_types=(REPOSITORY,),
    check=_check,
)
