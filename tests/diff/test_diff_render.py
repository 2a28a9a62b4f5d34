"""Renderers: the PR comment's layout, size folding, byte stability, JSON and text output."""

from __future__ import annotations

import json
import re

from diff_helpers import component, plan, resource, synthetic_platform, violation

from mlopsctl.diff import GITHUB_COMMENT_LIMIT, ChangeKind, Diff, diff_plans, parse_plan, render, render_markdown
from mlopsctl.diff.render_markdown import COMMENT_BUDGET

NET = "mlops:network:Network"


def _diff(base: dict, head: dict) -> Diff:
    return diff_plans(parse_plan(base, "base.json"), parse_plan(head, "head.json"))


def _sample() -> Diff:
    net = component(NET, "network")
    lake = component("mlops:lake:DataLake", "lake")
    vpc = resource("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.0.0.0/16"}, parent=net["urn"])
    vpc2 = resource("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.9.0.0/16"}, parent=net["urn"])
    bucket = resource("aws:s3/bucket:Bucket", "lake-raw", {"bucket": "raw", "tags": {"o": "a"}}, parent=lake["urn"])
    bucket2 = resource("aws:s3/bucket:Bucket", "lake-raw", {"bucket": "raw", "tags": {"o": "b"}}, parent=lake["urn"])
    bucket2["dependencies"] = [vpc2["urn"]]
    extra = resource("aws:s3/bucket:Bucket", "lake-extra", {"bucket": "extra"}, parent=lake["urn"])
    base = plan([net, lake, vpc, bucket], violations=[violation("s3-bucket-sse-kms", bucket["urn"])])
    head = plan(
        [net, lake, vpc2, bucket2, extra],
        violations=[
            violation("s3-bucket-versioning", extra["urn"], level="advisory", severity="medium"),
            violation("ec2-vpc-flow-logs", vpc2["urn"], level="mandatory", severity="high"),
        ],
    )
    return _diff(base, head)


def test_markdown_comment_layout() -> None:
    body = render_markdown(_sample())
    lines = body.splitlines()
    assert lines[0] == "<!-- mlops-diff:mlops-platform:dev -->"
    assert lines[1] == "### Infrastructure diff: `mlops-platform` · stack `dev`"
    assert lines[3].startswith("🛑 **Blocked by policy: 1 new mandatory violation (1 to create, 1 to update, 1 to")
    assert "| Component | Create | Update | Replace | Delete | Move | Unchanged |" in lines
    assert "| `lake` | 1 | 1 | · | · | · | 1 |" in lines
    assert "| `network` | · | · | 1 | · | · | 1 |" in lines
    assert "| **Total** | **1** | **1** | **1** | **0** | **0** | **2** |" in lines
    # New violations: mandatory first.
    table = [ln for ln in lines if ln.startswith("| mandatory") or ln.startswith("| advisory")]
    assert table[0].startswith("| mandatory | high | `ec2-vpc-flow-logs` | `network-vpc` |")
    assert table[1].startswith("| advisory | medium | `s3-bucket-versioning` | `lake-extra` |")
    assert "Policy: 2 new · 1 fixed · 0 unchanged" in lines
    # Mermaid: changed components, the replace one styled as destructive, with the dependency edge.
    mermaid = body[body.index("```mermaid") : body.index("```", body.index("```mermaid") + 3)]
    assert 'c0["lake<br/>+1 ~1"]:::update' in mermaid
    assert 'c1["network<br/>±1"]:::destroy' in mermaid
    assert "c1 --> c0" in mermaid
    # Collapsible details per component, in order, with the replacement reason and nested values.
    assert body.count("<details>") == 3  # lake, network, fixed violations
    assert "- ♻️ **replace** `aws:ec2/vpc:Vpc` `network-vpc` — forced by `cidrBlock`" in lines
    assert '  - `cidrBlock`: `"10.0.0.0/16"` → `"10.9.0.0/16"` **(forces replacement)**' in lines
    assert '  - `tags.o`: `"a"` → `"b"`' in lines
    assert "_1 unchanged resource in this component._" in lines
    assert len(body) < 5_000


def test_no_changes_comment_is_short() -> None:
    b = resource("aws:s3/bucket:Bucket", "b", {"bucket": "b"})
    body = render_markdown(_diff(plan([b], violations=[]), plan([b], violations=[])))
    assert body == (
        "<!-- mlops-diff:mlops-platform:dev -->\n"
        "### Infrastructure diff: `mlops-platform` · stack `dev`\n\n"
        "✅ **No infrastructure changes (1 unchanged; 0 new policy violations)**\n\n"
        "<sub>`mlopsctl diff` from two plans from the offline engine (no cloud access)</sub>\n"
    )


