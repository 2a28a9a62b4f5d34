"""Invariant 6, versions that survive upgrades: no minor-pinned engine on a database AWS upgrades itself.

With ``autoMinorVersionUpgrade`` on (the AWS default), RDS moves the minor version in the maintenance
window; a plan still pinning the old minor then asks RDS to downgrade, which it refuses. Pin the major
(``"16"``) or turn automatic minor upgrades off on purpose.
"""

from __future__ import annotations

from mlopsctl.deploy.graphs import Finding, concrete, index_of
from mlopsctl.engine import Graph

CHECK = "engine-version"

VERSIONED_TYPES = ("aws:rds/instance:Instance",)
"""Resource types with ``engine``, ``engineVersion`` and ``autoMinorVersionUpgrade`` inputs."""

MAJOR_PARTS = {"postgres": 1, "mysql": 2, "mariadb": 2}
"""Dot-separated parts that make a major version per engine: PostgreSQL 10+ ``16``, MySQL/MariaDB ``8.0``
(PostgreSQL before 10 used two, ``9.6``). Engines not listed are not checked."""


def major_parts(engine: str, version: str) -> int | None:
    """How many leading parts of ``version`` form the major, or None for an unknown engine."""
    parts = MAJOR_PARTS.get(engine)
    if parts == 1 and engine == "postgres" and version.split(".", 1)[0].isdigit() and int(version.split(".")[0]) < 10:
        return 2
    return parts


def check_engine_versions(graph: Graph) -> list[Finding]:
    """Database instances pinning a minor version while AWS upgrades minors automatically."""
    findings = []
    for resource in index_of(graph).of_type(*VERSIONED_TYPES):
        inputs = resource.inputs
        engine, version = inputs.get("engine"), inputs.get("engineVersion")
        if not isinstance(engine, str) or not isinstance(version, str) or not concrete(version):
            continue
        if inputs.get("autoMinorVersionUpgrade") is False:
            continue
        parts = major_parts(engine, version)
        if parts is None or len(version.split(".")) <= parts:
            continue
        major = ".".join(version.split(".")[:parts])
        findings.append(
            Finding(
                CHECK,
                f"{CHECK}:{resource.name}",
                resource.urn,
                f"{engine} engineVersion {version!r} pins a minor version while autoMinorVersionUpgrade is on: "
                f"after AWS upgrades the minor, the next `pulumi up` asks RDS to downgrade and fails. Pin the major "
                f"({major!r}) or set autoMinorVersionUpgrade: false.",
            )
        )
    return findings
