"""`records.Record`: tuples with named fields that behave as `collections.namedtuple`'s do.

The package's records moved from namedtuple to Record for a faster start (records.py says
why); each behaviour a caller may rely on is compared here with a namedtuple of the same
fields, so a difference fails with both sides shown."""

from __future__ import annotations

import copy
import pickle
from collections import namedtuple

import pytest

from iompolicy.records import Record


class Point(Record, fields="x y label", defaults=(None,)):
    __slots__ = ()

    def norm(self) -> int:
        return abs(self.x) + abs(self.y)


Twin = namedtuple("Twin", "x y label", defaults=(None,))


@pytest.mark.parametrize("args, named", [
    ((1, 2), {}), ((1, 2, "a"), {}), ((1,), {"y": 2}), ((), {"x": 1, "y": 2, "label": "b"}), ((1, 2), {"label": "c"}),
])
def test_a_record_is_built_as_a_namedtuple_is(args, named):
    record, twin = Point(*args, **named), Twin(*args, **named)
    assert tuple(record) == tuple(twin)
    assert (record.x, record.y, record.label) == (twin.x, twin.y, twin.label)
    assert record == twin and hash(record) == hash(twin)
    assert repr(record) == repr(twin).replace("Twin", "Point")


@pytest.mark.parametrize("args, named", [
    ((1,), {}), ((1, 2, 3, 4), {}), ((1,), {"x": 2, "y": 3}), ((1, 2), {"colour": "red"}), ((), {"label": "a"}),
])
def test_a_record_refuses_the_calls_a_namedtuple_refuses(args, named):
    with pytest.raises(TypeError) as namedtuple_refusal:
        Twin(*args, **named)
    with pytest.raises(TypeError) as refusal:
        Point(*args, **named)
    # the same reason, in the words of a call to a function with these parameters
    for reason in ("missing", "takes", "multiple values", "unexpected keyword"):
        assert (reason in str(refusal.value)) == (reason in str(namedtuple_refusal.value)), (
            str(refusal.value), str(namedtuple_refusal.value))


def test_a_record_has_the_helpers_of_a_namedtuple():
    record, twin = Point(1, 2), Twin(1, 2)
    assert Point._fields == Twin._fields
    assert Point._field_defaults == Twin._field_defaults
    assert record._asdict() == twin._asdict()
    assert record._replace(y=5) == twin._replace(y=5) and type(record._replace(y=5)) is Point
    assert Point._make([3, 4, None]) == Twin._make([3, 4, None]) and type(Point._make([3, 4, None])) is Point
    with pytest.raises(Exception) as namedtuple_refusal:  # ValueError, TypeError from Python 3.13
        twin._replace(z=1)
    with pytest.raises(namedtuple_refusal.type):
        record._replace(z=1)
    with pytest.raises(TypeError):
        Point._make([1])
    assert record.__replace__(y=5) == record._replace(y=5)  # copy.replace, from Python 3.13
    assert record.norm() == 3  # the subclass's own methods


def test_a_record_pickles_copies_unpacks_and_matches():
    record = Point(1, 2, "a")
    assert pickle.loads(pickle.dumps(record)) == record
    assert type(pickle.loads(pickle.dumps(record))) is Point
    assert copy.copy(record) == record and copy.deepcopy(record) == record
    x, y, label = record
    assert (x, y, label) == (1, 2, "a")
    match record:
        case Point(1, y, "a"):
            assert y == 2
        case _:
            pytest.fail("a record matches by position, as a namedtuple does")


def test_a_record_is_immutable_and_holds_no_dict():
    record = Point(1, 2)
    with pytest.raises(AttributeError):
        record.x = 5
    assert not hasattr(record, "__dict__")


def test_more_defaults_than_fields_are_refused():
    with pytest.raises(TypeError):
        class Wrong(Record, fields="a", defaults=(1, 2)):
            __slots__ = ()


def test_no_record_of_the_package_is_a_namedtuple_any_more():
    """The reason for Record: namedtuple (and typing.NamedTuple, built on it) compiles each
    class's `__new__` at import, 0.15 ms of every cold start a class. Read from the source, so
    that every module counts, whether or not a test imported it."""
    import ast

    from conftest import ROOT

    made = []
    for path in sorted((ROOT / "iompolicy").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if name in ("namedtuple", "NamedTuple"):
                made.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert made == []
