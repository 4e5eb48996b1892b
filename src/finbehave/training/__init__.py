"""GRPO training in the evaluation's tool environment: diagnosis -> items + reward weights ->
TRL ``GRPOTrainer`` with a PEFT LoRA adapter -> an adapter ``finbehave/local`` can load.

Modules: ``recipe`` (the YAML recipe), ``items`` (what to train on, and what never),
``environment`` (the TRL tool environment), ``messages`` (TRL rollouts as Inspect messages),
``reward`` (rubric scores collapsed to a reward), ``trainer`` (``train``, the CLI's entry point),
``scripted`` (reference policies acting through TRL's tool loop, for tests and benchmarks).
torch/transformers/peft/trl are imported only inside ``trainer``'s functions.
"""
