"""Pipeline validation alerts: check a CSV batch, fail the Airflow task, publish an alert to SNS.

- :mod:`pipeline_alerts.validation`: the checks (schema, nulls, types, ranges, row count) as a structured
  report; pure, standard library only.
- :mod:`pipeline_alerts.lake`: read a batch from the lake's raw zone and promote it to curated (an S3 client
  is passed in).
- :mod:`pipeline_alerts.alerts`: the ``on_failure_callback``: builds a secret-free SNS message and publishes
  it through the regional SNS endpoint (the VPC interface endpoint when private DNS is on).

This folder and ``dags/`` are the root of a DAG bundle: Airflow 3 puts the bundle root on ``sys.path`` for
the DAG processor and the task runner, so the DAG imports ``pipeline_alerts`` as a top-level package.
Nothing here imports Airflow or boto3 at import time.
"""
