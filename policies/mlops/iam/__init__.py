"""Rules for iam."""
