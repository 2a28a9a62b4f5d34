"""Rules for eks."""
