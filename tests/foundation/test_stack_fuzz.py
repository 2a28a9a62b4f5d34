"""A sample of single mutations of the shipped stack files: exit 0/1/2, no traceback, clear, bounded."""

from __future__ import annotations

from pathlib import Path

from stack_fuzz import mutations, run_all


def test_mutated_stack_files_get_clear_bounded_answers(tmp_path: Path) -> None:
    outcomes = run_all(mutations(45, seed=11), tmp_path)
    assert {o.code for o in outcomes} <= {0, 1, 2}
    bad = [(o.mutation, o.verdict, o.message[:200]) for o in outcomes if o.verdict != "ok"]
    assert bad == []
    assert max(o.seconds for o in outcomes) < 10
    # The sample exercises both sides of the contract: refused input and input that still plans.
    assert any(o.code == 2 for o in outcomes) and any(o.code in (0, 1) for o in outcomes)
