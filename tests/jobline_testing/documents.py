"""Walking and editing a JSON document by path: every string's path, and a copy with one
value replaced (the contract-bound tests put oversized strings everywhere with these)."""

import copy
from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]


def string_paths(node: object, path: Path = ()) -> Iterator[Path]:
    """The path of every string in ``node``."""
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from string_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from string_paths(value, (*path, index))


def replaced(document: dict[str, Any], path: Path, value: str) -> dict[str, Any]:
    """A deep copy of ``document`` with the value at ``path`` replaced."""
    changed = copy.deepcopy(document)
    node: Any = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed
