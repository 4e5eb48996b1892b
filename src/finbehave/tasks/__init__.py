"""Inspect tasks ``finqa`` and ``finqa_reasoning`` (``finbehave.tasks.finqa``) and their scorers."""
