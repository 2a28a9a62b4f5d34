"""Rules for budgets."""
