"""Regenerate ``taggable_types.py`` from the installed pulumi-aws SDK.

A resource is taggable when its constructor accepts a ``tags`` input (``__props__.__dict__["tags"]
= tags`` in ``_internal_init``). Run after upgrading pulumi-aws::

    python -m policies.mlops.tagging.generate_taggable

``tests/policies/test_policy_tagging.py`` fails when the committed list is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_INIT = re.compile(r"def _internal_init\(.*?super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'", re.S)
_TAGS_INPUT = '__props__.__dict__["tags"] = tags\n'
_OUTPUT = Path(__file__).with_name("taggable_types.py")


def scan_sdk(sdk_root: Path) -> set[str]:
    """Type tokens of every pulumi-aws resource with a ``tags`` input."""
    found: set[str] = set()
    for path in sdk_root.rglob("*.py"):
        if path.name.startswith("_") or path.name in ("outputs.py", "config.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if _TAGS_INPUT not in text:
            continue
        for match in _INIT.finditer(text):
            if _TAGS_INPUT in match.group(0):
                found.add(match.group(1))
    return found


def render(types: set[str], version: str) -> str:
    """The generated module's source."""
    lines = "\n".join(f'        "{t}",' for t in sorted(types))
    return (
        f'"""Type tokens of taggable pulumi-aws resources (generated from pulumi-aws {version};\n'
        'regenerate with ``python -m policies.mlops.tagging.generate_taggable``)."""\n\n'
        "from __future__ import annotations\n\n"
        f'SDK_VERSION = "{version}"\n\n'
        f"TAGGABLE_TYPES = frozenset(\n    {{\n{lines}\n    }}\n)\n"
    )


def sdk_location() -> tuple[Path, str]:
    """Where pulumi-aws is installed and its version."""
    from importlib.metadata import version

    import pulumi_aws

    return Path(pulumi_aws.__file__).parent, version("pulumi-aws")


def main() -> int:
    """Write ``taggable_types.py``."""
    root, version = sdk_location()
    _OUTPUT.write_text(render(scan_sdk(root), version), encoding="utf-8")
    print(f"wrote {_OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
