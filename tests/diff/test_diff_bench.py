"""Benchmark: diffing two prod-sized plans (about 400 resources each, many changes) takes under a second."""

from __future__ import annotations

import time
from pathlib import Path

from diff_helpers import synthetic_platform, write

from mlopsctl.diff import diff_files, render

BUDGET_SECONDS = 1.0


def test_diff_of_two_400_resource_plans_is_fast(tmp_path: Path) -> None:
    base = write(tmp_path / "base.json", synthetic_platform(400, 0))
    head = write(tmp_path / "head.json", synthetic_platform(400, 1, stack="dev"))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        diff = diff_files(base, head)
        for fmt in ("markdown", "json", "text"):
            render(diff, fmt)
        timings.append(time.perf_counter() - started)
    assert len(diff.changes) >= 200 and diff.unchanged >= 150
    best = min(timings)
    print(f"\ndiff + 3 renderings of {len(diff.changes)} changes / {diff.unchanged} unchanged: {best * 1000:.0f} ms")
    assert best <= BUDGET_SECONDS
