"""Inputs within the size limits cost time in proportion to their size (issue 19,
"Refused, located, fast").

Each class of input that once cost the square of its size (or worse) is timed at two
sizes, and the ratio of the times must be that of a linear cost, not of a quadratic
one: 4 times the input may cost up to 10 times the time (quadratic would be 16). No
test here has a wall-clock limit. Then every regular expression of the package is
fed adversarial strings of two sizes: 8 times the input may cost up to 24 times the
time (quadratic would be 64; the wide margin is for timings of a millisecond or two).
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import re
import time

import pytest

import iompolicy
from iompolicy.documents import DocumentError, load_text
from iompolicy.patterns import LazyPattern

GROWTH = 4  # the larger input is this many times the smaller
LINEAR = 10  # ...and may cost at most this many times as much (a quadratic cost would be 16)


def _cost(work, repeat: int = 5) -> float:
    """The processor time of one call of `work()`: the least of a few measurements, each of as
    many calls as take 10 ms. Processor time, not wall-clock time: the machine may be shared;
    the garbage collector is paused while timing, since one of its passes landing in the larger
    measurement alone once made a linear cost look quadratic (13.6x in CI)."""
    best = float("inf")
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            calls, spent = 0, 0.0
            started = time.process_time()
            while spent < 0.010:
                work()
                calls += 1
                spent = time.process_time() - started
            best = min(best, spent / calls)
    finally:
        if collecting:
            gc.enable()
    return best


def _assert_linear(make_work, small: int, growth: int = GROWTH, limit: float = LINEAR) -> None:
    """`make_work(n)` gives a function doing the work for size n; its cost must grow linearly:
    `growth` times the input may cost at most `limit` times the time."""
    make_work(small)()  # warm up: imports, compiled patterns, validators
    ratios = []
    for _ in range(3):  # a burst of load on a shared machine can spoil one measurement, not three in
        # a row; a quadratic cost fails each time (the limits are well below growth squared)
        ratios.append(_cost(make_work(growth * small)) / _cost(make_work(small)))
        if ratios[-1] < limit:
            return
    raise AssertionError(f"{growth}x the input cost {', '.join(f'{r:.1f}x' for r in ratios)} the time in three "
                         "measurements: worse than linear")


def _refused(text: str, name: str):
    def work():
        with pytest.raises(DocumentError):
            load_text(text, name)
    return work


@pytest.fixture(scope="module")
def policies():
    from iompolicy.engine import PolicySet
    from iompolicy.resources import shipped_policies

    return PolicySet.load(shipped_policies())


def test_unique_items_of_a_list_that_cannot_be_sorted(policies):
    """`strategy_activities: [true, 1, 2, ... N]`: jsonschema compared every pair (23 KB: 11 s)."""
    def make(n):
        document = load_text("kind: proposal\nstrategy_activities: [true, " + ", ".join(map(str, range(n))) + ", 7]\n",
                             "p.yaml")

        def work():
            with pytest.raises(DocumentError) as caught:
                policies.validator.validate(document)
            assert any("has non-unique elements: items 8 and " in p.message for p in caught.value.problems)
        return work
    _assert_linear(make, 1000)


def test_unique_items_keep_json_schema_equality(policies):
    """1 and true are different items; 1 and 1.0 are the same; objects compare by content."""
    from iompolicy.values import equality_key as _equality_key

    assert _equality_key(True) != _equality_key(1) and _equality_key(False) != _equality_key(0)
    assert _equality_key(1) == _equality_key(1.0) and _equality_key(None) != _equality_key(0)
    assert _equality_key({"a": [1, "x"], "b": None}) == _equality_key({"b": None, "a": [1.0, "x"]})
    assert _equality_key([1, 2]) != _equality_key([2, 1]) and _equality_key("1") != _equality_key(1)


def test_json_depth_scan_of_an_unterminated_string():
    """An unterminated string of repeated `\\"`: the depth pre-scan took 9.7 s on 40 KB."""
    _assert_linear(lambda n: _refused('{"kind": "p", "x": "' + '\\"' * n, "f.json"), 10_000)


def test_number_like_reading_hint(policies):
    """`requested_usd: 111...1x`: the hint's pattern took 12.7 s on 20 KB."""
    def make(n):
        document = load_text(f"kind: proposal\nfunding: {{line: 2, requested_usd: {'1' * n}x}}\n", "p.yaml")

        def work():
            with pytest.raises(DocumentError):
                policies.validator.validate(document)
        return work
    _assert_linear(make, 5_000)


