"""Safe YAML loading shared by every user file (tasks.yaml, rubrics, training recipes).

``yaml.safe_load`` never runs code, but anchors and aliases can still make a small file expand
into billions of nodes ("billion laughs") once anything walks it. ``load_yaml`` composes the node
graph first, measures its expanded size with memoisation, and refuses files that are too large
or expand too far — each with a one-line ``YamlError`` naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 2_000_000
MAX_EXPANDED_NODES = 200_000


class YamlError(ValueError):
    """A YAML file cannot be loaded; the message is one line and names the fix."""


def _expanded_size(root: yaml.Node) -> int:
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # guards against recursive aliases while measuring
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        sizes[key] = total
        return total

    return size(root)


def load_yaml(path: Path, what: str = "file") -> Any:
    """Load a YAML file safely; ``what`` names the kind of file in error messages."""
    path = Path(path)
    if not path.is_file():
        raise YamlError(f"{path}: no such {what}; check the path")
    if path.stat().st_size > MAX_BYTES:
        raise YamlError(f"{path}: {what} larger than {MAX_BYTES} bytes; is it the right file?")
    try:
        return _load(path.read_text(encoding="utf-8", errors="replace"), path, what)
    except RecursionError:
        raise YamlError(
            f"{path}: nested too deeply to be a {what}; is it the right file?"
        ) from None


def _load(text: str, path: Path, what: str) -> Any:
    """Compose once, measure the expansion, then construct from the same node graph."""
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise YamlError(f"{path}:{where}: not valid YAML ({problem}); fix the syntax") from None
    try:
        if node is None:
            return None
        try:
            too_big = _expanded_size(node) > MAX_EXPANDED_NODES
        except RecursionError:
            too_big = True
        if too_big:
            raise YamlError(
                f"{path}: anchors/aliases expand to more than {MAX_EXPANDED_NODES} nodes; "
                f"write the {what} without recursive aliases"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise YamlError(
            f"{path}: not a plain YAML {what} ({problem[:160]}); remove tags such as !!python"
        ) from None
    finally:
        loader.dispose()
