"""The analyses: each computes tidy tables and a summary from a study and the standards."""
