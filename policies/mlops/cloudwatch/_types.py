"""CloudWatch type tokens."""

from __future__ import annotations

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
SNS_TOPIC = "aws:sns/topic:Topic"
