"""One-line messages for pydantic validation errors: place, problem, fix."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from finbehave.validation import Location, location, one_line


class Leaf(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(ge=1)
    secret: str = Field(default="", exclude=True)

    @field_validator("size")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("size must be even; use 2, 4, ...")
        return value


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["a", "b"] = "a"
    leaf: Leaf | None = None
    leaves: list[Leaf] = []
    named: dict[str, Leaf] = {}


def message(data: object, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        Root.model_validate(data)
    return one_line(info.value, **kwargs)


ROOT_KEYS = "name, kind, leaf, leaves, named"


@pytest.mark.parametrize(
    ("data", "place", "allowed"),
    [
        ({"name": "x", "colour": 1}, "field colour", ROOT_KEYS),
        ({"name": "x", "leaf": {"size": 2, "colr": 1}}, "field leaf.colr", "size"),
        (
            {"name": "x", "leaves": [{"size": 2}, {"size": 2, "colr": 1}]},
            "field leaves.1.colr",
            "size",
        ),
        ({"name": "x", "named": {"size": {"size": 2, "colr": 1}}}, "field named.size.colr", "size"),
    ],
)
def test_unknown_keys_name_the_keys_allowed_there(data: dict, place: str, allowed: str) -> None:
    assert message(data, model=Root) == (
        f"{place}: Extra inputs are not permitted; "
        f"remove it or fix its spelling (allowed: {allowed})"
    )  # fields excluded from dumps (``secret``) are internal, never suggested


def test_missing_value_and_other_errors() -> None:
    assert message({}, model=Root) == "field name: Field required; add it"
    assert message({"name": "x", "leaf": {"size": 3}}, model=Root) == (
        "field leaf.size: size must be even; use 2, 4, ..."
    )
    line = message({"name": "x", "kind": "c"}, model=Root, otherwise="see the docs")
    assert line == "field kind: Input should be 'a' or 'b'; see the docs"
    assert message({"name": "x", "kind": "c"}) == "field kind: Input should be 'a' or 'b'"
    assert message([1]) == "top level: Input should be a valid dictionary or instance of Root"


def test_callers_name_the_place() -> None:
    def where(loc: Location) -> str:
        return f"leaf #{loc[1]}" if loc[:1] == ("leaves",) else location(loc)

    line = message({"name": "x", "leaves": [{"size": 0}]}, model=Root, where=where)
    assert line == "leaf #0: Input should be greater than or equal to 1"
