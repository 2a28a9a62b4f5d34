"""Rules for redshift."""
