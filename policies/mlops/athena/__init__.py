"""Rules for athena."""
