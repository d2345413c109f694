"""The compatibility rules on small schemas: each rule refuses, and what is safe passes."""

from typing import Any

import pytest

from jobline_contracts.compat import FALLBACK, Mode, breaks

pytestmark = pytest.mark.unit

BACKWARD, FORWARD, FULL = Mode.BACKWARD_TRANSITIVE, Mode.FORWARD_TRANSITIVE, Mode.FULL_TRANSITIVE


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def rules(mode: Mode, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b.field, b.rule) for b in breaks(mode, old, new)]


STEP = {"$defs": {"Step": {"enum": ["open", "done"], "type": "string"}}}


def with_step(values: list[str], **extra: Any) -> dict[str, Any]:
    step = {"enum": values, "type": "string", **extra}
    return {**obj(("step",), step={"$ref": "#/$defs/Step"}), "$defs": {"Step": step}}


def test_a_new_enum_value_breaks_forward_unless_the_release_names_a_fallback():
    old, new = with_step(["open", "done"]), with_step(["open", "done", "held"])

    assert rules(FORWARD, old, new) == [("step", "enum value added")]
    assert rules(BACKWARD, old, new) == []
    assert rules(FORWARD, with_step(["open", "done"], **{FALLBACK: "open"}), new) == []


def test_a_removed_enum_value_breaks_backward():
    assert rules(BACKWARD, with_step(["open", "done"]), with_step(["open"])) == [
        ("step", "enum value removed")
    ]


def test_types_narrow_and_widen():
    integer, number = obj(n={"type": "integer"}), obj(n={"type": "number"})
    nullable = obj(n={"anyOf": [{"type": "integer"}, {"type": "null"}]})

    assert rules(BACKWARD, integer, number) == []  # a number reader reads integers
    assert rules(BACKWARD, number, integer) == [("n", "type narrowed")]
    assert rules(FORWARD, integer, nullable) == [("n", "type widened")]
    assert rules(FULL, nullable, nullable) == []


def test_a_decimal_keeps_its_two_branches():
    money = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": "^[0-9]+$"}]}
    looser = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": "^.*$"}]}

    assert rules(FULL, obj(m=money), obj(m=money)) == []
    # Whether one regex accepts all another does is not decided: any change is flagged.
    assert rules(BACKWARD, obj(m=money), obj(m=looser)) == [("m", "pattern changed")]
    assert rules(BACKWARD, obj(m={"type": "number"}), obj(m=money)) == []


def test_bounds_compare_in_the_reader_s_favour():
    short, long = ({"type": "string", "maxLength": n} for n in (10, 20))
    free = {"type": "string"}

    assert rules(FORWARD, obj(s=long), obj(s=short)) == []  # emitting less is safe
    assert rules(FORWARD, obj(s=short), obj(s=long)) == [("s", "bound widened")]
    assert rules(BACKWARD, obj(s=free), obj(s=short)) == [("s", "bound narrowed")]
    assert (
        rules(BACKWARD, obj(n={"type": "integer", "minimum": 0}), obj(n={"type": "integer"})) == []
    )


def test_a_field_dropped_from_a_closed_object_breaks_backward_only_when_closed():
    old = obj(a={"type": "string"}, b={"type": "string"})
    new = obj(a={"type": "string"})

    assert rules(BACKWARD, old, new) == []  # open: an older fact's b is ignored
    closed = {**new, "additionalProperties": False}
    assert rules(BACKWARD, old, closed) == [("b", "field dropped, extras forbidden")]


def test_array_items_are_compared_with_their_path():
    old = obj(lines={"type": "array", "items": obj(("amount",), amount={"type": "string"})})
    new = obj(lines={"type": "array", "items": obj((), amount={"type": "string"})})

    assert rules(FORWARD, old, new) == [("lines[].amount", "required field made optional")]


def test_a_recursive_definition_is_compared_once_per_level():
    def tree(required: tuple[str, ...]) -> dict[str, Any]:
        node = obj(
            required,
            name={"type": "string"},
            children={"type": "array", "items": {"$ref": "#/$defs/Node"}},
        )
        return {"$ref": "#/$defs/Node", "$defs": {"Node": node}}

    assert rules(FULL, tree(("name",)), tree(("name",))) == []
    assert rules(FORWARD, tree(("name",)), tree(())) == [("name", "required field made optional")]
