"""Rules for sns."""
