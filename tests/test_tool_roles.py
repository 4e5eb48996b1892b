"""Tool roles: the vocabulary's toolsets match the real tools, and the rubric, the scripted
agents and the training environment read roles, so every toolset is judged alike."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.tool import ToolDef

from finbehave.env.public_tools import public_tools
from finbehave.env.tools import finqa_tools
from finbehave.tasks.finqa import finqa
from finbehave.training.environment import FinQAToolEnv
from finbehave.vocab import RUBRIC_SCORER, SUBMIT, TOOLSETS, tool_named, tool_role

ARGUMENTS = ("table_arg", "query_arg", "answer_arg", "expression_arg", "company_arg")


def _parameters(tools) -> dict[str, set[str]]:
    return {ToolDef(tool).name: set(ToolDef(tool).parameters.properties) for tool in tools}


@pytest.mark.parametrize(
    ("toolset", "tools"),
    [("default", lambda: finqa_tools()), ("public", lambda: public_tools(with_filing_text=True))],
)
def test_toolsets_declare_the_real_tools_and_their_arguments(toolset: str, tools) -> None:
    offered = _parameters(tools()) | {SUBMIT: {"answer"}}
    declared = {tool.name: tool for tool in TOOLSETS[toolset]}
    assert set(declared) == set(offered)
    for name, tool in declared.items():
        named = {getattr(tool, arg) for arg in ARGUMENTS} - {None}
        assert named <= offered[name], (name, named, offered[name])


def test_a_name_means_one_role_in_every_toolset() -> None:
    assert tool_role("get_descriptions").role == "list_tables"  # type: ignore[union-attr]
    assert tool_role("get_table_names").role == "list_tables"  # type: ignore[union-attr]
    assert tool_named("public", "list_tables") == "get_descriptions"
    shared = tool_role("sql_query")
    assert shared is not None and shared.query_arg == "query" and shared.table_arg == "table_name"
    assert tool_role("no_such_tool") is None


def test_the_training_environment_offers_the_default_toolset() -> None:
    methods = {n for n in dir(FinQAToolEnv) if not n.startswith("_") and n != "reset"}
    assert methods == {tool.name for tool in TOOLSETS["default"]}


def test_careful_on_the_public_toolset_discovers_and_inspects(tmp_path: Path) -> None:
    """Under -T toolset=public the scripted agent resolves roles to the public tools, and the
    rubric credits get_descriptions as discovery (tool_discovery was 0 for every such trace)."""
    log = inspect_eval(
        finqa(split="test", toolset="public"),
        model="finbehave/scripted/careful",
        limit=3,
        log_dir=str(tmp_path),
        display="none",
    )[0]
    assert log.status == "success", log.error
    for sample in log.samples or []:
        calls = [c.function for m in sample.messages for c in getattr(m, "tool_calls", None) or []]
        assert calls[0] == "get_descriptions" and "get_table_names" not in calls
        value = sample.scores[RUBRIC_SCORER].value  # type: ignore[index]
        assert value["tool_discovery"] == 1.0 and value["schema_inspection"] == 1.0, value
        assert value["answer_correctness"] == 1.0 and value["grounding"] == 1.0, value
        assert math.isnan(value["self_correction"])
