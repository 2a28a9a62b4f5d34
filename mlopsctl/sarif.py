"""SARIF 2.1.0 output of a policy report, for GitHub code scanning (``mlopsctl plan --format sarif``).

Infrastructure findings have no source line: each result is located at ``plan_path_hint`` (the
file a reviewer should open, e.g. the stack file) and names the resource through a logical
location whose fully qualified name is its URN. Mandatory rules map to ``error``, advisory ones
to ``warning``; ``security-severity`` (GitHub's 0-10 scale) follows the rule's severity.
Fingerprints hash rule and URN (not the message) so GitHub tracks one alert per resource and rule.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mlopsctl.policy import PolicyReport
from policies.mlops.rule import RuleMeta

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
PACK_VERSION = "0.1.0"
"""Matches policies/PulumiPolicy.yaml."""

LEVEL = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _rule(meta: RuleMeta) -> dict[str, Any]:
    service = meta.name.split("-", 1)[0]
    return {
        "id": meta.name,
        "name": "".join(part.capitalize() for part in meta.name.split("-")),
        "shortDescription": {"text": meta.description},
        "fullDescription": {"text": f"{meta.description} Applies to: {', '.join(meta.resource_types) or 'the stack'}."},
        "help": {
            "text": f"{meta.description}\nRemediation: {meta.remediation}",
            "markdown": f"**{meta.description}**\n\n**Remediation:** {meta.remediation}",
        },
        "defaultConfiguration": {"level": LEVEL[meta.level.value]},
        "properties": {
            "tags": ["security", "infrastructure", service],
            "precision": "high",
            "problem.severity": "error" if meta.level.value == "mandatory" else "warning",
            "security-severity": SECURITY_SEVERITY[meta.severity.value],
            "enforcementLevel": meta.level.value,
            "severity": meta.severity.value,
            "kind": meta.kind,
        },
    }


def _stack_name(stack_urn: str) -> str:
    return stack_urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def _logical_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def to_sarif(report: PolicyReport, *, plan_path_hint: str) -> dict[str, Any]:
    """The report as one SARIF 2.1.0 log (a JSON-ready dict) with one run of the ``mlops-platform`` pack."""
    rules = list(report.rules)
    index = {meta.name: i for i, meta in enumerate(rules)}
    results = []
    for violation in report.violations:
        result: dict[str, Any] = {
            "ruleId": violation.policy,
            "level": LEVEL.get(violation.level, "warning"),
            "message": {"text": f"{violation.message} ({_logical_name(violation.urn)})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": plan_path_hint},
                        "region": {"startLine": 1},
                    },
                    "logicalLocations": [
                        {
                            "name": _logical_name(violation.urn),
                            "fullyQualifiedName": violation.urn,
                            "kind": "resource",
                        }
                    ],
                }
            ],
            "partialFingerprints": {
                "mlopsPolicy/v1": hashlib.sha256(f"{violation.policy}|{violation.urn}".encode()).hexdigest()
            },
            "properties": {"severity": violation.severity, "enforcementLevel": violation.level},
        }
        if violation.policy in index:
            result["ruleIndex"] = index[violation.policy]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": report.pack,
                        "version": PACK_VERSION,
                        "semanticVersion": PACK_VERSION,
                        "rules": [_rule(meta) for meta in rules],
                    }
                },
                # One analysis category per stack, so dev and prod alerts do not close each other.
                "automationDetails": {"id": f"{report.pack}/{_stack_name(report.stack_urn)}/"},
                "results": results,
                "properties": {"exemptions": [dict(e) for e in report.exemptions]},
            }
        ],
    }
