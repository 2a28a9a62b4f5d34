"""Single mutations of the shipped stack files, run through `mlopsctl plan` in-process, classified.

The bad-input contract: exit 0, 1 or 2; never a traceback; an exit-2 message names the stack file and a
key (or a line); every run bounded in time. ``test_stack_fuzz.py`` runs a sample in `make test`; a full
run for the figures:

    .venv/bin/python tests/foundation/stack_fuzz.py --count 1000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod", "phoenix")
NAMES_A_KEY = re.compile(
    r"stacks/Pulumi\.fuzz\.yaml: ([^:\n]{1,120}[:.\[]|config|line \d+|not |contains |\d+ bytes|nested)"
)
VALUES: tuple[Any, ...] = (
    None, True, 0, -1, 10**12, 1.5, "", "x" * 3000, "[/bold]", "caf\u00e9 \u2603", "0.0.0.0/0", [], {}, ["a"], {"a": 1},
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """How one mutated stack file was handled."""

    mutation: str
    code: int
    seconds: float
    message: str

    @property
    def verdict(self) -> str:
        if "Traceback" in self.message or self.code not in (0, 1, 2):
            return "traceback"
        if self.code == 2 and (not NAMES_A_KEY.search(self.message) or "Pulumi program failed" in self.message):
            return "unclear"
        return "ok"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _set(document: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> None:
    *parents, last = path
    target = document
    for part in parents:
        target = target[part]
    if delete:
        del target[last]
    else:
        target[last] = value


def mutations(count: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """``count`` (name, stack file text) pairs, each one mutation of a shipped stack file."""
    rng = random.Random(seed)
    texts = {stack: (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text() for stack in STACKS}
    for index in range(count):
        stack = STACKS[index % len(STACKS)]
        text = texts[stack]
        document = yaml.safe_load(text)
        paths = [p for p in _paths(document["config"], ("config",)) if len(p) > 1]
        path = rng.choice(paths)
        kind = rng.choice(("value", "value", "value", "delete", "rename", "text", "duplicate"))
        if kind == "value":
            value = rng.choice(VALUES)
            _set(document, path, value)
            yield (
                f"{stack}: {'.'.join(map(str, path[1:]))} = {value!r:.40}",
                yaml.safe_dump(document, allow_unicode=True),
            )
        elif kind == "delete":
            _set(document, path, None, delete=True)
            yield f"{stack}: delete {'.'.join(map(str, path[1:]))}", yaml.safe_dump(document, allow_unicode=True)
        elif kind == "rename" and isinstance(path[-1], str):
            parent: Any = document
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            typo = key[:-1] if len(key) > 3 and rng.random() < 0.5 else key.replace(":", "", 1) or key + "x"
            parent[typo] = parent.pop(key)
            yield f"{stack}: rename {key} -> {typo}", yaml.safe_dump(document, allow_unicode=True)
        elif kind == "duplicate":
            lines = text.splitlines()
            line = rng.randrange(2, len(lines))
            yield f"{stack}: duplicate line {line + 1}", "\n".join([*lines[: line + 1], *lines[line:]]) + "\n"
        else:
            position = rng.randrange(len(text))
            junk = rng.choice(("", ":", "  ", "\t", "[", "{", "&a", "*a", "\x00", "\u00e9", "'"))
            yield f"{stack}: text at {position} -> {junk!r}", text[:position] + junk + text[position + 1 :]


def run_all(pairs: Iterator[tuple[str, str]], workdir: Path) -> list[Outcome]:
    """Plan every mutated file in a scratch project that shares this checkout's program."""
    from mlopsctl.cli import app

    project = workdir / "project"
    (project / "stacks").mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((ROOT / name).read_text())
    if not (project / "components").exists():
        os.symlink(ROOT / "components", project / "components")
    runner = CliRunner()
    outcomes = []
    for name, text in pairs:
        (project / "stacks" / "Pulumi.fuzz.yaml").write_text(text)
        started = time.perf_counter()
        result = runner.invoke(app, ["plan", "--project-dir", str(project), "--stack", "fuzz", "--format", "json"])
        message = (result.stderr or "") + (
            "Traceback" if result.exception and result.exit_code not in (0, 1, 2) else ""
        )
        outcomes.append(Outcome(name, result.exit_code, time.perf_counter() - started, message.replace("\n", " ")))
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_all(mutations(args.count, args.seed), Path(tmp))
    verdicts = Counter(o.verdict for o in outcomes)
    codes = Counter(o.code for o in outcomes)
    print(f"{len(outcomes)} mutations: exit codes {dict(sorted(codes.items()))}, verdicts {dict(verdicts)}")
    print(f"slowest {max(o.seconds for o in outcomes):.2f} s")
    for outcome in outcomes:
        if outcome.verdict != "ok":
            print(f"  {outcome.verdict}: {outcome.mutation}: exit {outcome.code}: {outcome.message[:300]}")


if __name__ == "__main__":
    main()