def test_duplicate_waiver_ids(policies, tmp_path):
    """10,000 waivers: the duplicate-id check counted each id in the whole list (5.7 s)."""
    from iompolicy.run import Run, repeated

    def make(n):
        ids = [f"W-{i}" for i in range(n)] + ["W-7", "W-3"]
        return lambda: repeated(ids) == ["W-3", "W-7"] or pytest.fail("wrong duplicates")
    # 8x, not 4x: ids that outgrow the processor's caches cost more each, and under load 4x the
    # ids once measured 13.6x (CI) and 10.2x; quadratic would be 64x, linear with that margin ~12x
    _assert_linear(make, 5_000, growth=8, limit=24)
    path = tmp_path / "waivers.yaml"  # what the check is for
    entry = ("- {{id: W-{}, clause: part3.line2_national_ceiling, documents: [P-1], reason: r, approved_by: a, "
             "decision: d, granted: 2010-01-01, expires: 2011-01-01}}\n")
    path.write_text("kind: waivers\nwaivers:\n" + "".join(entry.format(i) for i in (1, 2, 1, 3, 2)))
    run = Run(policies)
    run.use_waivers(str(path))
    assert [p.message for p in run.problems] == ["waiver ids must be unique: W-1, W-2"]


# ---- regular expressions ------------------------------------------------------------------------

UNITS = ['"', '\\"', "\\", "1", "1_", "0", ".", "1.", "e", "a", "_", " ", "\t", "\n", "\n ", ":", ": ", "#", "[",
         "]", "{", "}", "-", "+", "x", "kind", "tool ", "\\u", "'", ",", "0o7", "$.a"]
ENDS = [("", ""), ('"', ""), ("", "x"), ("kind: ", "!\n"), ("[", "")]


def _patterns() -> dict[str, re.Pattern]:
    """Every regular expression compiled at module level anywhere in the package."""
    found = {}
    for module_info in pkgutil.walk_packages(iompolicy.__path__, "iompolicy."):
        if module_info.name.endswith(".__main__"):
            continue  # it runs the command
        try:
            module = importlib.import_module(module_info.name)
        except ModuleNotFoundError as error:  # a module of an optional extra (z3 for `analyze`) not installed
            if (error.name or "").startswith("iompolicy"):
                raise
            continue
        for name, value in vars(module).items():
            if isinstance(value, LazyPattern):
                value = re.compile(value._source, value._flags)
            if isinstance(value, re.Pattern):
                found[f"{module_info.name}.{name}"] = value
    return found


def _backtracking(pattern: re.Pattern, small: int = 300, growth: int = 8, limit: int = 24) -> list[str]:
    """An adversarial input on which `pattern` costs more than linear time ([] if none is found):
    `growth` times the input costing `limit` times the time or more, twice in a row."""
    for unit in UNITS:
        for prefix, suffix in ENDS:
            for operation in ("finditer", "fullmatch"):
                def work(n, operation=operation, text_of=lambda n: prefix + unit * n + suffix):
                    text = text_of(n)
                    if operation == "finditer":  # counted, not kept: a list of match objects would cost GC time
                        return lambda: sum(1 for _ in pattern.finditer(text))
                    return lambda: pattern.fullmatch(text)
                large = work(growth * small)
                started = time.process_time()
                large()
                if time.process_time() - started < 0.01:
                    continue  # one call, far from the tenth of a second of a quadratic scan: linear enough
                ratio = _cost(large, 2) / _cost(work(small), 2)
                if ratio >= limit:  # measured again, to be sure
                    ratio = min(ratio, _cost(large, 2) / _cost(work(small), 2))
                if ratio >= limit:
                    return [f"{operation}({prefix!r} + {unit!r} * n + {suffix!r}): {ratio:.0f}x"]
    return []


def test_the_package_has_patterns_to_check():
    names = set(_patterns())
    assert {"iompolicy.documents.document._NUMBER_LIKE", "iompolicy.documents.json_reader._JSON_STRING",
            "iompolicy.config._TOOL_TABLE"} <= names, sorted(names)
    assert len(names) >= 15


@pytest.mark.parametrize("source, flags", [
    (r'"[^"\\]*(?:\\.[^"\\]*)*"', 0),  # the JSON string pattern before issue 19
    (r"[-+]?(?:\d[\d_]*)?\.?\d*(?:[eE][-+]?\d+)?|[-+]?0[oO][0-7]+", 0),  # the number-like hint before issue 19
    (r"tool\s*\.\s*iompolicy|^\s*\[\s*tool\s*\]", re.MULTILINE),  # the settings table search before issue 19
])
def test_the_backtracking_check_finds_what_it_is_for(source, flags):
    assert _backtracking(re.compile(source, flags))


@pytest.mark.parametrize("name", sorted(_patterns()))
def test_no_regular_expression_backtracks_on_adversarial_input(name):
    assert _backtracking(_patterns()[name]) == []
