"""finbehave: evaluate, diagnose and retrain tool-using agents on financial QA."""

__version__ = "0.1.0"
