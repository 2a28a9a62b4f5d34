"""What an alarm watches, read from its inputs (single metric or metric-math queries)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.mlops.props import as_list, as_map, get


def watched_metrics(props: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads."""
    if props.get("metricName"):
        yield str(props.get("namespace") or ""), str(props["metricName"]), as_map(props.get("dimensions"))
    for query in as_list(props.get("metricQueries")):
        metric = as_map(get(query, "metric"))
        if metric.get("metricName"):
            yield str(metric.get("namespace") or ""), str(metric["metricName"]), as_map(metric.get("dimensions"))