def test_output_is_byte_stable_for_the_same_inputs() -> None:
    base, head = synthetic_platform(400, 0), synthetic_platform(400, 1)
    first = {fmt: render(_diff(base, head), fmt) for fmt in ("markdown", "json", "text")}
    # Same documents with resources and keys in a different order: same bytes.
    shuffled_head = json.loads(json.dumps(head))
    shuffled_head["resources"].reverse()
    for r in shuffled_head["resources"]:
        r["inputs"] = dict(reversed(list(r["inputs"].items())))
    for fmt, text in first.items():
        assert render(_diff(base, shuffled_head), fmt) == text
        assert render(_diff(base, head), fmt) == text


def test_large_diff_is_folded_to_fit_and_says_what_was_cut() -> None:
    base, head = synthetic_platform(1200, 0), synthetic_platform(1200, 1)
    diff = _diff(base, head)
    assert len(diff.changes) >= 600
    unfolded_properties = sum(len(c.properties) for c in diff.changes)
    assert unfolded_properties > 600
    body = render_markdown(diff)
    assert len(body) <= GITHUB_COMMENT_LIMIT
    assert len(body.encode("utf-8")) <= COMMENT_BUDGET
    note = next(ln for ln in body.splitlines() if ln.startswith("> ✂️ **Shortened**"))
    assert "unchanged-resource lines in the details" in note
    assert "property values" in note
    # The summary table and verdict are never folded away.
    assert f"| **Total** | **{diff.count(ChangeKind.CREATE)}** | **{diff.count(ChangeKind.UPDATE)}** |" in body
    assert body.splitlines()[0] == "<!-- mlops-diff:mlops-platform:dev -->"


def test_folding_order_least_important_first() -> None:
    diff = _diff(synthetic_platform(400, 0), synthetic_platform(400, 1))
    full = render_markdown(diff)
    assert "✂️" not in full and "unchanged resources in this component" in full

    def fold_at(limit: int) -> str:
        return render_markdown(diff, limit=limit)

    size = len(full.encode("utf-8"))
    first = fold_at(size - 10)
    assert "Left out: unchanged-resource lines in the details." in first
    assert "unchanged resources in this component" not in first and '`"ml"` → `"platform-team"`' in first
    second = fold_at(len(first.encode("utf-8")) - 10)
    assert "property values" in second and "`tags.owner`: changed" in second
    smaller = fold_at(12_000)
    assert "resource lists of the" in smaller and len(smaller.encode("utf-8")) <= 12_000
    assert re.search(r"_\d+ resource changes not listed here", smaller)
    tiny = fold_at(3_000)
    assert "all per-component details" in tiny and len(tiny.encode("utf-8")) <= 3_000


def test_untrusted_names_cannot_inject_markdown_or_html() -> None:
    # markdown-it (a dependency of rich) with raw HTML enabled, as GitHub renders comments.
    from markdown_it import MarkdownIt

    evil = "x`</code></summary><img src=x onerror=alert(1)>@admin [link](http://evil) $x$"
    net = component(NET, evil)
    r = resource("aws:s3/bucket:Bucket", "b|c", {"bucket": "a"}, parent=net["urn"])
    r2 = resource("aws:s3/bucket:Bucket", "b|c", {"bucket": "z`` `x<script>"}, parent=net["urn"])
    r2["protect"] = True
    body = render_markdown(_diff(plan([net, r]), plan([net, r2])))
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(body)
    assert "<img" not in html and "<script" not in html and 'href="http://evil"' not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # The component's table row keeps its 7 cells although the name holds backticks.
    row = next(ln for ln in body.splitlines() if ln.startswith("| ``"))
    assert row.startswith("| ``x`</code></summary><img") and row.endswith("$x$`` | · | · | 1 | · | · | 1 |")


def test_json_and_text_renderings() -> None:
    diff = _sample()
    doc = json.loads(render(diff, "json"))
    assert doc["schema"] == "mlops-diff/1" and doc["stack"] == "dev"
    assert doc["summary"] == {"create": 1, "update": 1, "replace": 1, "delete": 0, "move": 0, "unchanged": 2}
    assert doc["verdict"]["level"] == "blocked"
    replace = next(c for c in doc["changes"] if c["kind"] == "replace")
    assert replace["replaceReasons"] == ["cidrBlock"]
    assert replace["properties"] == [
        {
            "path": "cidrBlock",
            "op": "update",
            "before": "10.0.0.0/16",
            "after": "10.9.0.0/16",
            "forcesReplacement": True,
        }
    ]
    assert [v["policy"] for v in doc["policy"]["new"]] == ["ec2-vpc-flow-logs", "s3-bucket-versioning"]
    text = render(diff, "text")
    assert text.splitlines()[0].startswith("mlops-platform/dev (plans): Blocked by policy")
    assert "  +- aws:ec2/vpc:Vpc network-vpc  [replace: cidrBlock]" in text
    assert '        cidrBlock: "10.0.0.0/16" -> "10.9.0.0/16" (forces replacement)' in text
    assert "  NEW   mandatory/high  ec2-vpc-flow-logs" in text
