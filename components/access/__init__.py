"""The way in: people reach MLflow and Airflow, client applications reach models, each through identity and TLS.

Pulumi owns every load balancer, listener, rule, target group, certificate, DNS record and trust store
(``components.access.component``); the AWS Load Balancer Controller only binds pods to those target groups
(``TargetGroupBinding``). See docs/adr/0004-the-way-in.md.
"""
