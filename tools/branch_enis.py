"""Regenerate components/cluster/data/branch_enis.json: instance types that support security groups for pods.

Source: the VPC resource controller's limits table (`pkg/aws/vpc/limits.go` of
aws/amazon-vpc-resource-controller-k8s), the table EKS itself uses to give nodes trunk and branch ENIs. Keeps the
instance types with ``IsTrunkingCompatible: true`` and their ``BranchInterface`` count (pods with their own
security group per node). Usage: `python tools/branch_enis.py LIMITS_GO COMMIT`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "components" / "cluster" / "data" / "branch_enis.json"
ENTRY = re.compile(
    r'"(?P<type>[a-z0-9-]+\.[a-z0-9-]+)": \{[^{}]*?IsTrunkingCompatible:\s*(?P<trunk>true|false),\s*'
    r"BranchInterface:\s*(?P<branches>\d+)",
    re.S,
)


def main(limits_go: str, commit: str) -> None:
    text = Path(limits_go).read_text(encoding="utf-8")
    branches = {m["type"]: int(m["branches"]) for m in ENTRY.finditer(text) if m["trunk"] == "true"}
    if len(branches) < 500:
        raise SystemExit(f"{limits_go}: only {len(branches)} trunking-compatible types parsed; format changed?")
    doc = {
        "source": f"https://github.com/aws/amazon-vpc-resource-controller-k8s/blob/{commit}/pkg/aws/vpc/limits.go",
        "branchInterfaces": dict(sorted(branches.items())),
    }
    OUT.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(branches)} instance types")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
