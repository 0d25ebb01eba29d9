"""Presentation: maps, console lines and words (zh/en) of every analysis."""
