"""Validation of CSV batches on local fixtures: the report names failed checks, counts and rows, never values."""

from __future__ import annotations

import json

import pytest
from pipeline_alerts.validation import (
    BatchSchema,
    ColumnSpec,
    ValidationFailed,
    ValidationReport,
    schema_from_mapping,
    validate_csv,
)
from pipeline_alerts_testkit import fixture_text, load_dag_module

SCHEMA: BatchSchema = load_dag_module().ORDERS_SCHEMA


def check(name: str) -> ValidationReport:
    return validate_csv(fixture_text(name), SCHEMA, source=f"s3://raw/{name}")


def failed(report: ValidationReport) -> dict[str, tuple[int, tuple[int, ...]]]:
    return {c.name: (c.failing_rows, c.sample_rows) for c in report.failed}


def test_good_batch_passes_every_check() -> None:
    report = check("orders_good.csv")
    assert report.ok, report.summary()
    assert report.rows == 4
    names = [c.name for c in report.checks]
    assert names[:3] == ["columns", "row_width", "row_count"]
    assert {"not_null:customer_id", "type:order_ts", "range:quantity", "range:amount"} <= set(names)
    assert "not_null:coupon_code" not in names  # nullable
    assert report.summary() == "s3://raw/orders_good.csv: all 16 checks passed (4 rows)"


def test_missing_column_fails_the_column_check_only_for_that_column() -> None:
    report = check("orders_missing_column.csv")
    assert not report.ok
    assert failed(report) == {"columns": (0, ())}
    assert report.failed[0].detail == "missing ['customer_id']"
    assert not any(c.column == "customer_id" for c in report.checks)  # no per-column checks of an absent column


def test_nulls_are_counted_per_column_with_line_numbers() -> None:
    report = check("orders_nulls.csv")
    assert failed(report) == {"not_null:customer_id": (2, (3, 4)), "not_null:order_ts": (1, (5,))}
    assert report.summary() == (
        "s3://raw/orders_nulls.csv: 2 of 16 checks failed (4 rows): not_null:customer_id, not_null:order_ts"
    )


def test_out_of_range_values_fail_inclusive_bounds() -> None:
    report = check("orders_out_of_range.csv")
    assert failed(report) == {"range:quantity": (2, (3, 5)), "range:amount": (2, (4, 5))}
    detail = {c.name: c.detail for c in report.failed}
    assert detail["range:quantity"] == "2 rows outside [1, 1000]"
    assert detail["range:amount"] == "2 rows outside [0.0, 100000.0]"


def test_header_only_batch_fails_the_row_count() -> None:
    report = check("orders_empty.csv")
    assert failed(report) == {"row_count": (0, ())}
    assert report.failed[0].detail == "0 rows; expected 1..1000000"


def test_zero_byte_batch_has_no_header_and_no_rows() -> None:
    report = validate_csv("", SCHEMA, source="s3://raw/empty.csv")
    assert set(failed(report)) == {"columns", "row_count"}
    assert report.failed[0].detail.startswith("no header line; missing ['order_id', 'customer_id'")


def test_types_ragged_rows_and_extra_columns() -> None:
    text = (
        "order_id,customer_id,order_ts,quantity,amount,coupon_code,note\n"
        "o-1,c-1,yesterday,2.5,inf,,x\n"
        "o-2,c-2,2026-12-01T00:00:00Z,3,10\n"
    )
    report = validate_csv(text, SCHEMA, source="inline")
    assert failed(report) == {
        "columns": (0, ()),
        "row_width": (1, (3,)),
        "type:order_ts": (1, (2,)),
        "type:quantity": (1, (2,)),
        "type:amount": (1, (2,)),  # infinity is not a number a range can hold
    }
    assert report.failed[0].detail == "unexpected ['note']"
    relaxed = BatchSchema(columns=SCHEMA.columns, allow_extra_columns=True)
    assert "columns" not in failed(validate_csv(text, relaxed, source="inline"))


def test_reports_never_carry_cell_values() -> None:
    text = fixture_text("orders_out_of_range.csv").replace("cust-1b7c", "jane.doe@example.com")
    report = validate_csv(text.replace("-5.00", "-4242.42"), SCHEMA, source="s3://raw/x.csv")
    rendered = json.dumps(report.to_dict()) + str(ValidationFailed(report))
    for value in ("jane.doe@example.com", "-4242.42", "1001", "100000.01", "cust-"):
        assert value not in rendered


def test_failure_exception_carries_the_report() -> None:
    report = check("orders_nulls.csv")
    error = ValidationFailed(report)
    assert error.report is report
    assert str(error) == report.summary()


def test_schema_from_plain_data_and_schema_errors() -> None:
    schema = schema_from_mapping(
        {"columns": [{"name": "id"}, {"name": "score", "type": "float", "minimum": 0, "maximum": 1}], "min_rows": 2}
    )
    assert validate_csv("id,score\na,0.5\nb,1\n", schema, source="inline").ok
    assert not validate_csv("id,score\na,0.5\n", schema, source="inline").ok
    with pytest.raises(ValueError, match="bounds apply"):
        ColumnSpec("name", "str", minimum=1)
    with pytest.raises(ValueError, match="duplicate"):
        BatchSchema(columns=(ColumnSpec("a"), ColumnSpec("a")))
    with pytest.raises(ValueError, match="not a range"):
        BatchSchema(columns=(ColumnSpec("a"),), min_rows=5, max_rows=1)
