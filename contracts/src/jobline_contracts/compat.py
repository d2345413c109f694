"""Schema compatibility rules: can a reader on one JSON Schema read what a writer on another
may write?

Both checks the modes need reduce to that one question. BACKWARD: the new schema reads
what the released one allowed (Jobline reading every older upstream fact). FORWARD: the
released schema reads what the new one allows (another team's consumer, still on the
released schema, reading Jobline's new events). FULL asks both.

The rules are structural, over the subset of JSON Schema our pydantic models export
(``$ref`` into ``$defs``, ``anyOf`` for optional and decimal fields, ``const``/``enum``,
string, number and array bounds, objects). Objects are open: a reader ignores a field it
does not declare unless its schema says ``additionalProperties: false``, so an added
optional field is compatible both ways. An enum may grow under FORWARD only where the
released schema names a fallback (``x-enum-fallback``) that older readers map new values
to. Why not a set-inclusion checker: see docs/contracts.md ("The gate").
"""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Schema = dict[str, Any]
FALLBACK = "x-enum-fallback"  # the value older readers map an unknown enum value to
# (keyword, reader's bound must be at least the writer's) for every bound we compare
_UPPER = ("maxLength", "maxItems", "maximum", "exclusiveMaximum")
_LOWER = ("minLength", "minItems", "minimum", "exclusiveMinimum")
_EXACT = ("pattern", "format")


class Mode(StrEnum):
    """Confluent's and Apicurio's names; every mode here is transitive: a schema is checked
    against every released version, not only the last one."""

    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


class Direction(StrEnum):
    """Who reads whom. BACKWARD: the new schema reads old data. FORWARD: the old reads new."""

    BACKWARD = "backward"
    FORWARD = "forward"


DIRECTIONS = {
    Mode.BACKWARD_TRANSITIVE: (Direction.BACKWARD,),
    Mode.FORWARD_TRANSITIVE: (Direction.FORWARD,),
    Mode.FULL_TRANSITIVE: (Direction.BACKWARD, Direction.FORWARD),
}


@dataclass(frozen=True)
class Break:
    """One incompatibility: where (``payload.lines[].amount``), which rule, and detail."""

    field: str
    rule: str
    detail: str
    direction: Direction


def breaks(mode: Mode, released: Schema, new: Schema) -> list[Break]:
    """Every way ``new`` breaks ``mode`` against ``released``; empty when compatible."""
    found: list[Break] = []
    for direction in DIRECTIONS[mode]:
        reader, writer = (new, released) if direction is Direction.BACKWARD else (released, new)
        found += _Walk(reader, writer, direction).node(reader, writer, "")
    return found


