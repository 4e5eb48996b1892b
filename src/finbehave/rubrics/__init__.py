"""Behaviour rubrics: the one place a trace is judged (answers, checks, score_trace, scorer)."""
