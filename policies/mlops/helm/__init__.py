"""Rules for helm."""
