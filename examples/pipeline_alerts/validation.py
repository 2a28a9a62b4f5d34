"""Data validation of a CSV batch: pure functions returning a structured report.

A batch is checked against a :class:`BatchSchema`:

- ``columns``: every declared column is in the header (and, unless allowed, no undeclared one);
- ``row_width``: every data row has as many fields as the header;
- ``row_count``: the number of data rows is within ``min_rows``..``max_rows``;
- per column ``not_null:<col>`` (non-nullable columns), ``type:<col>`` (values parse as the declared type)
  and ``range:<col>`` (numeric values within ``minimum``..``maximum``, inclusive).

Reports name checks, counts, bounds and row numbers, never cell values: an alert built from a report cannot
leak the data it describes (customer ids, e-mail addresses...). Standard library only; no Airflow, no boto3.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ColumnType = Literal["str", "int", "float", "timestamp"]

NULL_TOKENS = frozenset({"", "null", "none", "nan", "n/a", "na"})
"""Values (case-insensitive, stripped) that count as missing."""

MAX_SAMPLE_ROWS = 5
"""Row numbers kept per failed check (the count is always exact)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One expected column."""

    name: str
    type: ColumnType = "str"
    nullable: bool = False
    minimum: float | None = None
    """Inclusive lower bound (int and float columns)."""
    maximum: float | None = None
    """Inclusive upper bound (int and float columns)."""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a column needs a name")
        bounded = self.minimum is not None or self.maximum is not None
        if bounded and self.type not in ("int", "float"):
            raise ValueError(f"column {self.name!r}: bounds apply to int and float columns, not {self.type}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"column {self.name!r}: minimum {self.minimum} > maximum {self.maximum}")


@dataclass(frozen=True)
class BatchSchema:
    """What a batch must look like."""

    columns: tuple[ColumnSpec, ...]
    min_rows: int = 1
    max_rows: int | None = None
    allow_extra_columns: bool = False

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if not names:
            raise ValueError("a schema needs at least one column")
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate column names in {names}")
        if self.min_rows < 0 or (self.max_rows is not None and self.max_rows < self.min_rows):
            raise ValueError(f"row bounds {self.min_rows}..{self.max_rows} are not a range")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    check: str
    """``columns``, ``row_width``, ``row_count``, ``not_null``, ``type`` or ``range``."""
    passed: bool
    detail: str
    """What was expected and what was found: counts, bounds, column names; never cell values."""
    column: str | None = None
    failing_rows: int = 0
    sample_rows: tuple[int, ...] = ()
    """File line numbers (the header is line 1) of the first failing rows."""

    @property
    def name(self) -> str:
        return f"{self.check}:{self.column}" if self.column else self.check

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "check": self.check,
            "column": self.column,
            "passed": self.passed,
            "detail": self.detail,
            "failing_rows": self.failing_rows,
            "sample_rows": list(self.sample_rows),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every check of one batch, in a stable order."""

    source: str
    rows: int
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def summary(self) -> str:
        """One line: how many checks failed, and which."""
        if self.ok:
            return f"{self.source}: all {len(self.checks)} checks passed ({self.rows} rows)"
        names = ", ".join(c.name for c in self.failed)
        return f"{self.source}: {len(self.failed)} of {len(self.checks)} checks failed ({self.rows} rows): {names}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }


class ValidationFailed(Exception):
    """A batch failed validation; carries the report (its message is the report's summary)."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.summary())
        self.report = report


def is_null(value: str | None) -> bool:
    return value is None or value.strip().lower() in NULL_TOKENS


def parse_value(value: str, column_type: ColumnType) -> float | str | datetime | None:
    """The typed value, or None when ``value`` does not parse as ``column_type`` (non-finite floats included)."""
    text = value.strip()
    try:
        if column_type == "int":
            return int(text)
        if column_type == "float":
            number = float(text)
            return number if math.isfinite(number) else None
        if column_type == "timestamp":
            return datetime.fromisoformat(text)
    except ValueError:
        return None
    return text


def validate_rows(
    header: Sequence[str] | None,
    rows: Iterable[Sequence[str]],
    schema: BatchSchema,
    *,
    source: str,
    first_line: int = 2,
) -> ValidationReport:
    """Check parsed rows (``header`` None: the batch had no header line at all)."""
    columns = list(header or [])
    expected = [c.name for c in schema.columns]
    missing = [name for name in expected if name not in columns]
    extra = [name for name in columns if name not in expected]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    problems = []
    if header is None:
        problems.append("no header line")
    if missing:
        problems.append(f"missing {missing}")
    if extra and not schema.allow_extra_columns:
        problems.append(f"unexpected {extra}")
    if duplicated:
        problems.append(f"duplicated {duplicated}")
    checks = [
        CheckResult(
            "columns",
            passed=not problems,
            detail="; ".join(problems) if problems else f"all {len(expected)} expected columns present",
        )
    ]

    index = {name: columns.index(name) for name in expected if name in columns}
    present = [c for c in schema.columns if c.name in index]
    nulls: dict[str, list[int]] = {c.name: [] for c in present}
    bad_type: dict[str, list[int]] = {c.name: [] for c in present}
    out_of_range: dict[str, list[int]] = {c.name: [] for c in present}
    ragged: list[int] = []
    count = 0
    for line, row in enumerate(rows, start=first_line):
        count += 1
        if len(row) != len(columns):
            ragged.append(line)
        for spec in present:
            position = index[spec.name]
            value = row[position] if position < len(row) else None
            if value is None or is_null(value):
                nulls[spec.name].append(line)
                continue
            parsed = parse_value(value, spec.type)
            if parsed is None:
                bad_type[spec.name].append(line)
            elif isinstance(parsed, int | float) and not _within(parsed, spec):
                out_of_range[spec.name].append(line)

    checks.append(
        _rows_check("row_width", ragged, f"every row has {len(columns)} fields", "have a different field count")
    )
    within = count >= schema.min_rows and (schema.max_rows is None or count <= schema.max_rows)
    bounds = f"{schema.min_rows}..{schema.max_rows if schema.max_rows is not None else 'any'}"
    checks.append(CheckResult("row_count", passed=within, detail=f"{count} rows; expected {bounds}"))
    for spec in present:
        if not spec.nullable:
            checks.append(_rows_check("not_null", nulls[spec.name], "no missing values", "missing", spec.name))
        checks.append(_rows_check("type", bad_type[spec.name], f"all {spec.type}", f"not {spec.type}", spec.name))
        if spec.minimum is not None or spec.maximum is not None:
            low = spec.minimum if spec.minimum is not None else "-inf"
            high = spec.maximum if spec.maximum is not None else "+inf"
            checks.append(
                _rows_check(
                    "range", out_of_range[spec.name], f"within [{low}, {high}]", f"outside [{low}, {high}]", spec.name
                )
            )
    return ValidationReport(source=source, rows=count, checks=tuple(checks))


def validate_csv(text: str, schema: BatchSchema, *, source: str) -> ValidationReport:
    """Check CSV text (first line: the header) against ``schema``."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if header is not None:
        header = [name.strip() for name in header]
    rows = (row for row in reader if row)  # a trailing blank line is not a row
    return validate_rows(header, rows, schema, source=source)


def schema_from_mapping(spec: Mapping[str, Any]) -> BatchSchema:
    """A schema from plain data (e.g. JSON kept next to the DAG)."""
    return BatchSchema(
        columns=tuple(ColumnSpec(**column) for column in spec["columns"]),
        min_rows=int(spec.get("min_rows", 1)),
        max_rows=spec.get("max_rows"),
        allow_extra_columns=bool(spec.get("allow_extra_columns", False)),
    )


def _within(value: float, spec: ColumnSpec) -> bool:
    return (spec.minimum is None or value >= spec.minimum) and (spec.maximum is None or value <= spec.maximum)


def _rows_check(check: str, lines: list[int], ok: str, bad: str, column: str | None = None) -> CheckResult:
    if not lines:
        return CheckResult(check, passed=True, detail=ok, column=column)
    noun = "row" if len(lines) == 1 else "rows"
    return CheckResult(
        check,
        passed=False,
        detail=f"{len(lines)} {noun} {bad}",
        column=column,
        failing_rows=len(lines),
        sample_rows=tuple(lines[:MAX_SAMPLE_ROWS]),
    )
