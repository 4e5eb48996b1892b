"""Model backends behind the ``finbehave`` Inspect provider (scripted, local, litellm)."""
