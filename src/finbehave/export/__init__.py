"""Export the environment and its rubric reward to other RL stacks: verifiers and OpenEnv.

``finbehave export verifiers|openenv --output DIR`` writes an installable package (``package``)
that carries a *bundle* (``bundle``): the items it was exported with, their company tables in
finbehave's dataset format, the rubric and the reward weights. The package's code is a thin
shell over ``verifiers_env`` / ``verifiers_tools`` or ``openenv_env`` / ``openenv_client``, which
run the evaluation's own tool core (``FinQAToolEnv`` over ``FinQAEnv`` and the SQL sandbox) and
score a finished rollout with the training reward (``RubricReward``: ``score_trace`` collapsed
with the weights). verifiers and OpenEnv are optional extras, imported only by those modules.
"""
