"""Presentation: diagnostics, plans and run progress for people and machines."""
