"""Entry point of the CrossGuard pack: `pulumi preview --policy-pack policies`.

The only place that constructs ``PolicyPack`` (constructing it starts the analyzer's gRPC
server and blocks). The Python analyzer runs this file with ``runpy`` from inside ``policies/``,
so the repository root is put on ``sys.path`` to import the rules as ``policies.mlops...``, the
same modules ``mlopsctl`` evaluates offline.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.mlops.pack import PACK_NAME, RULES

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[rule.policy for rule in RULES],
)
