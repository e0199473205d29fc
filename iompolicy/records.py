"""Records: tuples with named fields, as `collections.namedtuple` makes them, but built
like any other class.

`namedtuple` writes each class's `__new__` as source text and compiles it when the
module is imported: about 0.15 ms a class (half of it the compiler), and the modules
a one-file check loads held sixteen of them, some 2.5 ms of its 90 ms cold start
(benchmarks/run.py, target 4). A `Record` names its fields in the class statement::

    class Location(Record, fields="path line column", defaults=(None, None, None)):
        __slots__ = ()

and is a tuple as a namedtuple is: it unpacks, indexes, compares, hashes, pickles and
prints the same way, and has `_fields`, `_field_defaults`, `_make`, `_replace` and
`_asdict`. Its fields are read as a namedtuple's are (the same C descriptor). A call
that gives the first fields by position and leaves the rest to their defaults costs
about what a namedtuple's does; one that names fields takes a slower path, in Python,
so a record made often with named fields writes its own `__new__` with the fields as
parameters (the tracer's `Traced` does).
"""

from __future__ import annotations

from operator import itemgetter

try:
    from _collections import _tuplegetter  # the descriptor namedtuple's fields are (CPython)
except ImportError:  # another implementation of Python: what namedtuple itself falls back to
    def _tuplegetter(index: int, doc: str):
        return property(itemgetter(index), doc=doc)

_tuple_new = tuple.__new__


class Record(tuple):
    """A tuple with named fields; see the module's docstring. Subclasses give `fields`
    (names separated by spaces) and optionally `defaults` (for the last fields)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _defaults: tuple = ()  # the last fields' defaults, in order
    _field_defaults: dict = {}

    def __init_subclass__(cls, fields: str | None = None, defaults: tuple = (), **options):
        super().__init_subclass__(**options)
        if fields is None:  # a subclass of a record: its fields are its parent's
            return
        names = tuple(fields.split())
        if len(defaults) > len(names):
            raise TypeError(f"{cls.__name__}: more defaults than fields")
        cls._fields = names
        cls._defaults = tuple(defaults)
        cls._field_defaults = dict(zip(names[len(names) - len(defaults):], defaults))
        cls.__match_args__ = names
        for index, name in enumerate(names):
            setattr(cls, name, _tuplegetter(index, f"Alias for field number {index}"))

    def __new__(cls, *values, **named):
        left_out = len(cls._fields) - len(values)
        if left_out or named:
            if named or not 0 < left_out <= len(cls._defaults):
                values = cls._complete(values, named)
            else:  # the first fields by position, the rest by default: the usual short call
                values += cls._defaults[len(cls._defaults) - left_out:]
        return _tuple_new(cls, values)

    @classmethod
    def _complete(cls, values: tuple, named: dict) -> list:
        """Every field's value, from those given by position, by name and by default,
        refused as a function call with the same parameters would refuse them."""
        fields = cls._fields
        if len(values) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments but {len(values)} were given")
        for name in fields[:len(values)]:
            if name in named:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
        complete = list(values)
        for name in fields[len(values):]:
            if name in named:
                complete.append(named.pop(name))
            elif name in cls._field_defaults:
                complete.append(cls._field_defaults[name])
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
        if named:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {next(iter(named))!r}")
        return complete

    @classmethod
    def _make(cls, iterable):
        """A record from an iterable of every field's value, in order."""
        values = tuple(iterable)
        if len(values) != len(cls._fields):
            raise TypeError(f"expected {len(cls._fields)} arguments, got {len(values)}")
        return _tuple_new(cls, values)

    def _replace(self, **changes):
        """A copy with the fields named changed."""
        values = _tuple_new(type(self), map(changes.pop, self._fields, self))  # no Python loop: a fix makes many
        if changes:
            raise ValueError(f"got unexpected field names: {list(changes)!r}")
        return values

    __replace__ = _replace  # copy.replace(record, ...), as namedtuple has it from Python 3.13

    def _asdict(self) -> dict:
        """The fields as a new dict, in order."""
        return dict(zip(self._fields, self))

    def __getnewargs__(self):
        return tuple(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={v!r}' for n, v in zip(self._fields, self))})"
