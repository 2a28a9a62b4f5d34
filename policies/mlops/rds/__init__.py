"""Rules for rds."""
