"""Image changes in the PR diff: added, removed, re-tagged and re-pointed images from the plans' inventories,
in the markdown comment, the JSON document and the text listing."""

from __future__ import annotations

import json
from typing import Any

from diff_helpers import plan, resource

from mlopsctl.diff import ImageChange, ImageEntry, diff_plans, parse_plan, render
from mlopsctl.diff.images_delta import image_delta, image_entry

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def entry(image: str, upstream: str | None = None, registry: str = "x") -> dict[str, Any]:
    out: dict[str, Any] = {"image": image, "registry": registry, "source": "values image", "usedBy": []}
    if upstream is not None:
        out["upstream"] = upstream
    return out


def with_images(images: list[dict[str, Any]], release_values: dict[str, Any]) -> dict[str, Any]:
    doc = plan([resource("kubernetes:helm.sh/v3:Release", "airflow", inputs={"values": release_values})])
    doc["deploy"] = {"ok": True, "checks": [], "violations": [], "images": images, "layers": {}}
    return doc


def test_the_delta_pairs_images_by_upstream_repository() -> None:
    base = [
        ImageEntry("docker.io/apache/airflow:3.0.6", "docker.io/apache/airflow:3.0.6"),
        ImageEntry("quay.io/prometheus/statsd-exporter:v0.28.0", "quay.io/prometheus/statsd-exporter:v0.28.0"),
        ImageEntry("ghcr.io/old/tool:1", "ghcr.io/old/tool:1"),
    ]
    head = [
        ImageEntry(f"{ECR}/docker-hub/apache/airflow:3.1.0", "docker.io/apache/airflow:3.1.0"),
        ImageEntry("quay.io/prometheus/statsd-exporter:v0.28.0", "quay.io/prometheus/statsd-exporter:v0.28.0"),
        ImageEntry(f"{ECR}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4", "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"),
    ]
    assert image_delta(base, head) == (
        ImageChange(
            "changed",
            "docker.io/apache/airflow",
            "docker.io/apache/airflow:3.0.6",
            f"{ECR}/docker-hub/apache/airflow:3.1.0",
            f"pulled from {ECR} (was docker.io); tag 3.0.6 → 3.1.0",
        ),
        ImageChange("removed", "ghcr.io/old/tool", "ghcr.io/old/tool:1", None),
        ImageChange(
            "added", "nvcr.io/nvidia/k8s-device-plugin", None, f"{ECR}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4"
        ),
    )
    assert image_delta(base, base) == ()


def test_tags_of_one_repository_moving_registry_pair_by_tag() -> None:
    tags = ("3.0.6", "airflow-pgbouncer-1")
    base = [ImageEntry(f"docker.io/apache/airflow:{t}", f"docker.io/apache/airflow:{t}") for t in tags]
    head = [ImageEntry(f"{ECR}/docker-hub/apache/airflow:{t}", f"docker.io/apache/airflow:{t}") for t in tags]
    delta = image_delta(base, head)
    assert [(c.kind, c.before, c.after) for c in delta] == [
        ("changed", f"docker.io/apache/airflow:{t}", f"{ECR}/docker-hub/apache/airflow:{t}") for t in tags
    ]
    assert all(c.note == f"pulled from {ECR} (was docker.io)" for c in delta)


def test_several_tags_of_one_repository_are_listed_one_by_one() -> None:
    base = [ImageEntry("docker.io/apache/airflow:3.0.6", "docker.io/apache/airflow:3.0.6")]
    head = [
        ImageEntry("docker.io/apache/airflow:3.0.6", "docker.io/apache/airflow:3.0.6"),
        ImageEntry("docker.io/apache/airflow:airflow-pgbouncer-1", "docker.io/apache/airflow:airflow-pgbouncer-1"),
    ]
    assert [c.kind for c in image_delta(base, head)] == ["added"]


def test_inventory_entries_without_an_upstream_get_one_and_unknown_charts_none() -> None:
    assert image_entry(entry(f"{ECR}/quay/a/b:1")) == ImageEntry(f"{ECR}/quay/a/b:1", "quay.io/a/b:1")
    assert image_entry(entry("ghcr.io/x/y:1")) == ImageEntry("ghcr.io/x/y:1", "ghcr.io/x/y:1")
    assert image_entry(entry("chart default (mystery 0.1.0)", registry="")) is None


def test_plans_with_inventories_diff_their_images_in_every_format() -> None:
    base = parse_plan(
        with_images([entry("docker.io/apache/airflow:3.0.6", "docker.io/apache/airflow:3.0.6")], {"v": 1}), "base"
    )
    head_doc = with_images(
        [entry(f"{ECR}/docker-hub/apache/airflow:3.0.6", "docker.io/apache/airflow:3.0.6")],
        {"v": 2},
    )
    diff = diff_plans(base, parse_plan(head_doc, "head"))
    assert diff.images == (
        ImageChange(
            "changed",
            "docker.io/apache/airflow",
            "docker.io/apache/airflow:3.0.6",
            f"{ECR}/docker-hub/apache/airflow:3.0.6",
            f"pulled from {ECR} (was docker.io)",
        ),
    )
    markdown = render(diff, "markdown")
    assert "#### Images (1 changed)" in markdown
    assert (
        f"| ✏️ changed | `docker.io/apache/airflow` | `docker.io/apache/airflow:3.0.6` | `{ECR}/docker-hub/apache/airflow:3.0.6` |"
        in markdown
    )
    document = json.loads(render(diff, "json"))
    assert document["images"] == [
        {
            "kind": "changed",
            "upstream": "docker.io/apache/airflow",
            "before": "docker.io/apache/airflow:3.0.6",
            "after": f"{ECR}/docker-hub/apache/airflow:3.0.6",
            "note": f"pulled from {ECR} (was docker.io)",
        }
    ]
    text = render(diff, "text")
    assert f"Images: 1 changed\n  ~ docker.io/apache/airflow:3.0.6 -> {ECR}/docker-hub/apache/airflow:3.0.6" in text


def test_without_inventories_there_is_no_image_section() -> None:
    base = parse_plan(plan([resource("aws:s3/bucket:Bucket", "b", inputs={"v": 1})]), "base")
    head = parse_plan(plan([resource("aws:s3/bucket:Bucket", "b", inputs={"v": 2})]), "head")
    diff = diff_plans(base, head)
    assert diff.images is None
    assert "#### Images" not in render(diff, "markdown") and json.loads(render(diff, "json"))["images"] is None
