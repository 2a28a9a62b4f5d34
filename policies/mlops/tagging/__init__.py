"""Rules for tagging."""
