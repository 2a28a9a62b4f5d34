"""The example DAG's wiring, read with ``ast`` (Airflow is not installed here), and its pure parts imported."""

from __future__ import annotations

import ast
import importlib.util

import pytest
from pipeline_alerts_testkit import BUNDLE, DAG_FILE, load_dag_module

TREE = ast.parse(DAG_FILE.read_text(encoding="utf-8"))


def decorator_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.id if isinstance(target, ast.Name) else ast.unparse(target)


def functions(tree: ast.AST) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def dag_function() -> tuple[ast.FunctionDef, ast.Call]:
    [(func, call)] = [
        (f, d)
        for f in functions(TREE).values()
        for d in f.decorator_list
        if isinstance(d, ast.Call) and decorator_name(d) == "dag"
    ]
    return func, call


def keyword(call: ast.Call, name: str) -> ast.expr:
    [value] = [k.value for k in call.keywords if k.arg == name]
    return value


def module_assignment(name: str) -> ast.expr:
    [value] = [
        n.value
        for n in TREE.body
        if isinstance(n, ast.AnnAssign | ast.Assign)
        and any(
            isinstance(t, ast.Name) and t.id == name for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
        )
        and n.value is not None
    ]
    return value


def test_airflow_3_task_sdk_imports_are_guarded() -> None:
    guarded: set[str] = set()
    for node in TREE.body:
        if isinstance(node, ast.Try):
            assert any(decorator_name(h.type) == "ImportError" for h in node.handlers if h.type is not None)
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                guarded |= {f"{imp.module}.{alias.name}" for alias in imp.names}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            assert module and not module.startswith(("airflow", "boto3", "botocore")), f"unguarded import of {module}"
    assert {"airflow.sdk.dag", "airflow.sdk.task", "airflow.sdk.Param", "airflow.sdk.get_current_context"} <= guarded
    assert "airflow.exceptions.AirflowFailException" in guarded


def test_every_task_alerts_through_the_sns_callback() -> None:
    imports = {
        alias.asname or alias.name: node.module
        for node in TREE.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imports["on_failure_alert"] == "pipeline_alerts.alerts"
    default_args = module_assignment("DEFAULT_ARGS")
    assert isinstance(default_args, ast.Dict)
    entries = {ast.literal_eval(k): v for k, v in zip(default_args.keys, default_args.values, strict=True) if k}
    callback = entries["on_failure_callback"]
    assert isinstance(callback, ast.Name) and callback.id == "on_failure_alert"
    _, call = dag_function()
    assert ast.unparse(keyword(call, "default_args")) == "DEFAULT_ARGS"
    assert ast.unparse(keyword(call, "schedule")) == "None"
    assert ast.unparse(keyword(call, "dag_id")) == "DAG_ID"
    params = keyword(call, "params")
    assert isinstance(params, ast.Dict)
    assert {ast.literal_eval(k) for k in params.keys if k} == {"key", "bucket"}


def test_validation_task_fails_the_task_with_the_report_attached() -> None:
    func, _ = dag_function()
    tasks = {
        name: f for name, f in functions(func).items() if any(decorator_name(d) == "task" for d in f.decorator_list)
    }
    assert set(tasks) == {"validate_batch", "promote_validated"}
    validate = tasks["validate_batch"]
    calls = {decorator_name(n) for n in ast.walk(validate) if isinstance(n, ast.Call)}
    assert {"read_csv_batch", "validate_csv", "ValidationFailed", "AirflowFailException"} <= calls
    [raise_node] = [n for n in ast.walk(validate) if isinstance(n, ast.Raise)]
    assert raise_node.exc is not None and decorator_name(raise_node.exc) == "AirflowFailException"
    assert raise_node.cause is not None  # `from failure`: the callback finds the report on __cause__
    # promote_validated runs on validate_batch's result, so only after a passing validation.
    wiring = [ast.unparse(n) for n in func.body if isinstance(n, ast.Expr)]
    assert "promote_validated(validate_batch())" in wiring
    # ... and the DAG object is created at module level (inside the `if dag is not None:` guard).
    [guard] = [n for n in TREE.body if isinstance(n, ast.If)]
    assert ast.unparse(guard.test) == "dag is not None"
    assert any(isinstance(n, ast.Expr) and ast.unparse(n) == f"{func.name}()" for n in guard.body)


def test_pure_parts_import_without_airflow() -> None:
    module = load_dag_module()
    if importlib.util.find_spec("airflow") is None:
        assert module.dag is None
    assert module.DAG_ID == "validated_ingest"
    assert [c.name for c in module.ORDERS_SCHEMA.columns][:2] == ["order_id", "customer_id"]
    assert module.resolve_batch({"key": " orders/b.csv "}, {"MLOPS_LAKE_RAW_BUCKET": "raw-bucket"}) == (
        "raw-bucket",
        "orders/b.csv",
    )
    assert module.resolve_batch({"key": "k.csv", "bucket": "other"}, {}) == ("other", "k.csv")
    with pytest.raises(ValueError, match="'key' param"):
        module.resolve_batch({}, {"MLOPS_LAKE_RAW_BUCKET": "raw-bucket"})
    with pytest.raises(ValueError, match="MLOPS_LAKE_RAW_BUCKET"):
        module.resolve_batch({"key": "k.csv"}, {})


def test_bundle_layout_for_the_dag_processor() -> None:
    source = DAG_FILE.read_bytes().lower()
    assert b"airflow" in source and b"dag" in source  # Airflow's safe-mode heuristic parses the file
    ignore = (BUNDLE / ".airflowignore").read_text().splitlines()
    assert "pipeline_alerts/" in ignore  # the library is imported, not scanned for DAGs
    for module in (BUNDLE / "pipeline_alerts").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in top]
        assert not any(str(name).startswith(("airflow", "boto3", "botocore")) for name in names), module.name
