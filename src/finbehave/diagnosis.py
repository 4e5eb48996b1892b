"""``diagnosis.json``: the contract between reports (writer) and training (reader).

The model below is the single definition; ``diagnosis.schema.json`` beside this file is its JSON
Schema (regenerate with ``python -m finbehave.diagnosis > src/finbehave/diagnosis.schema.json``;
a test checks they agree). :func:`load_diagnosis` rejects a wrong file with one line naming it.

Reward weights (``reward_weights``) are derived from the subject model's behaviour rates::

    w_b = (FLOOR + (1 - rate_b)) / sum_c (FLOOR + (1 - rate_c))      FLOOR = 0.1

over the behaviours observed at least once (n > 0): a behaviour that always fails gets up to
11x the weight of one that never does, and no observed behaviour drops to zero weight.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finbehave.files import write_text_atomic
from finbehave.validation import one_line
from finbehave.vocab import BEHAVIOURS

SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("diagnosis.schema.json")
WEIGHT_FLOOR = 0.1


class DiagnosisError(ValueError):
    """A diagnosis file is missing or invalid; the message is one line and names the fix."""


class BehaviourStat(BaseModel):
    """One behaviour's rate for one model, with its 95% confidence interval."""

    model_config = ConfigDict(extra="forbid")

    rate: float | None = Field(description="Mean score where it applies; null when n = 0.")
    ci_low: float | None
    ci_high: float | None
    n: int = Field(ge=0, description="Samples where the behaviour applies.")


class ModelDiagnosis(BaseModel):
    """All behaviour rates of one model (run)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="The Inspect model string of the run.")
    samples: int = Field(ge=0)
    behaviours: dict[str, BehaviourStat]


class Weakness(BaseModel):
    """One deficient behaviour of the subject model, with the evidence."""

    model_config = ConfigDict(extra="forbid")

    behaviour: str
    deficiency: float = Field(ge=0, le=1, description="1 - rate.")
    rate: float
    ci_low: float
    ci_high: float
    n: int
    failing_samples: int = Field(ge=0, description="Samples scoring below 0.5 on it.")
    top_tags: list[str] = Field(description="Failure tags most frequent among those samples.")
    example_items: list[str] = Field(description="A few failing item ids.")


def deficient(weakest: list[Weakness]) -> list[Weakness]:
    """The weaknesses that are real (rate below 1), most deficient first."""
    return [w for w in weakest if w.deficiency > 0]


class TargetItems(BaseModel):
    """Items to train on (train split only) and held-out items to evaluate on (never overlap)."""

    model_config = ConfigDict(extra="forbid")

    train: list[str]
    held_out: list[str]
    selection: str = Field(description="How the train items were chosen.")

    @model_validator(mode="after")
    def _disjoint(self) -> TargetItems:
        both = sorted(set(self.train) & set(self.held_out))
        if both:
            raise ValueError(f"train and held_out overlap on {both[:3]}")
        return self


class Diagnosis(BaseModel):
    """The machine-readable diagnosis written by ``finbehave report``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    rubric_version: str
    subject: str = Field(description="The run (model) that weakest/targets/weights are for.")
    models: dict[str, ModelDiagnosis]
    weakest: list[Weakness]
    reward_weights: dict[str, float]
    target_items: TargetItems
    recommendation: str

    def weakest_summary(self) -> str:
        """One line for terminals: the deficient behaviours with their rates."""
        found = [f"{w.behaviour} {w.rate:.0%}" for w in deficient(self.weakest)]
        return ", ".join(found) or "none (every behaviour at 100%)"

    @model_validator(mode="after")
    def _consistent(self) -> Diagnosis:
        if self.subject not in self.models:
            raise ValueError(f"subject {self.subject!r} is not one of the models")
        unknown = sorted(set(self.reward_weights) - set(BEHAVIOURS))
        if unknown:
            raise ValueError(f"reward_weights name unknown behaviours {unknown}")
        if self.reward_weights:
            total = sum(self.reward_weights.values())
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"reward_weights sum to {total:.6f}, not 1")
        return self


def derive_weights(rates: dict[str, float | None]) -> dict[str, float]:
    """Reward weights from behaviour rates (formula in the module docstring)."""
    raw = {
        b: WEIGHT_FLOOR + (1.0 - rate)
        for b, rate in rates.items()
        if b in BEHAVIOURS and rate is not None and not math.isnan(rate)
    }
    total = sum(raw.values())
    return {b: w / total for b, w in raw.items()} if total else {}


def json_schema() -> dict:
    """The JSON Schema of ``diagnosis.json``."""
    schema = Diagnosis.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://finbehave.dev/schemas/diagnosis-v{SCHEMA_VERSION}.json"
    return schema


def load_diagnosis(path: str | Path) -> Diagnosis:
    """Read and validate a diagnosis file (one-line ``DiagnosisError`` when it is wrong)."""
    path = Path(path)
    if path.is_dir():
        path = path / "diagnosis.json"
    fix = "regenerate it with `finbehave report LOGS -o DIR`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiagnosisError(f"{path}: no such diagnosis file; {fix}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DiagnosisError(f"{path}: not readable JSON ({exc}); {fix}") from None
    if not isinstance(data, dict):
        raise DiagnosisError(f"{path}: expected a JSON object; {fix}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DiagnosisError(
            f"{path}: schema_version {version!r} is not {SCHEMA_VERSION}; {fix} with this finbehave"
        )
    try:
        return Diagnosis.model_validate(data)
    except ValidationError as exc:
        raise DiagnosisError(f"{path}: {one_line(exc)}; {fix}") from None


def write_diagnosis(diagnosis: Diagnosis, path: str | Path) -> Path:
    """Write ``diagnosis`` as indented JSON (atomically) and return the path."""
    return write_text_atomic(Path(path), diagnosis.model_dump_json(indent=2) + "\n")


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
