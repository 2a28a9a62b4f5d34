"""Rules for mwaa."""
