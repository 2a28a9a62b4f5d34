"""Rules for lakeformation."""
