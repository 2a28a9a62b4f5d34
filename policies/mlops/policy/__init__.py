"""Rules for policy."""
