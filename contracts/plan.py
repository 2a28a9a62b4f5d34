"""The plan document's schema id: ``mlopsctl plan --format json`` writes it, every reader checks it."""

PLAN_SCHEMA = "mlops-plan/1"
