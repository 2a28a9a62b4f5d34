"""Benchmark (not a test): how long `mlopsctl plan` takes per stack, end to end and per resource.

Reports, per stack: median wall time of the whole command in a fresh process (imports included),
resources planned, the in-process time of one warm program run, and the cost per resource
(warm run time / resources). Also times policy evaluation and a dev-vs-prod diff when those
tools are available. Usage: `make bench` (or `python bench/bench_plan.py --runs 5`).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "prod", "phoenix")


def wall_time(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="process runs per stack (median reported)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from mlopsctl.engine import run_stack
    from mlopsctl.plan import build_plan, dumps

    table = Table(title=f"mlopsctl plan (median of {args.runs} runs, 2-core machine)")
    for column in ("stack", "resources", "end-to-end wall (s)", "warm program run (ms)", "per resource (ms)"):
        table.add_column(column, justify="right" if column != "stack" else "left")
    plans: dict[str, Path] = {}
    tmp = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    for stack in STACKS:
        out = tmp / f"{stack}.json"
        cmd = [sys.executable, "-m", "mlopsctl", "plan", "--stack", stack, "--format", "json", "--out", str(out)]
        walls = [wall_time(cmd) for _ in range(args.runs)]
        run_stack(ROOT, stack)  # warm imports and caches
        warm = []
        for _ in range(args.runs):
            gc.collect()  # the previous sample's garbage is not this sample's cost
            started = time.perf_counter()
            graph = run_stack(ROOT, stack)
            dumps(build_plan(graph))
            warm.append(time.perf_counter() - started)
        count = len(graph.resources)
        median_warm = statistics.median(warm)
        table.add_row(
            stack,
            str(count),
            f"{statistics.median(walls):.2f}",
            f"{median_warm * 1000:.0f}",
            f"{median_warm * 1000 / max(count, 1):.2f}",
        )
        plans[stack] = out
    console = Console()
    console.print(table)
    extra_timings(console, plans, args.runs)


def extra_timings(console: Console, plans: dict[str, Path], runs: int) -> None:
    """Policy evaluation of the prod graph and the dev -> prod diff, when those tools exist."""
    from mlopsctl.engine import run_stack

    table = Table(title="other figures (median)")
    table.add_column("what")
    table.add_column("ms", justify="right")
    try:
        from mlopsctl.policy import evaluate
    except ImportError:
        evaluate = None
    if evaluate is not None:
        graph = run_stack(ROOT, "prod")
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            evaluate(graph)
            samples.append(time.perf_counter() - started)
        table.add_row(
            f"policy evaluation, prod ({len(graph.resources)} resources)", f"{statistics.median(samples) * 1000:.1f}"
        )
    cmd = [sys.executable, "-m", "mlopsctl", "diff", str(plans["dev"]), str(plans["prod"]), "--format", "markdown"]
    if subprocess.run([*cmd[:4], "--help"], cwd=ROOT, capture_output=True, check=False).returncode == 0:
        walls = [wall_time(cmd) for _ in range(runs)]
        table.add_row("mlopsctl diff dev.json prod.json (end to end)", f"{statistics.median(walls) * 1000:.0f}")
    console.print(table)


if __name__ == "__main__":
    main()
