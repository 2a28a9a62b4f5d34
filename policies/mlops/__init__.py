"""The mlops-platform rules: one module per rule, grouped by service (see ``policies.mlops.pack``)."""