class _Walk:
    """One reader/writer comparison; the documents are kept to resolve ``$ref``."""

    def __init__(self, reader_doc: Schema, writer_doc: Schema, direction: Direction) -> None:
        self.docs = (reader_doc, writer_doc)
        self.direction = direction
        # The pairs of definitions being compared further up: a recursive definition meets
        # itself again there, and is taken as compatible (what it adds is compared once).
        self.open: set[tuple[str, str]] = set()

    def _break(self, field: str, rule: tuple[str, str], detail: str) -> Break:
        backward, forward = rule
        name = backward if self.direction is Direction.BACKWARD else forward
        return Break(field or "(root)", name, detail, self.direction)

    def node(self, reader: Schema, writer: Schema, path: str) -> list[Break]:
        pair = (reader.get("$ref", ""), writer.get("$ref", ""))
        if pair in self.open:
            return []
        if pair[0] or pair[1]:
            self.open.add(pair)
        try:
            readers = _alternatives(reader, self.docs[0])
            return [
                b
                for w in _alternatives(writer, self.docs[1])
                for b in self._one_of(readers, w, path)
            ]
        finally:
            self.open.discard(pair)

    def _one_of(self, readers: list[Schema], writer: Schema, path: str) -> list[Break]:
        """A writer alternative must be read by some reader alternative of its type."""
        wtypes = _types(writer)
        candidates = [r for r in readers if _covers(_types(r), wtypes)]
        if not candidates:
            accepted = sorted({t for r in readers for t in _types(r) or {"any"}})
            detail = f"{sorted(wtypes or {'any'})} is written where only {accepted} is read"
            return [self._break(path, ("type narrowed", "type widened"), detail)]
        first: list[Break] = []
        for candidate in candidates:
            found = list(self._compare(candidate, writer, path))
            if not found:
                return []
            first = first or found
        return first

    def _compare(self, reader: Schema, writer: Schema, path: str) -> Iterator[Break]:
        yield from self._values(reader, writer, path)
        yield from self._bounds(reader, writer, path)
        if "items" in reader:
            yield from self.node(reader["items"], writer.get("items", {}), f"{path}[]")
        if "properties" in reader or "properties" in writer:
            yield from self._object(reader, writer, path)

    def _values(self, reader: Schema, writer: Schema, path: str) -> Iterator[Break]:
        allowed, written = _values(reader), _values(writer)
        if allowed is None:
            return
        rule = ("enum value removed", "enum value added")
        if written is None:
            yield self._break(path, rule, f"any value is written where only {allowed} is read")
            return
        extra = [v for v in written if v not in allowed]
        fallback = self.direction is Direction.FORWARD and FALLBACK in reader
        if extra and not fallback:
            yield self._break(path, rule, f"{extra} written but not among {allowed}")

    def _bounds(self, reader: Schema, writer: Schema, path: str) -> Iterator[Break]:
        rule = ("bound narrowed", "bound widened")
        for keyword in _UPPER + _LOWER:
            if keyword not in reader:
                continue
            mine, theirs = reader[keyword], writer.get(keyword)
            upper = keyword in _UPPER
            if theirs is None or (theirs > mine if upper else theirs < mine):
                said = "none" if theirs is None else theirs
                yield self._break(path, rule, f"{keyword} {said} written, {mine} read")
        for keyword in _EXACT:
            if keyword in reader and writer.get(keyword) != reader[keyword]:
                detail = f"{keyword} {writer.get(keyword)!r} written, {reader[keyword]!r} read"
                yield self._break(path, (f"{keyword} changed", f"{keyword} changed"), detail)

    def _object(self, reader: Schema, writer: Schema, path: str) -> Iterator[Break]:
        rprops, wprops = reader.get("properties", {}), writer.get("properties", {})
        wrequired = set(writer.get("required", ()))
        for name in reader.get("required", ()):
            if name in wrequired:
                continue
            if name in wprops:
                rule = ("optional field made required", "required field made optional")
            else:
                rule = ("required field added", "required field removed")
            yield self._break(_join(path, name), rule, "read as required, not always written")
        for name, wprop in wprops.items():
            if name in rprops:
                yield from self.node(rprops[name], wprop, _join(path, name))
            elif reader.get("additionalProperties") is False:
                rule = ("field dropped, extras forbidden", "field added to a closed object")
                detail = "written, and the reader forbids fields it does not declare"
                yield self._break(_join(path, name), rule, detail)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _resolve(schema: Schema, document: Schema) -> Schema:
    while "$ref" in schema:
        ref: str = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _alternatives(schema: Schema, document: Schema) -> list[Schema]:
    """The schema as a list of branches (``anyOf``/``oneOf`` flattened, refs resolved)."""
    schema = _resolve(schema, document)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if not branches:
        return [schema]
    return [alt for branch in branches for alt in _alternatives(branch, document)]


def _types(schema: Schema) -> set[str]:
    """The JSON types a branch allows; empty means any."""
    declared = schema.get("type")
    if declared is not None:
        return {declared} if isinstance(declared, str) else set(declared)
    values = _values(schema)
    return {_json_type(v) for v in values} if values is not None else set()


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object"}
    return names[type(value)]


def _covers(reader: set[str], writer: set[str]) -> bool:
    if not reader:
        return True
    if not writer:
        return False
    widened = reader | ({"integer"} if "number" in reader else set())
    return writer <= widened


def _values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum: list[Any] | None = schema.get("enum")
    return enum
